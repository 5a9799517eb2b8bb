package mme

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Config is the MME's configuration (default.yaml documents every key).
type Config struct {
	Ops              nfkit.OpsConfig     `yaml:"ops"`
	S1               S1Config            `yaml:"s1"`
	Name             string              `yaml:"name"`
	PLMN             PLMNConfig          `yaml:"plmn"`
	MMEGroupID       uint16              `yaml:"mme_group_id"`
	MMECode          uint8               `yaml:"mme_code"`
	TACs             []uint16            `yaml:"tacs"`
	RelativeCapacity uint8               `yaml:"relative_capacity"`
	MaxUEs           int                 `yaml:"max_ues"`
	Diameter         diameter.PeerConfig `yaml:"diameter"`
	HSS              HSSConfig           `yaml:"hss"`
	S11              S11Config           `yaml:"s11"`
	SGW              SGWConfig           `yaml:"sgw"`
	PGW              PGWConfig           `yaml:"pgw"`
	NAS              NASConfig           `yaml:"nas"`
	Timers           TimersConfig        `yaml:"timers"`
	DefaultUEAMBR    AMBRConfig          `yaml:"default_ue_ambr"`
	DrainTimeout     time.Duration       `yaml:"drain_timeout"`
}

// S1Config is where S1AP is served.
type S1Config struct {
	Listen string      `yaml:"listen"`
	SCTP   sctp.Config `yaml:"sctp"`
}

// PLMNConfig is the serving PLMN.
type PLMNConfig struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
}

// HSSConfig names the HSS and how S6a is used.
type HSSConfig struct {
	// Address is the HSS's Diameter host:port (TCP).
	Address          string `yaml:"address"`
	DestinationRealm string `yaml:"destination_realm"`
	DestinationHost  string `yaml:"destination_host"`
	PurgeOnDetach    bool   `yaml:"purge_on_detach"`
}

// S11Config is the MME's GTPv2-C socket towards SGWs.
type S11Config struct {
	Listen string `yaml:"listen"`
	// Address goes into our S11 F-TEID; empty: the listen address.
	Address string        `yaml:"address"`
	T3      time.Duration `yaml:"t3"`
	N3      int           `yaml:"n3"`
}

// SGWConfig lists the SGWs (S11 host:port), used round robin per UE.
type SGWConfig struct {
	S11 []string `yaml:"s11"`
}

// PGWConfig lists the PGW S5/S8-C addresses given to the SGW in Create
// Session Request, used round robin per PDN connection.
type PGWConfig struct {
	S5C []string `yaml:"s5c"`
}

// NASConfig orders the NAS algorithms the MME picks from.
type NASConfig struct {
	Integrity []string `yaml:"integrity"`
	Ciphering []string `yaml:"ciphering"`
	AllowNull bool     `yaml:"allow_null"`
}

// TimersConfig sets the NAS timers of TS 24.301 10.2.
type TimersConfig struct {
	T3450 time.Duration `yaml:"t3450"`
	T3460 time.Duration `yaml:"t3460"`
	T3470 time.Duration `yaml:"t3470"`
	T3422 time.Duration `yaml:"t3422"`
	// T3412 is the periodic TAU timer handed to UEs; 0 deactivates it.
	T3412              time.Duration `yaml:"t3412"`
	MaxRetransmissions int           `yaml:"max_retransmissions"`
	// Procedure bounds the ESM procedures and S1 answers the MME waits
	// for (E-RAB setup, release, context release).
	Procedure time.Duration `yaml:"procedure"`
}

