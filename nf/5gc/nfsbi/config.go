package nfsbi

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// NRFConfig is the "nrf:" section of an NF: where to register, and as
// whom.
type NRFConfig struct {
	// URI is the NRF's apiRoot (http://host:port); empty: no NRF.
	URI string `yaml:"uri"`
	// InstanceID is our nfInstanceId; empty: a UUIDv5 of the instance name.
	InstanceID string `yaml:"instance_id"`
}

// Validate checks the NRF URI and the advertise_uri beside it: with an
// NRF, peers must learn an address to dial.
func (c NRFConfig) Validate(advertise, listen string) error {
	if advertise != "" {
		if err := CheckURI("advertise_uri", advertise); err != nil {
			return err
		}
	}
	if c.URI == "" {
		return nil
	}
	if err := CheckURI("nrf.uri", c.URI); err != nil {
		return err
	}
	if advertise == "" && !specificHost(listen) {
		return fmt.Errorf("advertise_uri is needed with nrf.uri when sbi.listen %q names no address", listen)
	}
	return nil
}

// InstanceIDOrDefault is InstanceID, or a UUIDv5 of the instance name.
func (c NRFConfig) InstanceIDOrDefault() string {
	if c.InstanceID != "" {
		return c.InstanceID
	}
	return nrfc.InstanceIDFor(nfkit.Instance())
}

// CheckURI accepts an http(s)://host[:port] apiRoot; key names it in errors.
func CheckURI(key, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want http(s)://host:port", key, s)
	}
	return nil
}

// specificHost reports whether listen ("host:port") names an address a
// peer could dial.
func specificHost(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsUnspecified()
}

// AdvertiseURI is where peers reach our SBI: the configured URI, else the
// bound address when the listen address is specific, else "".
func AdvertiseURI(configured, listen, scheme string, bound net.Addr) string {
	if configured != "" {
		return configured
	}
	if specificHost(listen) && bound != nil {
		return scheme + "://" + bound.String()
	}
	return ""
}

// RequestRoot is our apiRoot as the sender of r should use it (in a
// Location header, a callback URI): advertise without a trailing slash,
// else scheme:// and the authority r came to.
func RequestRoot(advertise, scheme string, r *http.Request) string {
	if advertise != "" {
		return strings.TrimRight(advertise, "/")
	}
	return scheme + "://" + r.Host
}
