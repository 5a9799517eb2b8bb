package ue

import (
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// Config is the UE simulator's configuration (default.yaml documents it).
type Config struct {
	Ops nfkit.OpsConfig `yaml:"ops"`
	// RAT is the radio access the UEs use: nr (5GS, towards a gNB) or lte
	// (EPS, towards an eNB).
	RAT string `yaml:"rat"`
	// GNB is the gNB's radio address: "host" or "host:port" (port 4997).
	GNB string `yaml:"gnb"`
	// ENB is the eNB's radio address in lte mode, in the same form.
	ENB   string      `yaml:"enb"`
	Radio RadioConfig `yaml:"radio"`
	PLMN  PLMN        `yaml:"plmn"`
	UEs   UEsConfig   `yaml:"ues"`
	// Security lists the algorithms the UEs advertise, in preference order.
	Security  SecurityConfig  `yaml:"security"`
	Session   SessionConfig   `yaml:"session"`
	DataPlane DataPlaneConfig `yaml:"data_plane"`
	// LTE holds what only lte mode uses.
	LTE LTEConfig `yaml:"lte"`
	// MaxConcurrency bounds how many UEs run a control-API step at once,
	// whatever the request asks.
	MaxConcurrency int `yaml:"max_concurrency"`
}

// RadioConfig is the simulator's own radio socket.
type RadioConfig struct {
	Listen string `yaml:"listen"`
}

// PLMN is the home (and serving) PLMN.
type PLMN struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
}

// UEsConfig describes the UEs: IMSIs from IMSI upwards, all with the same
// credentials.
type UEsConfig struct {
	IMSI  string `yaml:"imsi"`
	Count int    `yaml:"count"`
	K     string `yaml:"k"`
	OPc   string `yaml:"opc"`
	OP    string `yaml:"op"`
	// AMF is accepted for UERANSIM-style configs; 5G AKA takes the AMF
	// from each challenge's AUTN, so it only has to be well-formed.
	AMF              string `yaml:"amf"`
	RoutingIndicator string `yaml:"routing_indicator"`
	ProtectionScheme string `yaml:"protection_scheme"` // null, a, b
	HNPublicKey      string `yaml:"hn_public_key"`
	HNKeyID          int    `yaml:"hn_key_id"`
	// IMEISV of the first UE (16 digits); the others count up from it.
	IMEISV string `yaml:"imeisv"`
}

// SecurityConfig lists NAS algorithms by name (NIA1..3, NEA0..3).
type SecurityConfig struct {
	Integrity []string `yaml:"integrity"`
	Ciphering []string `yaml:"ciphering"`
}

// SessionConfig is the default PDU session of the sessions step.
type SessionConfig struct {
	DNN string `yaml:"dnn"`
	SST int    `yaml:"sst"`
	SD  string `yaml:"sd"`
}

// DataPlaneConfig selects how session addresses reach programs.
type DataPlaneConfig struct {
	Mode         string `yaml:"mode"` // tun or memory
	TunName      string `yaml:"tun_name"`
	Table        int    `yaml:"table"`
	RulePriority int    `yaml:"rule_priority"`
	MTU          int    `yaml:"mtu"`
}

// Data plane modes.
const (
	ModeTUN    = "tun"
	ModeMemory = "memory"
)

// maxUEs bounds the UEs of one simulator.
const maxUEs = 100000

// Validate checks every key.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// RATs.
const (
	RATNR  = "nr"
	RATLTE = "lte"
)

// resolved is the config in the forms the simulator uses.
type resolved struct {
	lte       bool
	gnb       netip.AddrPort // the radio peer: the gNB, or the eNB in lte mode
	plmn      nas5g.PLMN
	firstIMSI uint64
	imsiLen   int
	k, opc    []byte
	op        []byte
	scheme    aka.ProtectionScheme
	hnPub     *ecdh.PublicKey
	caps      nas5g.UESecurityCapability
	intAlgs   []uint8
	encAlgs   []uint8
	slice     nas5g.SNSSAI
	imeisv    uint64
	eps       epsResolved
}

