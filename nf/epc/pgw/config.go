package pgw

import (
	"errors"
	"fmt"
	mbits "math/bits"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Config is the PGW's configuration (see default.yaml and README.md).
type Config struct {
	Ops         nfkit.OpsConfig   `yaml:"ops"`
	GTPC        GTPCConfig        `yaml:"gtpc"`
	GTPU        GTPUConfig        `yaml:"gtpu"`
	APNs        []APNConfig       `yaml:"apns"`
	LocalPolicy LocalPolicyConfig `yaml:"local_policy"`
	Gx          GxConfig          `yaml:"gx"`
}

// GTPCConfig is the S5/S8-C socket.
type GTPCConfig struct {
	Listen   string        `yaml:"listen"`
	Address  string        `yaml:"address"`
	PeerPort uint16        `yaml:"peer_port"`
	T3       time.Duration `yaml:"t3"`
	N3       int           `yaml:"n3"`
}

// GTPUConfig is the S5/S8-U socket.
type GTPUConfig struct {
	Listen   string `yaml:"listen"`
	Address  string `yaml:"address"`
	PeerPort uint16 `yaml:"peer_port"`
}

// APNConfig is one APN: its pool, DNS and P-CSCF addresses, and SGi side.
type APNConfig struct {
	Name   string    `yaml:"name"`
	CIDR   string    `yaml:"cidr"`
	Slices int       `yaml:"slices"`
	Slice  int       `yaml:"slice"`
	DNS    []string  `yaml:"dns"`
	PCSCF  []string  `yaml:"pcscf"`
	SGi    SGiConfig `yaml:"sgi"`
}

// SGi modes.
const (
	SGiModeTUN    = "tun"
	SGiModeMemory = "memory"
)

// SGiConfig is how an APN's packets reach its data network.
type SGiConfig struct {
	Mode    string `yaml:"mode"`
	TUNName string `yaml:"tun_name"`
	MTU     int    `yaml:"mtu"`
	Network string `yaml:"network"`
	Gateway string `yaml:"gateway"`
}

// LocalPolicyConfig is the QoS granted without a PCRF.
type LocalPolicyConfig struct {
	QCI         uint8  `yaml:"qci"`
	ARPPriority uint8  `yaml:"arp_priority"`
	AMBRULKbps  uint32 `yaml:"ambr_ul_kbps"`
	AMBRDLKbps  uint32 `yaml:"ambr_dl_kbps"`
}

// GxConfig says whether and how to reach a PCRF.
type GxConfig struct {
	Enabled          bool          `yaml:"enabled"`
	Peer             string        `yaml:"peer"`
	OriginHost       string        `yaml:"origin_host"`
	OriginRealm      string        `yaml:"origin_realm"`
	DestinationRealm string        `yaml:"destination_realm"`
	RequestTimeout   time.Duration `yaml:"request_timeout"`
}

// DefaultConfig is default.yaml decoded. Its listen addresses are
// ${self.s5} references, resolved when nfkit.Load reads the config file
// inside the instance; on their own they do not validate.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("pgw/default.yaml", DefaultYAML) }

var (
	tunNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)
	apnNameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$`)
)

// Validate checks every key.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	_, err := c.gtpcAddr()
	add(err)
	_, err = c.gtpuAddr()
	add(err)
	if c.GTPC.T3 <= 0 || c.GTPC.N3 < 0 {
		add(fmt.Errorf("gtpc.t3 %v / n3 %d: want t3 > 0, n3 >= 0", c.GTPC.T3, c.GTPC.N3))
	}
	if c.GTPC.PeerPort == 0 || c.GTPU.PeerPort == 0 {
		add(errors.New("gtpc.peer_port and gtpu.peer_port: want 1..65535"))
	}
	_, err = c.apns()
	add(err)
	if q := c.LocalPolicy.QCI; q == 0 {
		add(fmt.Errorf("local_policy.qci %d: want 1..255", q))
	}
	if p := c.LocalPolicy.ARPPriority; p < 1 || p > 15 {
		add(fmt.Errorf("local_policy.arp_priority %d: want 1..15", p))
	}
	add(c.Gx.validate())
	return errors.Join(errs...)
}

func (g GxConfig) validate() error {
	if !g.Enabled {
		return nil
	}
	var errs []error
	if _, _, err := net.SplitHostPort(g.Peer); err != nil {
		errs = append(errs, fmt.Errorf("gx.peer %q: want host:port of the PCRF: %w", g.Peer, err))
	}
	if g.OriginHost == "" || g.OriginRealm == "" || g.DestinationRealm == "" {
		errs = append(errs, errors.New("gx.origin_host, origin_realm and destination_realm: all needed"))
	}
	if g.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("gx.request_timeout %v: want > 0", g.RequestTimeout))
	}
	return errors.Join(errs...)
}

// apn is a validated APN config.
type apnSpec struct {
	cfg   APNConfig
	pool  netip.Prefix // this PGW's part
	dns   []netip.Addr
	pcscf []netip.Addr
	gw    netip.Addr // invalid: on-link
}

// apns validates the APN list.
func (c Config) apns() ([]apnSpec, error) {
	if len(c.APNs) == 0 {
		return nil, errors.New("apns: list at least one")
	}
	var errs []error
	seen := map[string]bool{}
	out := make([]apnSpec, 0, len(c.APNs))
	for i, a := range c.APNs {
		s, err := a.spec()
		if err != nil {
			errs = append(errs, fmt.Errorf("apns[%d]: %w", i, err))
			continue
		}
		key := strings.ToLower(a.Name)
		if seen[key] {
			errs = append(errs, fmt.Errorf("apns[%d].name %q: listed twice", i, a.Name))
		}
		seen[key] = true
		for _, o := range out {
			if o.pool.Overlaps(s.pool) {
				errs = append(errs, fmt.Errorf("apns[%d].cidr %s overlaps %s of %q", i, s.pool, o.pool, o.cfg.Name))
			}
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

func (a APNConfig) spec() (apnSpec, error) {
	var errs []error
	s := apnSpec{cfg: a}
	if !apnNameRe.MatchString(a.Name) {
		errs = append(errs, fmt.Errorf("name %q: want dot-separated labels of letters, digits and '-'", a.Name))
	}
	pool, err := netip.ParsePrefix(a.CIDR)
	switch {
	case err != nil || !pool.Addr().Is4():
		errs = append(errs, fmt.Errorf("cidr %q: want an IPv4 CIDR such as 10.46.0.0/16", a.CIDR))
	case pool != pool.Masked():
		errs = append(errs, fmt.Errorf("cidr %q: host bits set (did you mean %s?)", a.CIDR, pool.Masked()))
	default:
		if s.pool, err = slicePart(pool, a.Slices, a.Slice); err != nil {
			errs = append(errs, err)
		}
	}
	if s.dns, err = ipv4List("dns", a.DNS); err != nil {
		errs = append(errs, err)
	}
	if s.pcscf, err = ipv4List("pcscf", a.PCSCF); err != nil {
		errs = append(errs, err)
	}
	if err := a.SGi.validate(); err != nil {
		errs = append(errs, err)
	}
	if a.SGi.Gateway != "" {
		if s.gw, err = netip.ParseAddr(a.SGi.Gateway); err != nil || !s.gw.Is4() {
			errs = append(errs, fmt.Errorf("sgi.gateway %q: want an IPv4 address or empty", a.SGi.Gateway))
		}
	}
	return s, errors.Join(errs...)
}

func (c SGiConfig) validate() error {
	if c.Network == "" {
		return errors.New("sgi.network: empty (the network the pool egresses on, e.g. sgi)")
	}
	switch c.Mode {
	case SGiModeMemory:
		return nil
	case SGiModeTUN:
	default:
		return fmt.Errorf("sgi.mode %q: want tun or memory", c.Mode)
	}
	if !tunNameRe.MatchString(c.TUNName) {
		return fmt.Errorf("sgi.tun_name %q: want 1-15 of letters, digits, '_', '.', '-'", c.TUNName)
	}
	if c.MTU < 576 || c.MTU > 9000 {
		return fmt.Errorf("sgi.mtu %d: want 576..9000", c.MTU)
	}
	return nil
}

func ipv4List(key string, in []string) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(in))
	for i, s := range in {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			return nil, fmt.Errorf("%s[%d] %q: want an IPv4 address", key, i, s)
		}
		out = append(out, a)
	}
	return out, nil
}

// slicePart is the part of pool this PGW owns: all of it unless slices >
// 1 (the same cut as the UPF's ue_pools, so one DN routing scheme fits
// both).
func slicePart(pool netip.Prefix, slices, slice int) (netip.Prefix, error) {
	if pool.Bits() > 30 {
		return pool, fmt.Errorf("cidr %s: want a /30 or shorter prefix (at least 2 UE addresses)", pool)
	}
	n := max(slices, 1)
	if n&(n-1) != 0 {
		return pool, fmt.Errorf("slices %d: want a power of two (1, 2, 4, 8 ...)", slices)
	}
	if slice < 0 || slice >= n {
		return pool, fmt.Errorf("slice %d: want 0..%d (one of the %d slices)", slice, n-1, n)
	}
	bits := pool.Bits() + mbits.Len(uint(n)) - 1
	if bits > 30 {
		return pool, fmt.Errorf("slices %d: %s cut in %d leaves fewer than 4 addresses each", slices, pool, n)
	}
	v := addrU32(pool.Addr()) + uint32(slice)<<(32-bits)
	return netip.PrefixFrom(u32Addr(v), bits), nil
}

func addrU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32Addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// listenHost is the IPv4 host of a host:port; invalid for a wildcard.
func listenHost(key, listen string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s %q: %w", key, listen, err)
	}
	if strings.Contains(host, "${") {
		return netip.Addr{}, fmt.Errorf("%s %q: unresolved reference (${self.NET} is resolved when the config file is loaded in the instance)", key, listen)
	}
	if host == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%s %q: host must be an IPv4 address", key, listen)
	}
	if a.IsUnspecified() {
		return netip.Addr{}, nil
	}
	return a, nil
}

// advertised is an explicit address, else the listen host (which must
// then be specific): what goes into our F-TEIDs.
func advertised(key, explicit, listenKey, listen string) (netip.Addr, error) {
	host, err := listenHost(listenKey, listen)
	if err != nil {
		return netip.Addr{}, err
	}
	if explicit != "" {
		a, err := netip.ParseAddr(explicit)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			return netip.Addr{}, fmt.Errorf("%s %q: want a specific IPv4 address", key, explicit)
		}
		return a, nil
	}
	if !host.IsValid() {
		return netip.Addr{}, fmt.Errorf("%s: set it, or give %s a specific IPv4 address (it is %q)", key, listenKey, listen)
	}
	return host, nil
}

func (c Config) gtpcAddr() (netip.Addr, error) {
	return advertised("gtpc.address", c.GTPC.Address, "gtpc.listen", c.GTPC.Listen)
}

func (c Config) gtpuAddr() (netip.Addr, error) {
	return advertised("gtpu.address", c.GTPU.Address, "gtpu.listen", c.GTPU.Listen)
}
