package upf

import (
	"errors"
	"fmt"
	mbits "math/bits"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Config is the UPF's configuration (see default.yaml and README.md).
type Config struct {
	Ops       nfkit.OpsConfig `yaml:"ops"`
	PFCP      ListenConfig    `yaml:"pfcp"`
	NodeID    string          `yaml:"node_id"`
	GTPU      GTPUConfig      `yaml:"gtpu"`
	N3Address string          `yaml:"n3_address"`
	N6        N6Config        `yaml:"n6"`
	UEPools   []UEPool        `yaml:"ue_pools"`
	NRF       NRFConfig       `yaml:"nrf"`
	NSSAI     []Snssai        `yaml:"nssai"`
	Buffer    BufferConfig    `yaml:"buffer"`
	Workers   int             `yaml:"workers"`
}

// ListenConfig is a socket's host:port.
type ListenConfig struct {
	Listen string `yaml:"listen"`
}

// GTPUConfig is the N3 socket.
type GTPUConfig struct {
	Listen string `yaml:"listen"`
	// GSO sends each downlink batch's runs of G-PDUs to one gNB as UDP
	// GSO messages (see README.md).
	GSO bool `yaml:"gso"`
}

// N6 modes.
const (
	N6ModeTUN    = "tun"
	N6ModeMemory = "memory"
)

// N6Config says how the UPF reaches the data network.
type N6Config struct {
	Mode    string `yaml:"mode"`
	TUNName string `yaml:"tun_name"`
	// Network is the profile network the UE pools are announced on (ops
	// GET /routes), so the data network side routes them to us.
	Network string `yaml:"network"`
	MTU     int    `yaml:"mtu"`
}

// UEPool is a UE address pool and the DNN it serves. With Slices > 1 the
// CIDR is the DNN's whole pool, cut into Slices equal parts, and this UPF
// owns part Slice (a profile gives each replica ${self.index}), so UPF
// replicas never share addresses.
type UEPool struct {
	CIDR   string `yaml:"cidr"`
	DNN    string `yaml:"dnn"`
	Slices int    `yaml:"slices"`
	Slice  int    `yaml:"slice"`
}

// NRFConfig says where to register, and as whom.
type NRFConfig struct {
	URI        string `yaml:"uri"`
	InstanceID string `yaml:"instance_id"`
}

// Snssai is a slice the UPF serves.
type Snssai struct {
	SST int    `yaml:"sst"`
	SD  string `yaml:"sd"`
}

// BufferConfig bounds downlink buffering for idle UEs.
type BufferConfig struct {
	MaxPacketsPerSession int           `yaml:"max_packets_per_session"`
	ReportInterval       time.Duration `yaml:"report_interval"`
}

// DefaultConfig is default.yaml decoded. Its listen addresses are
// ${self.n4} and ${self.n3} references, resolved when nfkit.Load reads the
// config file inside the instance; on their own they do not validate.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("upf/default.yaml", DefaultYAML) }

var (
	tunNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)
	sdRe      = regexp.MustCompile(`^[0-9A-Fa-f]{6}$`)
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
	_, err := c.nodeAddr()
	add(err)
	_, err = c.n3Addr()
	add(err)
	add(c.N6.validate())
	_, err = c.pools()
	add(err)
	add(c.NRF.validate())
	for i, s := range c.NSSAI {
		if s.SST < 0 || s.SST > 255 {
			add(fmt.Errorf("nssai[%d].sst %d: want 0..255", i, s.SST))
		}
		if s.SD != "" && !sdRe.MatchString(s.SD) {
			add(fmt.Errorf("nssai[%d].sd %q: want 6 hex digits or empty", i, s.SD))
		}
	}
	if c.Buffer.MaxPacketsPerSession < 0 {
		add(fmt.Errorf("buffer.max_packets_per_session %d: want >= 0", c.Buffer.MaxPacketsPerSession))
	}
	if c.Buffer.ReportInterval <= 0 {
		add(fmt.Errorf("buffer.report_interval %v: want > 0", c.Buffer.ReportInterval))
	}
	if c.Workers < 0 || c.Workers > maxWorkers {
		add(fmt.Errorf("workers %d: want 0 (one per CPU) .. %d", c.Workers, maxWorkers))
	}
	return errors.Join(errs...)
}

