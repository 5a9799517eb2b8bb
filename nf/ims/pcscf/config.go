package pcscf

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Rx policies.
const (
	RxRequired = "required"
	RxOptional = "optional"
)

// Config is the P-CSCF's configuration.
type Config struct {
	Ops              nfkit.OpsConfig `yaml:"ops"`
	SIP              SIPConfig       `yaml:"sip"`
	MaxRegistrations int             `yaml:"max_registrations"`
	Rx               RxConfig        `yaml:"rx"`
}

// SIPConfig is the Gm side.
type SIPConfig struct {
	Host       string   `yaml:"host"`
	Port       int      `yaml:"port"`
	Transports []string `yaml:"transports"`
	// ICSCF is the SIP URI REGISTERs go to.
	ICSCF          string `yaml:"icscf"`
	DefaultExpires int    `yaml:"default_expires"`
}

// RxConfig is the Rx client towards the PCRF.
type RxConfig struct {
	PCRF                string        `yaml:"pcrf"`
	Policy              string        `yaml:"policy"`
	AFApplicationID     string        `yaml:"af_application_id"`
	SpecificActions     bool          `yaml:"specific_actions"`
	DestinationRealm    string        `yaml:"destination_realm"`
	Timeout             time.Duration `yaml:"timeout"`
	diameter.PeerConfig `yaml:",inline"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("pcscf/default.yaml", DefaultYAML) }

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	if net.ParseIP(c.SIP.Host) == nil {
		add(fmt.Errorf("sip.host %q: not an IP address", c.SIP.Host))
	}
	if c.SIP.Port < 0 || c.SIP.Port > 65535 {
		add(fmt.Errorf("sip.port %d out of range", c.SIP.Port))
	}
	if len(c.SIP.Transports) == 0 {
		add(errors.New("sip.transports: at least one of udp, tcp"))
	}
	for _, t := range c.SIP.Transports {
		if t != "udp" && t != "tcp" {
			add(fmt.Errorf("sip.transports: %q is not udp or tcp", t))
		}
	}
	var u sip.Uri
	if err := sip.ParseUri(c.SIP.ICSCF, &u); err != nil || u.Host == "" {
		add(fmt.Errorf("sip.icscf %q: not a SIP URI with a host", c.SIP.ICSCF))
	}
	if c.SIP.DefaultExpires < 1 {
		add(fmt.Errorf("sip.default_expires %d must be at least 1", c.SIP.DefaultExpires))
	}
	if c.MaxRegistrations < 1 {
		add(fmt.Errorf("max_registrations %d must be at least 1", c.MaxRegistrations))
	}
	add(c.Rx.validate())
	return errors.Join(errs...)
}

func (c RxConfig) validate() error {
	if c.Policy != RxRequired && c.Policy != RxOptional {
		return fmt.Errorf("rx.policy %q: want required or optional", c.Policy)
	}
	if c.PCRF == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.PCRF); err != nil {
		return fmt.Errorf("rx.pcrf %q: %w", c.PCRF, err)
	}
	if c.DestinationRealm == "" {
		return errors.New("rx.destination_realm is empty")
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("rx.timeout %v must be positive", c.Timeout)
	}
	if !slices.Contains(c.Applications, diameter.AppRx) {
		return fmt.Errorf("rx.applications %v must hold Rx (%d)", c.Applications, diameter.AppRx)
	}
	if err := c.PeerConfig.WithDefaults().Validate(); err != nil {
		return fmt.Errorf("rx: %w", err)
	}
	return nil
}
