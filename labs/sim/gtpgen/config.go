package gtpgen

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// Config is gtpgen's configuration (default.yaml documents every key).
type Config struct {
	Ops  nfkit.OpsConfig `yaml:"ops"`
	UPF  UPFConfig       `yaml:"upf"`
	PFCP PFCPConfig      `yaml:"pfcp"`
	N3   ListenConfig    `yaml:"n3"`
	N6   ListenConfig    `yaml:"n6"`
	// UEPool is where session UE addresses come from: its first hosts,
	// one per session. It must be a pool the UPF routes into its N6.
	UEPool string `yaml:"ue_pool"`
	// UEPort is the UDP port on the UE side of every session.
	UEPort int `yaml:"ue_port"`
	// DNN is the network instance put in the PDRs and FARs.
	DNN string `yaml:"dnn"`
	// QFI is the QoS flow of every session (uplink PDU Session Container,
	// PDR match and QER).
	QFI         int         `yaml:"qfi"`
	MaxSessions int         `yaml:"max_sessions"`
	Batch       int         `yaml:"batch"`
	Drain       DrainConfig `yaml:"drain"`
}

// UPFConfig says where the UPF under test is.
type UPFConfig struct {
	// PFCP is the UPF's N4 address: "host" or "host:port" (8805).
	PFCP string `yaml:"pfcp"`
	// GTPUPort is the UPF's N3 port; F-TEIDs carry only the address.
	GTPUPort int `yaml:"gtpu_port"`
	// N3 is the UPF's N3 address: the gateway of kernel-mode uplink.
	// Empty: kernel-mode uplink is refused.
	N3 string `yaml:"n3"`
	// N6 is the UPF's N6 address: the UE pool is routed via it while
	// gtpgen runs (added if missing, removed at stop). Empty: no route.
	N6 string `yaml:"n6"`
}

