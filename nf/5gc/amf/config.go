package amf

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Config is the AMF's configuration (default.yaml documents every key).
type Config struct {
	Ops              nfkit.OpsConfig     `yaml:"ops"`
	SBI              sbi.ServerConfig    `yaml:"sbi"`
	AdvertiseURI     string              `yaml:"advertise_uri"`
	Client           sbi.ClientConfig    `yaml:"client"`
	N2               N2Config            `yaml:"n2"`
	NRF              NRFConfig           `yaml:"nrf"`
	Name             string              `yaml:"name"`
	GUAMI            GUAMIConfig         `yaml:"guami"`
	TAIList          []TAIConfig         `yaml:"tai_list"`
	PLMNSupport      []PLMNSupportConfig `yaml:"plmn_support"`
	Security         SecurityConfig      `yaml:"security"`
	T3512            time.Duration       `yaml:"t3512"`
	NetworkName      string              `yaml:"network_name"`
	DefaultDNN       string              `yaml:"default_dnn"`
	RelativeCapacity uint8               `yaml:"relative_capacity"`
	Peers            PeersConfig         `yaml:"peers"`
	Timers           TimersConfig        `yaml:"timers"`
	DrainTimeout     time.Duration       `yaml:"drain_timeout"`
}

// N2Config is where NGAP is served.
type N2Config struct {
	Listen string      `yaml:"listen"`
	SCTP   sctp.Config `yaml:"sctp"`
}

// NRFConfig names the NRF and our instance ID there.
type NRFConfig struct {
	URI        string `yaml:"uri"`
	InstanceID string `yaml:"instance_id"`
}

// GUAMIConfig is the AMF's GUAMI; its PLMN is the serving PLMN.
type GUAMIConfig struct {
	MCC      string `yaml:"mcc"`
	MNC      string `yaml:"mnc"`
	RegionID uint8  `yaml:"region_id"`
	SetID    uint16 `yaml:"set_id"`
	Pointer  uint8  `yaml:"pointer"`
}

// TAIConfig is one tracking area the AMF serves.
type TAIConfig struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
	TAC uint32 `yaml:"tac"`
}

// PLMNSupportConfig is a served PLMN and its slices.
type PLMNSupportConfig struct {
	MCC    string        `yaml:"mcc"`
	MNC    string        `yaml:"mnc"`
	Slices []SliceConfig `yaml:"slices"`
}

// SliceConfig is an S-NSSAI; SD is 6 hex digits or empty.
type SliceConfig struct {
	SST uint8  `yaml:"sst"`
	SD  string `yaml:"sd"`
}

// SecurityConfig orders the NAS algorithms the AMF picks from.
type SecurityConfig struct {
	IntegrityOrder []string `yaml:"integrity_order"`
	CipheringOrder []string `yaml:"ciphering_order"`
	AllowNull      bool     `yaml:"allow_null"`
}

// PeersConfig overrides NRF discovery with fixed apiRoots.
type PeersConfig struct {
	AUSF        string `yaml:"ausf"`
	UDM         string `yaml:"udm"`
	SMF         string `yaml:"smf"`
	NSSF        string `yaml:"nssf"`
	UDMOptional bool   `yaml:"udm_optional"`
}

// TimersConfig sets the NAS retransmission timers.
type TimersConfig struct {
	T3550              time.Duration `yaml:"t3550"`
	T3560              time.Duration `yaml:"t3560"`
	MaxRetransmissions int           `yaml:"max_retransmissions"`
}

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	add(c.SBI.Validate())
	add(c.Client.Validate())
	add(c.N2.SCTP.Validate())
	if c.N2.Listen == "" {
		add(errors.New("n2.listen is empty"))
	}
	for key, u := range map[string]string{"advertise_uri": c.AdvertiseURI, "nrf.uri": c.NRF.URI,
		"peers.ausf": c.Peers.AUSF, "peers.udm": c.Peers.UDM, "peers.smf": c.Peers.SMF, "peers.nssf": c.Peers.NSSF} {
		add(checkURI(key, u))
	}
	if c.NRF.URI == "" {
		for key, u := range map[string]string{"peers.ausf": c.Peers.AUSF, "peers.udm": c.Peers.UDM, "peers.smf": c.Peers.SMF} {
			if u == "" {
				add(fmt.Errorf("%s: set it, or nrf.uri to discover it", key))
			}
		}
	}
	if c.Name == "" {
		add(errors.New("name is empty"))
	}
	add(c.GUAMI.validate())
	if len(c.TAIList) == 0 {
		add(errors.New("tai_list is empty"))
	}
	for i, t := range c.TAIList {
		add(checkPLMN(fmt.Sprintf("tai_list[%d]", i), t.MCC, t.MNC))
		if t.TAC > 0xFFFFFF {
			add(fmt.Errorf("tai_list[%d].tac %d: want 24 bits", i, t.TAC))
		}
	}
	if len(c.PLMNSupport) == 0 {
		add(errors.New("plmn_support is empty"))
	}
	for i, p := range c.PLMNSupport {
		add(checkPLMN(fmt.Sprintf("plmn_support[%d]", i), p.MCC, p.MNC))
		if len(p.Slices) == 0 {
			add(fmt.Errorf("plmn_support[%d].slices is empty", i))
		}
		for j, s := range p.Slices {
			if _, err := s.snssai(); err != nil {
				add(fmt.Errorf("plmn_support[%d].slices[%d]: %w", i, j, err))
			}
		}
	}
	add(c.Security.validate())
	if !timer3OK(c.T3512) {
		add(fmt.Errorf("t3512 %v: not a GPRS timer 3 value (n times 2s, 30s, 1m, 10m, 1h, 10h or 320h, n <= 31)", c.T3512))
	}
	if c.Timers.T3550 <= 0 || c.Timers.T3560 <= 0 || c.Timers.MaxRetransmissions < 0 {
		add(fmt.Errorf("timers: t3550 %v and t3560 %v must be > 0, max_retransmissions %d >= 0",
			c.Timers.T3550, c.Timers.T3560, c.Timers.MaxRetransmissions))
	}
	if c.DrainTimeout < 0 {
		add(fmt.Errorf("drain_timeout %v: want >= 0", c.DrainTimeout))
	}
	return errors.Join(errs...)
}