// maxWorkers is the most TUN queues Linux gives one device.
const maxWorkers = 256

// workers is the data path's parallelism: workers, else one per CPU the
// process may use (GOMAXPROCS follows the affinity mask and CPU quota).
func (c Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return min(runtime.GOMAXPROCS(0), maxWorkers)
}

func (c N6Config) validate() error {
	if c.Network == "" {
		return errors.New("n6.network: empty (the network the UE pools are announced on, e.g. n6)")
	}
	switch c.Mode {
	case N6ModeMemory:
		return nil
	case N6ModeTUN:
	default:
		return fmt.Errorf("n6.mode %q: want tun or memory", c.Mode)
	}
	if !tunNameRe.MatchString(c.TUNName) {
		return fmt.Errorf("n6.tun_name %q: want 1-15 of letters, digits, '_', '.', '-'", c.TUNName)
	}
	if c.MTU < 576 || c.MTU > 9000 {
		return fmt.Errorf("n6.mtu %d: want 576..9000", c.MTU)
	}
	return nil
}

func (c NRFConfig) validate() error {
	if c.URI == "" {
		return nil
	}
	u, err := url.Parse(c.URI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("nrf.uri %q: want http(s)://host:port", c.URI)
	}
	return nil
}

// listenHost returns the IPv4 host of a host:port, or an invalid Addr for
// a wildcard host ("" or 0.0.0.0).
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

// ipv4Or parses an explicit IPv4 setting, else takes the listen address's
// host, which must then be specific.
func ipv4Or(key, explicit, listenKey, listen string) (netip.Addr, error) {
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

// nodeAddr is our PFCP Node ID: node_id, else the pfcp.listen address.
func (c Config) nodeAddr() (netip.Addr, error) {
	return ipv4Or("node_id", c.NodeID, "pfcp.listen", c.PFCP.Listen)
}

// n3Addr is the address in the F-TEIDs we allocate: n3_address, else the
// gtpu.listen address.
func (c Config) n3Addr() (netip.Addr, error) {
	return ipv4Or("n3_address", c.N3Address, "gtpu.listen", c.GTPU.Listen)
}

// pools parses ue_pools; at least one is needed (routes, NRF profile).
func (c Config) pools() ([]netip.Prefix, error) {
	if len(c.UEPools) == 0 {
		return nil, errors.New("ue_pools: list at least one {cidr, dnn}")
	}
	var errs []error
	out := make([]netip.Prefix, 0, len(c.UEPools))
	for i, p := range c.UEPools {
		pfx, err := netip.ParsePrefix(p.CIDR)
		switch {
		case err != nil || !pfx.Addr().Is4():
			errs = append(errs, fmt.Errorf("ue_pools[%d].cidr %q: want an IPv4 CIDR such as 10.45.0.0/16", i, p.CIDR))
		case pfx != pfx.Masked():
			errs = append(errs, fmt.Errorf("ue_pools[%d].cidr %q: host bits set (did you mean %s?)", i, p.CIDR, pfx.Masked()))
		}
		if p.DNN == "" {
			errs = append(errs, fmt.Errorf("ue_pools[%d].dnn: empty", i))
		}
		part, err := p.part(pfx)
		if err != nil {
			errs = append(errs, fmt.Errorf("ue_pools[%d]: %w", i, err))
		}
		out = append(out, part)
	}
	return out, errors.Join(errs...)
}

// part is the slice of pool this UPF owns: all of it unless Slices > 1.
func (p UEPool) part(pool netip.Prefix) (netip.Prefix, error) {
	n := max(p.Slices, 1)
	if n&(n-1) != 0 {
		return pool, fmt.Errorf("slices %d: want a power of two (1, 2, 4, 8 ...)", p.Slices)
	}
	if p.Slice < 0 || p.Slice >= n {
		return pool, fmt.Errorf("slice %d: want 0..%d (one of the %d slices)", p.Slice, n-1, n)
	}
	bits := pool.Bits() + mbits.Len(uint(n)) - 1
	if bits > 30 {
		return pool, fmt.Errorf("slices %d: %s cut in %d leaves fewer than 4 addresses each", p.Slices, pool, n)
	}
	base := pool.Masked().Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += uint32(p.Slice) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits), nil
}