// PFCPConfig is gtpgen's own N4 side (the CP role).
type PFCPConfig struct {
	Listen            string        `yaml:"listen"`
	NodeID            string        `yaml:"node_id"`
	T1                time.Duration `yaml:"t1"`
	N1                int           `yaml:"n1"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	AssociateRetry    time.Duration `yaml:"associate_retry"`
	// Concurrency bounds the session requests in flight at once.
	Concurrency int `yaml:"concurrency"`
}

// ListenConfig is a socket's host:port.
type ListenConfig struct {
	Listen string `yaml:"listen"`
}

// DrainConfig bounds the wait for packets still in flight after sending.
type DrainConfig struct {
	// Quiet: the wait ends once nothing more arrived for this long.
	Quiet time.Duration `yaml:"quiet"`
	// Timeout: the wait ends after this long in any case.
	Timeout time.Duration `yaml:"timeout"`
}

// Limits of the config.
const (
	maxBatch        = 1024
	maxSessionLimit = 1 << 20
)

// DefaultConfig is default.yaml decoded. Its listen addresses are
// ${self.NET} references, resolved when the file is loaded in the instance.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("gtpgen/default.yaml", DefaultYAML) }

// Validate checks every key.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	_, err := c.upfPFCP()
	add(err)
	add(checkPort("upf.gtpu_port", c.UPF.GTPUPort, false))
	_, err = c.upfN6()
	add(err)
	_, err = c.upfN3()
	add(err)
	_, err = specificAddrPort("pfcp.listen", c.PFCP.Listen, true)
	add(err)
	if c.PFCP.NodeID != "" {
		if a, err := netip.ParseAddr(c.PFCP.NodeID); err != nil || !a.Is4() {
			add(fmt.Errorf("pfcp.node_id %q: want an IPv4 address or empty", c.PFCP.NodeID))
		}
	}
	add(c.PFCP.validate())
	_, err = specificAddrPort("n3.listen", c.N3.Listen, false)
	add(err)
	_, err = specificAddrPort("n6.listen", c.N6.Listen, false)
	add(err)
	pool, err := c.pool()
	add(err)
	add(checkPort("ue_port", c.UEPort, false))
	if c.DNN == "" {
		add(errors.New("dnn: empty (the network instance of the UPF's pool, e.g. internet)"))
	}
	if c.QFI < 1 || c.QFI > 63 {
		add(fmt.Errorf("qfi %d: want 1..63", c.QFI))
	}
	if c.MaxSessions < 1 || c.MaxSessions > maxSessionLimit {
		add(fmt.Errorf("max_sessions %d: want 1..%d", c.MaxSessions, maxSessionLimit))
	} else if err == nil && uint64(c.MaxSessions) > poolHosts(pool) {
		add(fmt.Errorf("max_sessions %d: ue_pool %s holds only %d UE addresses", c.MaxSessions, pool, poolHosts(pool)))
	}
	if c.Batch < 1 || c.Batch > maxBatch {
		add(fmt.Errorf("batch %d: want 1..%d", c.Batch, maxBatch))
	}
	if c.Drain.Quiet <= 0 || c.Drain.Timeout <= 0 || c.Drain.Quiet > c.Drain.Timeout {
		add(fmt.Errorf("drain: quiet %v and timeout %v must be positive, quiet <= timeout", c.Drain.Quiet, c.Drain.Timeout))
	}
	return errors.Join(errs...)
}

func (c PFCPConfig) validate() error {
	var errs []error
	if c.T1 <= 0 || c.N1 < 1 {
		errs = append(errs, fmt.Errorf("pfcp: t1 %v must be positive and n1 %d at least 1", c.T1, c.N1))
	}
	if c.HeartbeatInterval <= 0 || c.AssociateRetry <= 0 {
		errs = append(errs, fmt.Errorf("pfcp: heartbeat_interval %v and associate_retry %v must be positive",
			c.HeartbeatInterval, c.AssociateRetry))
	}
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		errs = append(errs, fmt.Errorf("pfcp.concurrency %d: want 1..4096", c.Concurrency))
	}
	return errors.Join(errs...)
}

// upfPFCP is the UPF's N4 address, port 8805 unless given.
func (c Config) upfPFCP() (netip.AddrPort, error) {
	hp := c.UPF.PFCP
	if hp == "" {
		return netip.AddrPort{}, errors.New("upf.pfcp: empty; name the UPF's N4 address (host or host:port)")
	}
	if _, _, err := net.SplitHostPort(hp); err != nil {
		hp = net.JoinHostPort(hp, strconv.Itoa(pfcp.Port))
	}
	ap, err := netip.ParseAddrPort(hp)
	if err != nil || !ap.Addr().Is4() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("upf.pfcp %q: want an IPv4 address, optionally with :port", c.UPF.PFCP)
	}
	return ap, nil
}

// upfN6 is the route gateway, or an invalid Addr when no route is wanted.
func (c Config) upfN6() (netip.Addr, error) {
	return optionalAddr("upf.n6", c.UPF.N6, "the UPF's N6 IPv4 address, or empty for no route")
}

// upfN3 is the kernel-mode uplink gateway, or an invalid Addr.
func (c Config) upfN3() (netip.Addr, error) {
	return optionalAddr("upf.n3", c.UPF.N3, "the UPF's N3 IPv4 address, or empty (no kernel-mode uplink)")
}

// optionalAddr parses a specific IPv4 address; empty is the invalid Addr.
func optionalAddr(key, s, want string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("%s %q: want %s", key, s, want)
	}
	return a, nil
}

// pool parses ue_pool.
func (c Config) pool() (netip.Prefix, error) {
	p, err := netip.ParsePrefix(c.UEPool)
	switch {
	case err != nil || !p.Addr().Is4():
		return p, fmt.Errorf("ue_pool %q: want an IPv4 CIDR such as 10.45.0.0/16", c.UEPool)
	case p != p.Masked():
		return p, fmt.Errorf("ue_pool %q: host bits set (did you mean %s?)", c.UEPool, p.Masked())
	case p.Bits() > 30:
		return p, fmt.Errorf("ue_pool %q: want a prefix of /30 or wider", c.UEPool)
	}
	return p, nil
}

// poolHosts is how many UE addresses a pool lends: all but the network
// and broadcast addresses.
func poolHosts(p netip.Prefix) uint64 { return 1<<(32-p.Bits()) - 2 }

// specificAddrPort parses a host:port whose host is one IPv4 address;
// port 0 (pick one) is allowed where anyPort.
func specificAddrPort(key, hp string, anyPort bool) (netip.AddrPort, error) {
	if strings.Contains(hp, "${") {
		return netip.AddrPort{}, fmt.Errorf("%s %q: unresolved reference (${self.NET} is resolved when the config file is loaded in the instance)", key, hp)
	}
	ap, err := netip.ParseAddrPort(hp)
	if err != nil || !ap.Addr().Is4() || ap.Addr().IsUnspecified() {
		return netip.AddrPort{}, fmt.Errorf("%s %q: want IPv4:port with a specific address (peers are told it)", key, hp)
	}
	if ap.Port() == 0 && !anyPort {
		return netip.AddrPort{}, fmt.Errorf("%s %q: port 0: name the port", key, hp)
	}
	return ap, nil
}

func checkPort(key string, p int, zeroOK bool) error {
	if p < 0 || p > 65535 || (p == 0 && !zeroOK) {
		return fmt.Errorf("%s %d: want 1..65535", key, p)
	}
	return nil
}