// AMBRConfig is a UE-AMBR in bits per second.
type AMBRConfig struct {
	Uplink   uint64 `yaml:"uplink"`
	Downlink uint64 `yaml:"downlink"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("mme/default.yaml", DefaultYAML) }

// maxTACs is the most TAIs a TAI list holds.
const maxTACs = 16

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	add(c.S1.SCTP.Validate())
	if _, _, err := net.SplitHostPort(c.S1.Listen); err != nil {
		add(fmt.Errorf("s1.listen %q: %w", c.S1.Listen, err))
	}
	if c.Name == "" {
		add(errors.New("name is empty"))
	}
	if _, err := diameter.NewPLMNID(c.PLMN.MCC, c.PLMN.MNC); err != nil {
		add(fmt.Errorf("plmn: %w", err))
	}
	if len(c.TACs) == 0 || len(c.TACs) > maxTACs {
		add(fmt.Errorf("tacs: %d of them, want 1 to %d (the TAI list of TS 24.301 9.9.3.33)", len(c.TACs), maxTACs))
	}
	if len(slices.Compact(slices.Sorted(slices.Values(c.TACs)))) != len(c.TACs) {
		add(fmt.Errorf("tacs %v: a TAC is listed twice", c.TACs))
	}
	if c.MaxUEs <= 0 {
		add(fmt.Errorf("max_ues %d: want > 0", c.MaxUEs))
	}
	add(c.validatePeers())
	add(c.NAS.validate())
	add(c.Timers.validate())
	if c.DrainTimeout < 0 {
		add(fmt.Errorf("drain_timeout %v: want >= 0", c.DrainTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) validatePeers() error {
	var errs []error
	if err := c.Diameter.WithDefaults().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("diameter: %w", err))
	}
	if !slices.Contains(c.Diameter.Applications, diameter.AppS6a) {
		errs = append(errs, fmt.Errorf("diameter.applications %v: the MME uses S6a (%d)", c.Diameter.Applications, diameter.AppS6a))
	}
	if _, _, err := net.SplitHostPort(c.HSS.Address); err != nil {
		errs = append(errs, fmt.Errorf("hss.address %q: %w", c.HSS.Address, err))
	}
	if c.HSS.DestinationRealm == "" {
		errs = append(errs, errors.New("hss.destination_realm is empty"))
	}
	if _, _, err := net.SplitHostPort(c.S11.Listen); err != nil {
		errs = append(errs, fmt.Errorf("s11.listen %q: %w", c.S11.Listen, err))
	}
	if c.S11.Address != "" {
		if a, err := netip.ParseAddr(c.S11.Address); err != nil || !a.Is4() {
			errs = append(errs, fmt.Errorf("s11.address %q: want an IPv4 address", c.S11.Address))
		}
	}
	if c.S11.T3 < 0 || c.S11.N3 < 0 {
		errs = append(errs, fmt.Errorf("s11: t3 %v and n3 %d must not be negative", c.S11.T3, c.S11.N3))
	}
	if len(c.SGW.S11) == 0 {
		errs = append(errs, errors.New("sgw.s11 is empty"))
	}
	for i, s := range c.SGW.S11 {
		if _, err := netip.ParseAddrPort(s); err != nil {
			errs = append(errs, fmt.Errorf("sgw.s11[%d] %q: want ip:port", i, s))
		}
	}
	if len(c.PGW.S5C) == 0 {
		errs = append(errs, errors.New("pgw.s5c is empty"))
	}
	for i, s := range c.PGW.S5C {
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			errs = append(errs, fmt.Errorf("pgw.s5c[%d] %q: want an IPv4 address", i, s))
		}
	}
	return errors.Join(errs...)
}

func (t TimersConfig) validate() error {
	for name, d := range map[string]time.Duration{"t3450": t.T3450, "t3460": t.T3460, "t3470": t.T3470,
		"t3422": t.T3422, "procedure": t.Procedure} {
		if d <= 0 {
			return fmt.Errorf("timers.%s %v: want > 0", name, d)
		}
	}
	if t.MaxRetransmissions < 0 {
		return fmt.Errorf("timers.max_retransmissions %d: want >= 0", t.MaxRetransmissions)
	}
	if t.T3412 != 0 {
		if _, err := naseps.NewGPRSTimer(t.T3412); err != nil {
			return fmt.Errorf("timers.t3412 %v: %w", t.T3412, err)
		}
	}
	return nil
}

// Algorithm names of the NAS orders.
var (
	integrityNames = map[string]uint8{"EIA0": naseps.EIA0, "EIA1": naseps.EIA1, "EIA2": naseps.EIA2, "EIA3": naseps.EIA3}
	cipheringNames = map[string]uint8{"EEA0": naseps.EEA0, "EEA1": naseps.EEA1, "EEA2": naseps.EEA2, "EEA3": naseps.EEA3}
)

func (n NASConfig) validate() error {
	var errs []error
	check := func(key string, order []string, names map[string]uint8) {
		if len(order) == 0 {
			errs = append(errs, fmt.Errorf("nas.%s is empty", key))
		}
		for i, a := range order {
			if _, ok := names[strings.ToUpper(a)]; !ok {
				errs = append(errs, fmt.Errorf("nas.%s[%d] %q: want one of %s", key, i, a,
					strings.Join(slices.Sorted(maps.Keys(names)), ", ")))
			}
		}
	}
	check("integrity", n.Integrity, integrityNames)
	check("ciphering", n.Ciphering, cipheringNames)
	if len(errs) == 0 && len(n.integrity()) == 0 {
		errs = append(errs, errors.New("nas.integrity holds only EIA0, which needs allow_null: true"))
	}
	return errors.Join(errs...)
}

// integrity is the usable integrity order: EIA0 only with allow_null.
func (n NASConfig) integrity() []uint8 {
	var out []uint8
	for _, a := range n.Integrity {
		if v := integrityNames[strings.ToUpper(a)]; v != naseps.EIA0 || n.AllowNull {
			out = append(out, v)
		}
	}
	return out
}

// ciphering is the ciphering order; EEA0 is used whenever it is listed
// and the UE supports nothing before it.
func (n NASConfig) ciphering() []uint8 {
	var out []uint8
	for _, a := range n.Ciphering {
		out = append(out, cipheringNames[strings.ToUpper(a)])
	}
	return out
}
