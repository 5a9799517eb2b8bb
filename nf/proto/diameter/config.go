package diameter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Defaults of PeerConfig.
const (
	DefaultProductName      = "corebox"
	DefaultWatchdogInterval = 30 * time.Second // Tw of RFC 3539
	DefaultRequestTimeout   = 5 * time.Second
	DefaultPort             = "3868"
	// DefaultMaxConcurrent bounds the requests one peer has in handlers.
	DefaultMaxConcurrent = 256
)

// PeerConfig is this node's Diameter identity and its timers; NFs embed it
// in their config (yaml inline) beside a listen or peer address.
type PeerConfig struct {
	// OriginHost is our DiameterIdentity (an FQDN), sent in Origin-Host.
	OriginHost string `yaml:"origin_host"`
	// OriginRealm is our realm, sent in Origin-Realm.
	OriginRealm string `yaml:"origin_realm"`
	// ProductName goes into CER/CEA (default "corebox").
	ProductName string `yaml:"product_name"`
	// VendorID goes into CER/CEA (default 10415, 3GPP).
	VendorID uint32 `yaml:"vendor_id"`
	// Applications are the Auth-Application-Ids we serve or use (S6a
	// 16777251, Gx 16777238, Rx 16777236); a peer sharing none is refused.
	Applications []uint32 `yaml:"applications"`
	// WatchdogInterval is how long a connection may stay silent before we
	// send DWR (default 30s); a DWR unanswered for as long closes it.
	WatchdogInterval time.Duration `yaml:"watchdog_interval"`
	// RequestTimeout bounds each request we send unless its context ends
	// sooner (default 5s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// WithDefaults fills the zero fields with their defaults.
func (c PeerConfig) WithDefaults() PeerConfig {
	if c.ProductName == "" {
		c.ProductName = DefaultProductName
	}
	if c.VendorID == 0 {
		c.VendorID = Vendor3GPP
	}
	if c.WatchdogInterval == 0 {
		c.WatchdogInterval = DefaultWatchdogInterval
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	return c
}

// Validate checks the identity and the timers.
func (c PeerConfig) Validate() error {
	var errs []error
	if err := checkIdentity("origin_host", c.OriginHost); err != nil {
		errs = append(errs, err)
	}
	if err := checkIdentity("origin_realm", c.OriginRealm); err != nil {
		errs = append(errs, err)
	}
	if len(c.Applications) == 0 {
		errs = append(errs, errors.New("applications: name at least one Auth-Application-Id"))
	}
	if slices.Contains(c.Applications, AppBase) {
		errs = append(errs, errors.New("applications: 0 is the base protocol, always supported"))
	}
	if c.WatchdogInterval < 0 || (c.WatchdogInterval > 0 && c.WatchdogInterval < 100*time.Millisecond) {
		errs = append(errs, fmt.Errorf("watchdog_interval %v: want at least 100ms", c.WatchdogInterval))
	}
	if c.RequestTimeout < 0 {
		errs = append(errs, fmt.Errorf("request_timeout %v must not be negative", c.RequestTimeout))
	}
	return errors.Join(errs...)
}

// serves reports whether app is the base protocol or one of ours.
func (c PeerConfig) serves(app uint32) bool {
	return app == AppBase || slices.Contains(c.Applications, app)
}

// checkIdentity accepts a DiameterIdentity: an FQDN of letters, digits,
// '-' and '.', at most 255 characters.
func checkIdentity(key, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", key)
	}
	if len(s) > 255 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return fmt.Errorf("%s %q: want an FQDN such as hss.epc.mnc001.mcc001.3gppnetwork.org", key, s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%s %q: character %q is not allowed in an FQDN", key, s, r)
		}
	}
	return nil
}
