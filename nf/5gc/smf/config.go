package smf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Config is the SMF's configuration (see default.yaml and README.md).
type Config struct {
	Ops          nfkit.OpsConfig  `yaml:"ops"`
	SBI          sbi.ServerConfig `yaml:"sbi"`
	AdvertiseURI string           `yaml:"advertise_uri"`
	Client       sbi.ClientConfig `yaml:"client"`
	PFCP         PFCPConfig       `yaml:"pfcp"`
	TPFCP        TPFCPConfig      `yaml:"t_pfcp"`
	NRF          NRFConfig        `yaml:"nrf"`
	Peers        PeersConfig      `yaml:"peers"`
	UPFs         []UPFConfig      `yaml:"upfs"`
	UPFDrain     UPFDrainConfig   `yaml:"upf_drain"`
	DNNs         []DNNConfig      `yaml:"dnns"`
	Defaults     DefaultsConfig   `yaml:"defaults"`
	Readiness    ReadinessConfig  `yaml:"readiness"`
}

// PFCPConfig is our N4 endpoint.
type PFCPConfig struct {
	Listen string `yaml:"listen"`
	NodeID string `yaml:"node_id"`
}

// TPFCPConfig are the PFCP timers (TS 29.244 §7.6 and path supervision).
type TPFCPConfig struct {
	T1                time.Duration `yaml:"t1"`
	N1                int           `yaml:"n1"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	HeartbeatMissed   int           `yaml:"heartbeat_missed"`
	AssociateRetry    time.Duration `yaml:"associate_retry"`
}

// NRFConfig says where to register and how often to look for UPFs.
type NRFConfig struct {
	URI          string        `yaml:"uri"`
	InstanceID   string        `yaml:"instance_id"`
	UPFDiscovery time.Duration `yaml:"upf_discovery"`
	// UPFN4Port is the PFCP port of UPFs found through the NRF, whose
	// profiles name only an address.
	UPFN4Port int `yaml:"upf_n4_port"`
}

// PeersConfig are fixed apiRoots of the NFs we call; empty: ask the NRF.
type PeersConfig struct {
	PCF string `yaml:"pcf"`
	UDM string `yaml:"udm"`
	AMF string `yaml:"amf"`
}

// UPFConfig is a UPF known without the NRF.
type UPFConfig struct {
	// N4 is the UPF's PFCP address, host or host:port (port 8805).
	N4 string `yaml:"n4"`
	// DNNs it serves; empty: every configured DNN.
	DNNs []string `yaml:"dnns"`
	// Pools maps a DNN to the part of that DNN's pool this UPF owns
	// (a CIDR); DNNs left out get a slice carved from the pool.
	Pools map[string]string `yaml:"pools"`
}

// UPFDrainConfig says what becomes of the sessions on a UPF that left the
// NRF's list (SUSPENDED while it drains, or deregistered).
type UPFDrainConfig struct {
	// MoveAfter is how long they stay before they are moved to another
	// UPF; 0: never moved.
	MoveAfter time.Duration `yaml:"move_after"`
	// Hold is how long the old UPF keeps a moved session, forwarding what
	// is in flight while the data network's routes follow.
	Hold time.Duration `yaml:"hold"`
	// Parallel is how many sessions move at once.
	Parallel int `yaml:"parallel"`
	// Timeout bounds one move: PFCP on the new UPF, then the gNB's answer.
	Timeout time.Duration `yaml:"timeout"`
}

func (d UPFDrainConfig) validate() error {
	var errs []error
	if d.MoveAfter < 0 || d.Hold < 0 {
		errs = append(errs, fmt.Errorf("upf_drain: move_after %v and hold %v must be >= 0", d.MoveAfter, d.Hold))
	}
	if d.MoveAfter > 0 && (d.Parallel < 1 || d.Timeout <= 0) {
		errs = append(errs, fmt.Errorf("upf_drain: parallel %d must be >= 1 and timeout %v > 0", d.Parallel, d.Timeout))
	}
	return errors.Join(errs...)
}

// DNNConfig is a data network we serve in one slice.
type DNNConfig struct {
	DNN  string `yaml:"dnn"`
	SST  int    `yaml:"sst"`
	SD   string `yaml:"sd"`
	Pool string `yaml:"pool"`
	// UPFPrefix is the prefix length of the slice each UPF gets when it
	// advertises no range of its own; 0: the whole pool (one UPF).
	UPFPrefix int      `yaml:"upf_prefix"`
	DNS       []string `yaml:"dns"`
	MTU       int      `yaml:"mtu"`
}

// DefaultsConfig is the QoS a session gets when no PCF decides.
type DefaultsConfig struct {
	FiveQI int        `yaml:"five_qi"`
	ARP    int        `yaml:"arp"`
	AMBR   AMBRConfig `yaml:"ambr"`
}

// AMBRConfig is a pair of TS 29.571 bit rates ("1 Gbps").
type AMBRConfig struct {
	Uplink   string `yaml:"uplink"`
	Downlink string `yaml:"downlink"`
}

// ReadinessConfig says what /readyz waits for besides SBI, PFCP and NRF.
type ReadinessConfig struct {
	RequireUPF bool `yaml:"require_upf"`
}

// DefaultConfig is default.yaml decoded. Its listen addresses are
// ${self.sbi} and ${self.n4} references, resolved when nfkit.Load reads
// the config inside the instance; on their own they do not validate.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("smf/default.yaml", DefaultYAML) }

var (
	sdRe      = regexp.MustCompile(`^[0-9A-Fa-f]{6}$`)
	dnnRe     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,98}[A-Za-z0-9])?$`)
	bitRateRe = regexp.MustCompile(`^(\d+(?:\.\d+)?) (bps|Kbps|Mbps|Gbps|Tbps)$`)
)

