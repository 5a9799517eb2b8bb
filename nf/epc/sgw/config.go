package sgw

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Config is the SGW's configuration (see default.yaml and README.md).
type Config struct {
	Ops    nfkit.OpsConfig `yaml:"ops"`
	S11    SocketConfig    `yaml:"s11"`
	S5C    SocketConfig    `yaml:"s5c"`
	S1U    SocketConfig    `yaml:"s1u"`
	S5U    SocketConfig    `yaml:"s5u"`
	GTPC   GTPCConfig      `yaml:"gtpc"`
	GTPU   GTPUConfig      `yaml:"gtpu"`
	Buffer BufferConfig    `yaml:"buffer"`
}

// SocketConfig is one interface's socket and the address put in the
// F-TEIDs we hand out on it.
type SocketConfig struct {
	Listen  string `yaml:"listen"`
	Address string `yaml:"address"`
}

// GTPCConfig are the GTPv2-C peers' port and our retransmission timers.
type GTPCConfig struct {
	PeerPort uint16        `yaml:"peer_port"`
	T3       time.Duration `yaml:"t3"`
	N3       int           `yaml:"n3"`
}

// GTPUConfig is the GTP-U peers' port.
type GTPUConfig struct {
	PeerPort uint16 `yaml:"peer_port"`
}

// BufferConfig bounds downlink buffering for idle UEs.
type BufferConfig struct {
	MaxPacketsPerBearer int `yaml:"max_packets_per_bearer"`
}

// DefaultConfig is default.yaml decoded. Its listen addresses are
// ${self.NET} references, resolved when nfkit.Load reads the config file
// inside the instance; on their own they do not validate.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("sgw/default.yaml", DefaultYAML) }

// Validate checks every key.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	for _, s := range c.sockets() {
		_, err := s.cfg.addr(s.key)
		add(err)
	}
	if c.GTPC.T3 <= 0 || c.GTPC.N3 < 0 {
		add(fmt.Errorf("gtpc.t3 %v / n3 %d: want t3 > 0, n3 >= 0", c.GTPC.T3, c.GTPC.N3))
	}
	if c.GTPC.PeerPort == 0 || c.GTPU.PeerPort == 0 {
		add(errors.New("gtpc.peer_port and gtpu.peer_port: want 1..65535"))
	}
	if c.Buffer.MaxPacketsPerBearer < 0 {
		add(fmt.Errorf("buffer.max_packets_per_bearer %d: want >= 0", c.Buffer.MaxPacketsPerBearer))
	}
	return errors.Join(errs...)
}

type namedSocket struct {
	key string
	cfg SocketConfig
}

func (c Config) sockets() []namedSocket {
	return []namedSocket{{"s11", c.S11}, {"s5c", c.S5C}, {"s1u", c.S1U}, {"s5u", c.S5U}}
}

// addr is the address in the F-TEIDs of this socket: address, else the
// listen host, which must then be a specific IPv4 address.
func (s SocketConfig) addr(key string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(s.Listen)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s.listen %q: %w", key, s.Listen, err)
	}
	if strings.Contains(host, "${") {
		return netip.Addr{}, fmt.Errorf("%s.listen %q: unresolved reference (${self.NET} is resolved when the config file is loaded in the instance)", key, s.Listen)
	}
	explicit := s.Address
	if explicit == "" {
		explicit = host
	}
	a, err := netip.ParseAddr(explicit)
	if err != nil || !a.Is4() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("%s: set address, or give listen a specific IPv4 address (listen %q, address %q)", key, s.Listen, s.Address)
	}
	return a, nil
}