func checkURI(key, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want http(s)://host:port", key, s)
	}
	return nil
}

func checkPLMN(key, mcc, mnc string) error {
	if err := (nas5g.PLMN{MCC: mcc, MNC: mnc}).Validate(); err != nil {
		return fmt.Errorf("%s: mcc %q mnc %q: %w", key, mcc, mnc, err)
	}
	return nil
}

func (g GUAMIConfig) validate() error {
	if err := checkPLMN("guami", g.MCC, g.MNC); err != nil {
		return err
	}
	if g.SetID > 0x3FF || g.Pointer > 0x3F {
		return fmt.Errorf("guami: set_id %d (10 bits) or pointer %d (6 bits) out of range", g.SetID, g.Pointer)
	}
	return nil
}

func (g GUAMIConfig) plmn() nas5g.PLMN { return nas5g.PLMN{MCC: g.MCC, MNC: g.MNC} }

func (g GUAMIConfig) guami() n2.GUAMI {
	return n2.GUAMI{PLMN: g.plmn(), RegionID: g.RegionID, SetID: g.SetID, Pointer: g.Pointer}
}

func (s SliceConfig) snssai() (nas5g.SNSSAI, error) {
	if s.SD == "" {
		return nas5g.SNSSAI{SST: s.SST}, nil
	}
	v, err := strconv.ParseUint(s.SD, 16, 32)
	if err != nil || len(s.SD) != 6 {
		return nas5g.SNSSAI{}, fmt.Errorf("sd %q: want 6 hex digits", s.SD)
	}
	return nas5g.SNSSAI{SST: s.SST, SD: uint32(v), HasSD: true}, nil
}

// Algorithm names of the security orders.
var (
	integrityNames = map[string]uint8{"NIA0": 0, "NIA1": 1, "NIA2": 2, "NIA3": 3}
	cipheringNames = map[string]uint8{"NEA0": 0, "NEA1": 1, "NEA2": 2, "NEA3": 3}
)

func (s SecurityConfig) validate() error {
	var errs []error
	check := func(key string, order []string, names map[string]uint8) {
		if len(order) == 0 {
			errs = append(errs, fmt.Errorf("security.%s is empty", key))
		}
		for i, a := range order {
			if _, ok := names[strings.ToUpper(a)]; !ok {
				errs = append(errs, fmt.Errorf("security.%s[%d] %q: want one of %s", key, i, a, strings.Join(slices.Sorted(maps.Keys(names)), ", ")))
			}
		}
	}
	check("integrity_order", s.IntegrityOrder, integrityNames)
	check("ciphering_order", s.CipheringOrder, cipheringNames)
	if len(errs) == 0 && len(s.integrity()) == 0 {
		errs = append(errs, errors.New("security.integrity_order holds only NIA0, which needs allow_null: true"))
	}
	return errors.Join(errs...)
}

// integrity is the usable integrity order: NIA0 only with allow_null.
func (s SecurityConfig) integrity() []uint8 {
	var out []uint8
	for _, a := range s.IntegrityOrder {
		if v := integrityNames[strings.ToUpper(a)]; v != nas5g.NIA0 || s.AllowNull {
			out = append(out, v)
		}
	}
	return out
}

// ciphering is the ciphering order; NEA0 is used whenever it is listed.
func (s SecurityConfig) ciphering() []uint8 {
	var out []uint8
	for _, a := range s.CipheringOrder {
		out = append(out, cipheringNames[strings.ToUpper(a)])
	}
	return out
}

// timer3OK reports whether d fits a GPRS timer 3 (TS 24.008 10.5.7.4a):
// zero (left out), deactivated, or up to 31 of one of its units.
func timer3OK(d time.Duration) bool {
	if d == 0 || d == nas5g.TimerDeactivated {
		return true
	}
	for _, unit := range []time.Duration{2 * time.Second, 30 * time.Second, time.Minute, 10 * time.Minute,
		time.Hour, 10 * time.Hour, 320 * time.Hour} {
		if d > 0 && d%unit == 0 && d/unit <= 31 {
			return true
		}
	}
	return false
}