// Validate checks every key and says everything wrong at once.
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
	_, err := c.pfcpNodeAddr()
	add(err)
	add(c.TPFCP.validate())
	add(c.NRF.validate(c.AdvertiseURI, c.SBI.Listen))
	add(c.Peers.validate())
	if c.NRF.URI == "" && c.Peers.UDM == "" {
		add(errors.New("peers.udm: set it, or nrf.uri to discover UDMs (subscriptions are checked on every session)"))
	}
	_, err = c.dnnTable()
	add(err)
	for i, u := range c.UPFs {
		add(u.validate(i, c.DNNs))
	}
	add(c.Defaults.validate())
	add(c.UPFDrain.validate())
	return errors.Join(errs...)
}

func (t TPFCPConfig) validate() error {
	var errs []error
	if t.T1 <= 0 || t.HeartbeatInterval <= 0 || t.AssociateRetry <= 0 {
		errs = append(errs, fmt.Errorf("t_pfcp: t1 %v, heartbeat_interval %v and associate_retry %v must be > 0",
			t.T1, t.HeartbeatInterval, t.AssociateRetry))
	}
	if t.N1 < 1 || t.HeartbeatMissed < 1 {
		errs = append(errs, fmt.Errorf("t_pfcp: n1 %d and heartbeat_missed %d must be >= 1", t.N1, t.HeartbeatMissed))
	}
	return errors.Join(errs...)
}

func (c NRFConfig) validate(advertise, listen string) error {
	if advertise != "" {
		if err := checkURI("advertise_uri", advertise); err != nil {
			return err
		}
	}
	if c.URI == "" {
		return nil
	}
	if err := checkURI("nrf.uri", c.URI); err != nil {
		return err
	}
	if c.UPFDiscovery <= 0 {
		return fmt.Errorf("nrf.upf_discovery %v: want > 0", c.UPFDiscovery)
	}
	if c.UPFN4Port < 1 || c.UPFN4Port > 65535 {
		return fmt.Errorf("nrf.upf_n4_port %d: want 1..65535", c.UPFN4Port)
	}
	if advertise == "" && !specificHost(listen) {
		return fmt.Errorf("advertise_uri is needed with nrf.uri when sbi.listen %q names no address", listen)
	}
	return nil
}

