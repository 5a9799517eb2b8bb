package icscf

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Config is the I-CSCF's configuration.
type Config struct {
	Ops    nfkit.OpsConfig `yaml:"ops"`
	SIP    SIPConfig       `yaml:"sip"`
	SCSCFs []SCSCFConfig   `yaml:"scscfs"`
	Domain string          `yaml:"domain"`
	Cx     CxConfig        `yaml:"cx"`
}

// SIPConfig is where SIP is served.
type SIPConfig struct {
	Address    string   `yaml:"address"`
	Port       int      `yaml:"port"`
	Transports []string `yaml:"transports"`
}

// SCSCFConfig is an S-CSCF we may assign and the capabilities it has.
type SCSCFConfig struct {
	URI          string   `yaml:"uri"`
	Capabilities []uint32 `yaml:"capabilities"`
}

// CxConfig is the Diameter client towards the HSS.
type CxConfig struct {
	HSS                 string `yaml:"hss"`
	DestinationRealm    string `yaml:"destination_realm"`
	diameter.PeerConfig `yaml:",inline"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("icscf/default.yaml", DefaultYAML) }

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	if net.ParseIP(c.SIP.Address) == nil {
		add(fmt.Errorf("sip.address %q: want an IP address", c.SIP.Address))
	}
	if c.SIP.Port < 0 || c.SIP.Port > 65535 {
		add(fmt.Errorf("sip.port %d out of range", c.SIP.Port))
	}
	if len(c.SIP.Transports) == 0 {
		add(errors.New("sip.transports is empty"))
	}
	for _, t := range c.SIP.Transports {
		if t != "udp" && t != "tcp" {
			add(fmt.Errorf("sip.transports: %q is not udp or tcp", t))
		}
	}
	for i, s := range c.SCSCFs {
		if !strings.HasPrefix(s.URI, "sip:") {
			add(fmt.Errorf("scscfs[%d].uri %q: want a sip: URI", i, s.URI))
		}
	}
	if c.Domain == "" {
		add(errors.New("domain is empty"))
	}
	if _, _, err := net.SplitHostPort(c.Cx.HSS); err != nil {
		add(fmt.Errorf("cx.hss %q: %w", c.Cx.HSS, err))
	}
	if c.Cx.DestinationRealm == "" {
		add(errors.New("cx.destination_realm is empty"))
	}
	if err := c.Cx.PeerConfig.WithDefaults().Validate(); err != nil {
		add(fmt.Errorf("cx: %w", err))
	}
	if !slices.Contains(c.Cx.Applications, diameter.AppCx) {
		add(fmt.Errorf("cx.applications %v: Cx (%d) is required", c.Cx.Applications, diameter.AppCx))
	}
	return errors.Join(errs...)
}