func (c Config) resolve() (resolved, error) {
	var r resolved
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	var err error
	add(c.resolvePeer(&r))
	add(simkit.CheckListen("radio.listen", c.Radio.Listen))
	r.plmn = nas5g.PLMN{MCC: c.PLMN.MCC, MNC: c.PLMN.MNC}
	if err := r.plmn.Validate(); err != nil {
		add(fmt.Errorf("plmn: %w", err))
	}
	add(c.UEs.resolve(&r))
	add(c.Security.resolve(&r))
	if r.slice, err = sliceOf(c.Session.SST, c.Session.SD); err != nil {
		add(fmt.Errorf("session: %w", err))
	}
	if c.Session.DNN == "" {
		add(errors.New("session.dnn: name the default DNN (internet)"))
	}
	add(c.DataPlane.validate())
	if r.lte {
		add(c.LTE.resolve(&r))
	}
	if c.MaxConcurrency <= 0 {
		add(fmt.Errorf("max_concurrency %d: must be positive", c.MaxConcurrency))
	}
	return r, errors.Join(errs...)
}

func (u UEsConfig) resolve(r *resolved) error {
	var errs []error
	if len(u.IMSI) < 6 || len(u.IMSI) > 15 || !digits(u.IMSI) {
		errs = append(errs, fmt.Errorf("ues.imsi %q: want 6..15 digits", u.IMSI))
	} else {
		r.firstIMSI, _ = strconv.ParseUint(u.IMSI, 10, 64)
		r.imsiLen = len(u.IMSI)
	}
	if u.Count < 1 || u.Count > maxUEs {
		errs = append(errs, fmt.Errorf("ues.count %d: want 1..%d", u.Count, maxUEs))
	} else if r.imsiLen > 0 && len(strconv.FormatUint(r.firstIMSI+uint64(u.Count-1), 10)) > r.imsiLen {
		errs = append(errs, fmt.Errorf("ues.count %d: IMSIs from %s would overflow %d digits", u.Count, u.IMSI, r.imsiLen))
	}
	var err error
	if r.k, err = hexKey("ues.k", u.K); err != nil {
		errs = append(errs, err)
	}
	switch {
	case u.OPc != "":
		r.opc, err = hexKey("ues.opc", u.OPc)
	case u.OP != "":
		r.op, err = hexKey("ues.op", u.OP)
	default:
		err = errors.New("ues: set opc or op")
	}
	if err != nil {
		errs = append(errs, err)
	}
	if b, err := hex.DecodeString(u.AMF); err != nil || len(b) != 2 {
		errs = append(errs, fmt.Errorf("ues.amf %q: want 4 hex digits (8000)", u.AMF))
	}
	if n := len(u.RoutingIndicator); n < 1 || n > 4 || !digits(u.RoutingIndicator) {
		errs = append(errs, fmt.Errorf("ues.routing_indicator %q: want 1..4 digits", u.RoutingIndicator))
	}
	errs = append(errs, u.resolveScheme(r))
	if len(u.IMEISV) != 16 || !digits(u.IMEISV) {
		errs = append(errs, fmt.Errorf("ues.imeisv %q: want 16 digits", u.IMEISV))
	} else {
		r.imeisv, _ = strconv.ParseUint(u.IMEISV, 10, 64)
	}
	return errors.Join(errs...)
}

func (u UEsConfig) resolveScheme(r *resolved) error {
	switch strings.ToLower(u.ProtectionScheme) {
	case "null", "":
		r.scheme = aka.SchemeNull
		if u.HNKeyID != 0 {
			return fmt.Errorf("ues.hn_key_id %d: the null scheme uses key ID 0", u.HNKeyID)
		}
		return nil
	case "a":
		r.scheme = aka.SchemeProfileA
	case "b":
		r.scheme = aka.SchemeProfileB
	default:
		return fmt.Errorf("ues.protection_scheme %q: want null, a or b", u.ProtectionScheme)
	}
	if u.HNKeyID < 1 || u.HNKeyID > 255 {
		return fmt.Errorf("ues.hn_key_id %d: want 1..255 with profile %s", u.HNKeyID, u.ProtectionScheme)
	}
	b, err := hex.DecodeString(u.HNPublicKey)
	if err != nil {
		return fmt.Errorf("ues.hn_public_key: want hex: %w", err)
	}
	if r.hnPub, err = aka.ParseHNPublicKey(r.scheme, b); err != nil {
		return fmt.Errorf("ues.hn_public_key: %w", err)
	}
	return nil
}

