package pcrf

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Config is the PCRF's configuration.
type Config struct {
	Ops      nfkit.OpsConfig `yaml:"ops"`
	Diameter DiameterConfig  `yaml:"diameter"`
	// APNs are the policies per APN (Called-Station-Id).
	APNs []APNConfig `yaml:"apns"`
	// UnknownAPN names the APN entry whose policy an unlisted APN gets;
	// empty refuses such CCR-Initials.
	UnknownAPN string          `yaml:"unknown_apn"`
	Dedicated  DedicatedConfig `yaml:"dedicated"`
	// MaxSessions bounds the Gx sessions held, and likewise the Rx ones.
	MaxSessions int `yaml:"max_sessions"`
}

// DiameterConfig is the Gx and Rx server: where it listens and who it is.
type DiameterConfig struct {
	Listen              string `yaml:"listen"`
	diameter.PeerConfig `yaml:",inline"`
}

// ARPConfig is an Allocation-Retention-Priority. The flags are named so
// that false is the default of TS 29.212 (capability disabled,
// vulnerability enabled).
type ARPConfig struct {
	Priority       uint32 `yaml:"arp"`             // 1 (highest) .. 15
	MayPreempt     bool   `yaml:"may_preempt"`     // Pre-emption-Capability enabled
	NotPreemptable bool   `yaml:"not_preemptable"` // Pre-emption-Vulnerability disabled
}

// APNConfig is the policy of one APN.
type APNConfig struct {
	Name      string `yaml:"name"`
	QCI       uint32 `yaml:"qci"` // of the default bearer: non-GBR
	ARPConfig `yaml:",inline"`
	AMBRUL    string       `yaml:"ambr_ul"` // APN-AMBR, e.g. "1 Gbps"
	AMBRDL    string       `yaml:"ambr_dl"`
	Rules     []RuleConfig `yaml:"rules"` // installed with the CCA-Initial
}

// RuleConfig is a predefined PCC rule (Charging-Rule-Definition).
type RuleConfig struct {
	Name       string `yaml:"name"`
	Precedence uint32 `yaml:"precedence"` // 0 leaves it out
	QCI        uint32 `yaml:"qci"`
	ARPConfig  `yaml:",inline"`
	// Bit rates; empty leaves them out. A GBR QCI needs gbr_ul and gbr_dl.
	MBRUL string       `yaml:"mbr_ul"`
	MBRDL string       `yaml:"mbr_dl"`
	GBRUL string       `yaml:"gbr_ul"`
	GBRDL string       `yaml:"gbr_dl"`
	Flows []FlowConfig `yaml:"flows"`
}

// FlowConfig is one Flow-Information of a rule.
type FlowConfig struct {
	// Description is a Gx IPFilterRule: "permit out PROTO from REMOTE
	// [PORTS] to UE [PORTS]" ("any" and "assigned" allowed).
	Description string `yaml:"description"`
	// Direction is downlink, uplink or bidirectional.
	Direction string `yaml:"direction"`
}

// DedicatedConfig shapes the PCC rules made from Rx media components.
type DedicatedConfig struct {
	// APNs an AAR may bind to; empty: any.
	APNs      []string `yaml:"apns"`
	ARPConfig `yaml:",inline"`
	// Precedence of the rules, 1..255.
	Precedence uint32      `yaml:"precedence"`
	Audio      MediaConfig `yaml:"audio"`
	Video      MediaConfig `yaml:"video"`
	Other      MediaConfig `yaml:"other"`
}

// MediaConfig is the QoS of one kind of media.
type MediaConfig struct {
	QCI uint32 `yaml:"qci"`
	// Bandwidth is the MBR (and GBR for a GBR QCI) when the media
	// component has no Max-Requested-Bandwidth.
	Bandwidth string `yaml:"bandwidth"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("pcrf/default.yaml", DefaultYAML) }

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	if _, _, err := net.SplitHostPort(c.Diameter.Listen); err != nil {
		add(fmt.Errorf("diameter.listen %q: %w", c.Diameter.Listen, err))
	}
	if err := c.Diameter.PeerConfig.WithDefaults().Validate(); err != nil {
		add(fmt.Errorf("diameter: %w", err))
	}
	for _, app := range []uint32{diameter.AppGx, diameter.AppRx} {
		if !slices.Contains(c.Diameter.Applications, app) {
			add(fmt.Errorf("diameter.applications %v: the PCRF serves Gx (%d) and Rx (%d)",
				c.Diameter.Applications, diameter.AppGx, diameter.AppRx))
			break
		}
	}
	_, err := newPolicy(c)
	add(err)
	if c.MaxSessions < 1 {
		add(fmt.Errorf("max_sessions %d must be at least 1", c.MaxSessions))
	}
	return errors.Join(errs...)
}