func (p PeersConfig) validate() error {
	var errs []error
	for key, v := range map[string]string{"peers.pcf": p.PCF, "peers.udm": p.UDM, "peers.amf": p.AMF} {
		if v != "" {
			if err := checkURI(key, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (u UPFConfig) validate(i int, dnns []DNNConfig) error {
	var errs []error
	if _, err := parseN4(u.N4); err != nil {
		errs = append(errs, fmt.Errorf("upfs[%d].n4: %w", i, err))
	}
	known := func(d string) bool {
		for _, c := range dnns {
			if strings.EqualFold(c.DNN, d) {
				return true
			}
		}
		return false
	}
	for _, d := range u.DNNs {
		if !known(d) {
			errs = append(errs, fmt.Errorf("upfs[%d].dnns: %q is not in dnns", i, d))
		}
	}
	for d, cidr := range u.Pools {
		if !known(d) {
			errs = append(errs, fmt.Errorf("upfs[%d].pools: %q is not in dnns", i, d))
		}
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() || p != p.Masked() {
			errs = append(errs, fmt.Errorf("upfs[%d].pools.%s %q: want an IPv4 CIDR without host bits", i, d, cidr))
		}
	}
	return errors.Join(errs...)
}

func (d DefaultsConfig) validate() error {
	var errs []error
	if d.FiveQI < 1 || d.FiveQI > 255 {
		errs = append(errs, fmt.Errorf("defaults.five_qi %d: want 1..255", d.FiveQI))
	}
	if d.ARP < 1 || d.ARP > 15 {
		errs = append(errs, fmt.Errorf("defaults.arp %d: want 1..15", d.ARP))
	}
	if _, err := d.AMBR.parse("defaults.ambr"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// parse turns the pair into bit/s.
func (a AMBRConfig) parse(key string) (bitrates, error) {
	ul, err := parseBitRate(a.Uplink)
	if err != nil {
		return bitrates{}, fmt.Errorf("%s.uplink: %w", key, err)
	}
	dl, err := parseBitRate(a.Downlink)
	if err != nil {
		return bitrates{}, fmt.Errorf("%s.downlink: %w", key, err)
	}
	return bitrates{UL: ul, DL: dl}, nil
}

// bitrates is an uplink/downlink pair in bit/s.
type bitrates struct{ UL, DL uint64 }

var bitRateUnit = map[string]float64{"bps": 1, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12}

// parseBitRate reads a TS 29.571 BitRate ("100 Mbps") as bit/s.
func parseBitRate(s string) (uint64, error) {
	m := bitRateRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bit rate %q: want <number> <bps|Kbps|Mbps|Gbps|Tbps>, e.g. \"100 Mbps\"", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("bit rate %q: %w", s, err)
	}
	bps := v * bitRateUnit[m[2]]
	// 1 Kbps is the least NAS can carry; 4 Tbps the most NGAP can.
	if bps < 1e3 || bps > 4e12 {
		return 0, fmt.Errorf("bit rate %q: want 1 Kbps .. 4 Tbps", s)
	}
	return uint64(bps), nil
}

// pfcpNodeAddr is our PFCP Node ID and F-SEID address: node_id, else the
// pfcp.listen host, which must then be a specific IPv4 address.
func (c Config) pfcpNodeAddr() (netip.Addr, error) {
	host, _, err := net.SplitHostPort(c.PFCP.Listen)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pfcp.listen %q: %w", c.PFCP.Listen, err)
	}
	if strings.Contains(host, "${") {
		return netip.Addr{}, fmt.Errorf("pfcp.listen %q: unresolved reference (${self.NET} is resolved when the config file is loaded in the instance)", c.PFCP.Listen)
	}
	if c.PFCP.NodeID != "" {
		a, err := netip.ParseAddr(c.PFCP.NodeID)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			return netip.Addr{}, fmt.Errorf("pfcp.node_id %q: want a specific IPv4 address", c.PFCP.NodeID)
		}
		return a, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("pfcp.node_id: set it, or give pfcp.listen a specific IPv4 address (it is %q)", c.PFCP.Listen)
	}
	return a, nil
}

// pfcpConfig is the node configuration for our CP role.
func (c Config) pfcpConfig() pfcp.Config {
	id, _ := c.pfcpNodeAddr() // validated
	return pfcp.Config{Role: pfcp.RoleCP, Addr: c.PFCP.Listen, NodeID: id.String(), FSEIDAddr: id,
		T1: c.TPFCP.T1, N1: c.TPFCP.N1, HeartbeatInterval: c.TPFCP.HeartbeatInterval,
		HeartbeatMissed: c.TPFCP.HeartbeatMissed}
}

// parseN4 reads host or host:port (default port 8805).
func parseN4(s string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		if !a.Is4() || a.IsUnspecified() {
			return netip.AddrPort{}, fmt.Errorf("%q: want a specific IPv4 address", s)
		}
		return netip.AddrPortFrom(a, pfcp.Port), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || !ap.Addr().Is4() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("%q: want IPv4 or IPv4:port", s)
	}
	return ap, nil
}

func checkURI(key, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want http(s)://host:port", key, s)
	}
	return nil
}

// specificHost reports whether listen names an address a peer could dial.
func specificHost(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" || strings.Contains(host, "${") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsUnspecified()
}
