package enb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Config is the eNB's configuration (default.yaml documents every key).
type Config struct {
	Ops nfkit.OpsConfig `yaml:"ops"`
	// MME lists the MMEs the eNB associates with: "host" or "host:port"
	// (default port 36412). One string or a list.
	MME       AddrList    `yaml:"mme"`
	SCTP      sctp.Config `yaml:"sctp"`
	ENBID     uint32      `yaml:"enb_id"`
	Name      string      `yaml:"name"`
	PLMN      PLMN        `yaml:"plmn"`
	TAC       uint32      `yaml:"tac"`
	CellID    uint32      `yaml:"cell_id"`
	PagingDRX int         `yaml:"paging_drx"`
	Radio     RadioConfig `yaml:"radio"`
	GTPU      GTPUConfig  `yaml:"gtpu"`
	MaxUEs    int         `yaml:"max_ues"`
	// S1SetupRetry is the wait before retrying a failed association or
	// S1 Setup when the MME named no TimeToWait.
	S1SetupRetry time.Duration `yaml:"s1_setup_retry"`
	// InactivityTimer, when positive, asks the MME to release a UE that
	// sent and received nothing for this long; zero turns it off.
	InactivityTimer time.Duration `yaml:"inactivity_timer"`
}

// PLMN is a PLMN identity in config.
type PLMN struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
}

func (p PLMN) s1ap() s1ap.PLMN { return s1ap.PLMN{MCC: p.MCC, MNC: p.MNC} }

// RadioConfig is the simulated air interface socket.
type RadioConfig struct {
	Listen string `yaml:"listen"`
}

// GTPUConfig is the S1-U GTP-U endpoint.
type GTPUConfig struct {
	Listen string `yaml:"listen"`
	// Advertise is the address put in the eNB's S1-U F-TEIDs; empty: the
	// listen address, which must then be a unicast IP.
	Advertise string `yaml:"advertise"`
	// PeerPort is the UDP port of the SGWs' GTP-U sockets (F-TEIDs carry
	// no port): 2152, other values for tests only.
	PeerPort int `yaml:"peer_port"`
}

// AddrList is one address or a list of them in YAML.
type AddrList = simkit.AddrList

// Limits of the identities (TS 36.413 9.2.1.37, 9.2.1.38, 9.2.3.7).
const (
	maxENBID  = 1<<20 - 1 // macro eNB ID
	maxCellID = 1<<8 - 1  // the cell part of the 28-bit E-UTRAN cell identity
	maxTAC    = 1<<16 - 1
	// maxENBUEIDs is how many eNB UE S1AP IDs (24 bits, zero unused) exist.
	maxENBUEIDs = 1<<24 - 1
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
	add(c.SCTP.Validate())
	if len(c.MME) == 0 {
		add(errors.New("mme: name at least one MME (host or host:port)"))
	}
	for _, a := range c.MME {
		if _, err := mmeAddr(a); err != nil {
			add(fmt.Errorf("mme: %w", err))
		}
	}
	if c.ENBID > maxENBID {
		add(fmt.Errorf("enb_id %d: a macro eNB ID has 20 bits (at most %d)", c.ENBID, maxENBID))
	}
	if c.Name != "" && !printableName(c.Name) {
		add(fmt.Errorf("name %q: want at most 150 letters, digits, spaces and '()+,-./:=?", c.Name))
	}
	if err := c.PLMN.s1ap().Validate(); err != nil {
		add(fmt.Errorf("plmn: %w", err))
	}
	if c.TAC > maxTAC {
		add(fmt.Errorf("tac %d: want at most 16 bits", c.TAC))
	}
	if c.CellID > maxCellID {
		add(fmt.Errorf("cell_id %d: want 0..255 (the cell part of the E-UTRAN cell identity)", c.CellID))
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
	if c.MaxUEs <= 0 || c.MaxUEs > maxENBUEIDs {
		add(fmt.Errorf("max_ues %d: want 1..%d (eNB UE S1AP IDs have 24 bits)", c.MaxUEs, maxENBUEIDs))
	}
	if c.S1SetupRetry <= 0 {
		add(fmt.Errorf("s1_setup_retry %v: must be positive", c.S1SetupRetry))
	}
	if c.InactivityTimer < 0 {
		add(fmt.Errorf("inactivity_timer %v: must be zero (off) or positive", c.InactivityTimer))
	}
	return errors.Join(errs...)
}

// printableName reports whether s fits the eNB name IE: a PrintableString
// of 1..150 characters (TS 36.413 9.2.1.62; X.680 41.4).
func printableName(s string) bool {
	if len(s) == 0 || len(s) > 150 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			strings.IndexByte(" '()+,-./:=?", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// mmeAddr adds the S1AP port to a bare host.
func mmeAddr(a string) (string, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = a, strconv.Itoa(s1ap.SCTPPort)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return "", fmt.Errorf("%q: want an IP address, optionally with :port", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("%q: bad port", a)
	}
	return net.JoinHostPort(host, port), nil
}

func pagingDRX(v int) (s1ap.PagingDRX, error) {
	switch v {
	case 32:
		return s1ap.PagingDRX32, nil
	case 64:
		return s1ap.PagingDRX64, nil
	case 128:
		return s1ap.PagingDRX128, nil
	case 256:
		return s1ap.PagingDRX256, nil
	}
	return 0, fmt.Errorf("paging_drx %d: want 32, 64, 128 or 256", v)
}

// setupRequest is the S1 Setup Request this eNB sends.
func (c Config) setupRequest() *s1ap.S1SetupRequest {
	drx, _ := pagingDRX(c.PagingDRX) // validated
	return &s1ap.S1SetupRequest{
		GlobalENBID:      s1ap.GlobalENBID{PLMN: c.PLMN.s1ap(), Kind: s1ap.MacroENB, ID: c.ENBID},
		ENBName:          c.Name,
		SupportedTAs:     []s1ap.SupportedTA{{TAC: uint16(c.TAC), PLMNs: []s1ap.PLMN{c.PLMN.s1ap()}}},
		DefaultPagingDRX: drx,
	}
}

// tai is this eNB's one tracking area.
func (c Config) tai() s1ap.TAI { return s1ap.TAI{PLMN: c.PLMN.s1ap(), TAC: uint16(c.TAC)} }

// ecgi is this eNB's one cell: the 28-bit cell identity is the macro eNB
// ID followed by the 8-bit cell ID (TS 36.413 9.2.1.38).
func (c Config) ecgi() s1ap.ECGI {
	return s1ap.ECGI{PLMN: c.PLMN.s1ap(), CellID: c.ENBID<<8 | c.CellID}
}
