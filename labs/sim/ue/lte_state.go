package ue

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// epsUE is a UE's EPS state in lte mode. The UE's loop owns it, except
// ulFilters, which the data plane reads.
type epsUE struct {
	sec     *naseps.SecurityContext
	ksi     naseps.KSI // of sec; NoKey without one
	kasme   aka.Key256 // of sec
	pending *epsKeys   // from EPS AKA, waiting for the Security Mode Command
	// guti is the GUTI of the last Attach or TAU Accept. It outlives a
	// detach, so the next attach is by GUTI (TS 24.301 5.5.1.2.2).
	guti  *naseps.GUTI
	t3412 time.Duration // periodic TAU timer; 0: none
	timer *time.Timer   // T3412, running while idle
	pdns  map[uint8]*pdnConn
	// bearers holds every active EPS bearer by EBI, default and dedicated.
	bearers map[uint8]*epsBearer
	// readyEBIs has bit i set once the eNB said bearer i carries data
	// (radio SessionReady) since the last release.
	readyEBIs uint16
	pti       uint8

	ulFilters atomic.Pointer[ulFilterSet]
}

// epsKeys is the outcome of EPS AKA.
type epsKeys struct {
	kasme aka.Key256
	ksi   naseps.KSI
}

// pdnConn is one PDN connection: its default bearer and what the network
// configured with it.
type pdnConn struct {
	apn   string
	ebi   uint8 // default bearer
	addr  netip.Addr
	pcscf []netip.Addr
	dns   []netip.Addr
}

// epsBearer is an active EPS bearer. linked is its default bearer (itself
// for a default bearer).
type epsBearer struct {
	ebi, linked uint8
	qci         uint8
	filters     []naseps.PacketFilter // of a dedicated bearer's TFT
}

func (b *epsBearer) dedicated() bool { return b.ebi != b.linked }

func newEPSUE() *epsUE {
	return &epsUE{ksi: naseps.NoKey, pdns: map[uint8]*pdnConn{}, bearers: map[uint8]*epsBearer{}}
}

// EBIs of EPS bearers (TS 24.007 11.2.3.1.5).
const (
	minEBI = 5
	maxEBI = 15
)

func (e *epsUE) nextPTI() uint8 {
	e.pti++
	if e.pti == 0 || e.pti == 255 {
		e.pti = 1
	}
	return e.pti
}

func (e *epsUE) ready(ebi uint8) bool { return e.readyEBIs&(1<<ebi) != 0 }

// defaultsReady reports whether every PDN connection's default bearer
// carries data.
func (e *epsUE) defaultsReady() bool {
	for ebi := range e.pdns {
		if !e.ready(ebi) {
			return false
		}
	}
	return true
}

// bearerStatus is the EPS bearer context status IE of our bearers.
func (e *epsUE) bearerStatus() naseps.EPSBearerContextStatus {
	var s naseps.EPSBearerContextStatus
	for ebi := range e.bearers {
		s |= 1 << ebi
	}
	return s
}

func (e *epsUE) pdnByAPN(apn string) *pdnConn {
	for _, p := range e.pdns {
		if strings.EqualFold(p.apn, apn) {
			return p
		}
	}
	return nil
}

// stmsiKey is the radio form of an S-TMSI (the Paging body, and the prefix
// of a Connect body): a zero octet, the MME code, the M-TMSI.
func stmsiKey(g naseps.GUTI) [6]byte {
	t := g.MTMSI
	return [6]byte{0, g.MMECode, byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
}

// epsGUTIString formats a GUTI as MCC MNC, MME group ID (4 hex digits),
// MME code (2) and M-TMSI (8).
func epsGUTIString(g naseps.GUTI) string {
	return fmt.Sprintf("%s%s%04x%02x%08x", g.PLMN.MCC, g.PLMN.MNC, g.MMEGroupID, g.MMECode, g.MTMSI)
}

// PDNState is one PDN connection as GET /ues/pdns reports it.
type PDNState struct {
	APN     string `json:"apn"`
	EBI     int    `json:"ebi"` // default bearer
	Address string `json:"address"`
	// PCSCF and DNS are the addresses the network gave in the PCO (P-CSCF
	// IPv4 and DNS server IPv4 containers).
	PCSCF   []string      `json:"pcscf,omitempty"`
	DNS     []string      `json:"dns,omitempty"`
	Bearers []BearerState `json:"bearers"`
}

// BearerState is one EPS bearer of a PDN connection.
type BearerState struct {
	EBI       int  `json:"ebi"`
	QCI       int  `json:"qci"`
	Dedicated bool `json:"dedicated,omitempty"`
	// Filters are the uplink-relevant packet filters of a dedicated
	// bearer's TFT, by precedence, e.g. "id 1 prec 10 up proto 17 remote
	// 10.0.0.1/32 rport 5060".
	Filters []string `json:"filters,omitempty"`
}

// UEPDNs is one UE's entry of GET /ues/pdns.
type UEPDNs struct {
	SUPI  string     `json:"supi"`
	State string     `json:"state"`
	GUTI  string     `json:"guti,omitempty"`
	PDNs  []PDNState `json:"pdns"`
}

// pdnStates describes the PDN connections by default EBI.
func (e *epsUE) pdnStates() []PDNState {
	ebis := make([]uint8, 0, len(e.pdns))
	for ebi := range e.pdns {
		ebis = append(ebis, ebi)
	}
	slices.Sort(ebis)
	out := make([]PDNState, 0, len(ebis))
	for _, ebi := range ebis {
		p := e.pdns[ebi]
		s := PDNState{APN: p.apn, EBI: int(ebi), Address: p.addr.String(), PCSCF: addrStrings(p.pcscf), DNS: addrStrings(p.dns)}
		for _, b := range e.sortedBearers() {
			if b.linked != ebi {
				continue
			}
			bs := BearerState{EBI: int(b.ebi), QCI: int(b.qci), Dedicated: b.dedicated()}
			for _, f := range sortedFilters(b.filters) {
				bs.Filters = append(bs.Filters, filterString(f))
			}
			s.Bearers = append(s.Bearers, bs)
		}
		out = append(out, s)
	}
	return out
}

func (e *epsUE) sortedBearers() []*epsBearer {
	out := make([]*epsBearer, 0, len(e.bearers))
	for _, b := range e.bearers {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *epsBearer) int { return int(a.ebi) - int(b.ebi) })
	return out
}

func addrStrings(as []netip.Addr) []string {
	if len(as) == 0 {
		return nil
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}
