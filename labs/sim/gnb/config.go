package gnb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Config is the gNB's configuration (default.yaml documents every key).
type Config struct {
	Ops nfkit.OpsConfig `yaml:"ops"`
	// AMF lists the AMFs the gNB associates with: "host" or "host:port"
	// (default port 38412). One string or a list.
	AMF       AddrList    `yaml:"amf"`
	SCTP      sctp.Config `yaml:"sctp"`
	GNBID     uint32      `yaml:"gnb_id"`
	GNBIDBits uint8       `yaml:"gnb_id_bits"`
	Name      string      `yaml:"name"`
	PLMN      PLMN        `yaml:"plmn"`
	TAC       uint32      `yaml:"tac"`
	CellID    uint64      `yaml:"cell_id"`
	Slices    []Slice     `yaml:"slices"`
	PagingDRX int         `yaml:"paging_drx"`
	Radio     RadioConfig `yaml:"radio"`
	GTPU      GTPUConfig  `yaml:"gtpu"`
	MaxUEs    int         `yaml:"max_ues"`
	// NGSetupRetry is the wait before retrying a failed association or
	// NG Setup when the AMF named no TimeToWait.
	NGSetupRetry time.Duration `yaml:"ng_setup_retry"`
}

// PLMN is a PLMN identity in config.
type PLMN struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
}

func (p PLMN) nas() nas5g.PLMN { return nas5g.PLMN{MCC: p.MCC, MNC: p.MNC} }

// Slice is an S-NSSAI in config: SST and an optional SD of 6 hex digits.
type Slice struct {
	SST int    `yaml:"sst"`
	SD  string `yaml:"sd"`
}

// SNSSAI converts the slice, checking its ranges.
func (s Slice) SNSSAI() (nas5g.SNSSAI, error) {
	if s.SST < 0 || s.SST > 255 {
		return nas5g.SNSSAI{}, fmt.Errorf("sst %d: want 0..255", s.SST)
	}
	out := nas5g.SNSSAI{SST: uint8(s.SST)}
	if s.SD == "" {
		return out, nil
	}
	sd, err := strconv.ParseUint(s.SD, 16, 32)
	if err != nil || len(s.SD) != 6 {
		return out, fmt.Errorf("sd %q: want 6 hex digits or empty", s.SD)
	}
	out.SD, out.HasSD = uint32(sd), true
	return out, nil
}

// RadioConfig is the simulated air interface socket.
type RadioConfig struct {
	Listen string `yaml:"listen"`
}

// GTPUConfig is the N3 GTP-U endpoint.
type GTPUConfig struct {
	Listen string `yaml:"listen"`
	// Advertise is the address put in downlink F-TEIDs; empty: the listen
	// address, which must then be a unicast IP.
	Advertise string `yaml:"advertise"`
	// PeerPort is the UDP port of the UPFs' GTP-U sockets (F-TEIDs carry
	// no port): 2152, other values for tests only.
	PeerPort int `yaml:"peer_port"`
}

// AddrList is one address or a list of them in YAML.
type AddrList = simkit.AddrList

// Validate checks every key.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	add(c.SCTP.Validate())
	if len(c.AMF) == 0 {
		add(errors.New("amf: name at least one AMF (host or host:port)"))
	}
	for _, a := range c.AMF {
		if _, err := amfAddr(a); err != nil {
			add(fmt.Errorf("amf: %w", err))
		}
	}
	if c.GNBIDBits < 22 || c.GNBIDBits > 32 {
		add(fmt.Errorf("gnb_id_bits %d: want 22..32", c.GNBIDBits))
	} else if c.GNBIDBits < 32 && c.GNBID >= 1<<c.GNBIDBits {
		add(fmt.Errorf("gnb_id %d does not fit in gnb_id_bits %d", c.GNBID, c.GNBIDBits))
	}
	if err := c.PLMN.nas().Validate(); err != nil {
		add(fmt.Errorf("plmn: %w", err))
	}
	if c.TAC > 0xFFFFFF {
		add(fmt.Errorf("tac %d: want at most 24 bits", c.TAC))
	}
	if c.CellID >= 1<<36 {
		add(fmt.Errorf("cell_id %d: want at most 36 bits", c.CellID))
	}
	if len(c.Slices) == 0 {
		add(errors.New("slices: name at least one slice ({sst: 1})"))
	}
	for i, s := range c.Slices {
		if _, err := s.SNSSAI(); err != nil {
			add(fmt.Errorf("slices[%d]: %w", i, err))
		}
	}
	if _, err := pagingDRX(c.PagingDRX); err != nil {
		add(err)
	}
	add(simkit.CheckListen("radio.listen", c.Radio.Listen))
	add(simkit.CheckListen("gtpu.listen", c.GTPU.Listen))
	if c.GTPU.Advertise != "" {
		if a, err := netip.ParseAddr(c.GTPU.Advertise); err != nil || !a.Is4() {
			add(fmt.Errorf("gtpu.advertise %q: want an IPv4 address", c.GTPU.Advertise))
		}
	}
	if c.GTPU.PeerPort <= 0 || c.GTPU.PeerPort > 65535 {
		add(fmt.Errorf("gtpu.peer_port %d: want 1..65535 (2152)", c.GTPU.PeerPort))
	}
	if c.MaxUEs <= 0 {
		add(fmt.Errorf("max_ues %d: must be positive", c.MaxUEs))
	}
	if c.NGSetupRetry <= 0 {
		add(fmt.Errorf("ng_setup_retry %v: must be positive", c.NGSetupRetry))
	}
	return errors.Join(errs...)
}

// amfAddr adds the NGAP port to a bare host.
func amfAddr(a string) (string, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = a, strconv.Itoa(sctp.NGAPPort)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return "", fmt.Errorf("%q: want an IP address, optionally with :port", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("%q: bad port", a)
	}
	return net.JoinHostPort(host, port), nil
}

func pagingDRX(v int) (uint8, error) {
	switch v {
	case 32:
		return n2.PagingDRX32, nil
	case 64:
		return n2.PagingDRX64, nil
	case 128:
		return n2.PagingDRX128, nil
	case 256:
		return n2.PagingDRX256, nil
	}
	return 0, fmt.Errorf("paging_drx %d: want 32, 64, 128 or 256", v)
}

// slices converts the configured slices (validated).
func (c Config) slices() []nas5g.SNSSAI {
	out := make([]nas5g.SNSSAI, 0, len(c.Slices))
	for _, s := range c.Slices {
		if v, err := s.SNSSAI(); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// setupRequest is the NG Setup Request this gNB sends.
func (c Config) setupRequest() *n2.NGSetupRequest {
	drx, _ := pagingDRX(c.PagingDRX) // validated
	return &n2.NGSetupRequest{
		GlobalGNBID: n2.GlobalGNBID{PLMN: c.PLMN.nas(), ID: c.GNBID, IDBits: c.GNBIDBits},
		RANNodeName: c.Name,
		SupportedTAs: []n2.SupportedTA{{TAC: c.TAC,
			PLMNs: []n2.BroadcastPLMN{{PLMN: c.PLMN.nas(), Slices: c.slices()}}}},
		PagingDRX: drx,
	}
}

// location is the user location this gNB's one cell reports.
func (c Config) location() n2.UserLocation {
	return n2.UserLocation{TAI: n2.TAI{PLMN: c.PLMN.nas(), TAC: c.TAC},
		NRCGI: n2.NRCGI{PLMN: c.PLMN.nas(), CellID: c.CellID}}
}