func (s SecurityConfig) resolve(r *resolved) error {
	var errs []error
	if len(s.Integrity) == 0 || len(s.Ciphering) == 0 {
		errs = append(errs, errors.New("security: list at least one integrity and one ciphering algorithm"))
	}
	for _, name := range s.Integrity {
		a, err := algorithm(name, "NIA")
		if err == nil && a == 0 {
			err = errors.New("NIA0 (no integrity) is for emergency calls only")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("security.integrity: %w", err))
			continue
		}
		r.intAlgs = append(r.intAlgs, a)
		r.caps.IA |= nas5g.AlgBit(a)
	}
	for _, name := range s.Ciphering {
		a, err := algorithm(name, "NEA")
		if err != nil {
			errs = append(errs, fmt.Errorf("security.ciphering: %w", err))
			continue
		}
		r.encAlgs = append(r.encAlgs, a)
		r.caps.EA |= nas5g.AlgBit(a)
	}
	return errors.Join(errs...)
}

func algorithm(name, prefix string) (uint8, error) {
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, prefix) || len(up) != len(prefix)+1 || up[len(prefix)] < '0' || up[len(prefix)] > '3' {
		return 0, fmt.Errorf("%q: want %s0..%s3", name, prefix, prefix)
	}
	return up[len(prefix)] - '0', nil
}

func (d DataPlaneConfig) validate() error {
	switch d.Mode {
	case ModeMemory:
		return nil
	case ModeTUN:
	default:
		return fmt.Errorf("data_plane.mode %q: want tun or memory", d.Mode)
	}
	var errs []error
	if d.TunName == "" || len(d.TunName) > 15 {
		errs = append(errs, fmt.Errorf("data_plane.tun_name %q: want 1..15 characters", d.TunName))
	}
	if d.Table < 1 || d.Table > math.MaxInt32 || d.Table == 253 || d.Table == 254 || d.Table == 255 {
		errs = append(errs, fmt.Errorf("data_plane.table %d: want a free routing table (not 253..255)", d.Table))
	}
	if d.RulePriority < 1 || d.RulePriority >= 32766 {
		errs = append(errs, fmt.Errorf("data_plane.rule_priority %d: want 1..32765 (before the main table)", d.RulePriority))
	}
	if d.MTU < 576 || d.MTU > 65000 {
		errs = append(errs, fmt.Errorf("data_plane.mtu %d: want 576..65000", d.MTU))
	}
	return errors.Join(errs...)
}

// sliceOf converts an SST and an SD of 6 hex digits (or "").
func sliceOf(sst int, sd string) (nas5g.SNSSAI, error) {
	if sst < 1 || sst > 255 {
		return nas5g.SNSSAI{}, fmt.Errorf("sst %d: want 1..255", sst)
	}
	s := nas5g.SNSSAI{SST: uint8(sst)}
	if sd == "" {
		return s, nil
	}
	v, err := strconv.ParseUint(sd, 16, 32)
	if err != nil || len(sd) != 6 {
		return s, fmt.Errorf("sd %q: want 6 hex digits or empty", sd)
	}
	s.SD, s.HasSD = uint32(v), true
	return s, nil
}

func hexKey(key, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("%s: want 32 hex digits", key)
	}
	return b, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// resolvePeer picks the radio peer of the RAT: the gNB (nr) or the eNB
// (lte); the other key must stay empty, so a config cannot mean both.
func (c Config) resolvePeer(r *resolved) error {
	var err error
	switch c.RAT {
	case RATNR:
		if c.ENB != "" {
			return fmt.Errorf("enb %q: only with rat lte (rat is nr: set gnb)", c.ENB)
		}
		r.gnb, err = peerAddr("gnb", "gNB", c.GNB)
	case RATLTE:
		if c.GNB != "" {
			return fmt.Errorf("gnb %q: only with rat nr (rat is lte: set enb)", c.GNB)
		}
		r.lte = true
		r.gnb, err = peerAddr("enb", "eNB", c.ENB)
	default:
		err = fmt.Errorf("rat %q: want nr or lte", c.RAT)
	}
	return err
}

// peerAddr reads "ip" or "ip:port" (radio.Port by default).
func peerAddr(key, name, s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.AddrPort{}, fmt.Errorf("%s %q: want the %s's IPv4 address, optionally with :port", key, s, name)
	}
	return netip.AddrPortFrom(a, radio.Port), nil
}

// supiOf is the SUPI of UE index i.
func (r resolved) supiOf(i int) string {
	return "imsi-" + fmt.Sprintf("%0*d", r.imsiLen, r.firstIMSI+uint64(i))
}
