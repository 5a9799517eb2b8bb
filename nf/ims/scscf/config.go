package scscf

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Config is the S-CSCF's configuration.
type Config struct {
	Ops       nfkit.OpsConfig `yaml:"ops"`
	SIP       SIPConfig       `yaml:"sip"`
	Domain    string          `yaml:"domain"`
	Cx        CxConfig        `yaml:"cx"`
	Registrar RegistrarConfig `yaml:"registrar"`
}

// SIPConfig is where SIP is served.
type SIPConfig struct {
	Address    string   `yaml:"address"`
	Port       int      `yaml:"port"`
	Transports []string `yaml:"transports"`
	ServerName string   `yaml:"server_name"`
}

// CxConfig is the Diameter client towards the HSS.
type CxConfig struct {
	HSS                 string `yaml:"hss"`
	DestinationRealm    string `yaml:"destination_realm"`
	diameter.PeerConfig `yaml:",inline"`
}

// RegistrarConfig bounds registrations.
type RegistrarConfig struct {
	DefaultExpires uint32        `yaml:"default_expires"`
	MinExpires     uint32        `yaml:"min_expires"`
	MaxExpires     uint32        `yaml:"max_expires"`
	AuthTimeout    time.Duration `yaml:"auth_timeout"`
	ExpiryCheck    time.Duration `yaml:"expiry_check"`
	MaxUsers       int           `yaml:"max_users"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("scscf/default.yaml", DefaultYAML) }

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	add(c.SIP.validate())
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
	add(c.Registrar.validate())
	return errors.Join(errs...)
}

func (c SIPConfig) validate() error {
	var errs []error
	if net.ParseIP(c.Address) == nil {
		errs = append(errs, fmt.Errorf("sip.address %q: want an IP address", c.Address))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("sip.port %d out of range", c.Port))
	}
	if len(c.Transports) == 0 {
		errs = append(errs, errors.New("sip.transports is empty"))
	}
	for _, t := range c.Transports {
		if t != "udp" && t != "tcp" {
			errs = append(errs, fmt.Errorf("sip.transports: %q is not udp or tcp", t))
		}
	}
	if c.ServerName != "" && !strings.HasPrefix(c.ServerName, "sip:") {
		errs = append(errs, fmt.Errorf("sip.server_name %q: want a sip: URI", c.ServerName))
	}
	return errors.Join(errs...)
}

func (c RegistrarConfig) validate() error {
	var errs []error
	if c.MinExpires == 0 || c.MinExpires > c.MaxExpires {
		errs = append(errs, fmt.Errorf("registrar: min_expires %d must be at least 1 and at most max_expires %d", c.MinExpires, c.MaxExpires))
	}
	if c.DefaultExpires < c.MinExpires || c.DefaultExpires > c.MaxExpires {
		errs = append(errs, fmt.Errorf("registrar.default_expires %d outside [%d, %d]", c.DefaultExpires, c.MinExpires, c.MaxExpires))
	}
	if c.AuthTimeout <= 0 || c.ExpiryCheck <= 0 {
		errs = append(errs, errors.New("registrar: auth_timeout and expiry_check must be positive"))
	}
	if c.MaxUsers < 1 {
		errs = append(errs, fmt.Errorf("registrar.max_users %d must be at least 1", c.MaxUsers))
	}
	return errors.Join(errs...)
}
