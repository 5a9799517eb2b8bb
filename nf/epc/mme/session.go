package mme

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// pdn is a PDN connection: one session at the SGW and its bearers.
type pdn struct {
	apn     string
	ebi     uint8 // the default bearer
	pti     uint8 // of the UE's PDN Connectivity Request
	sgwTEID uint32
	addr    netip.Addr
	ambr    s1ap.AMBR // APN-AMBR, bit/s
	pco     *naseps.PCO
	bearers map[uint8]*bearer
}

// bearer is an EPS bearer and its E-RAB.
type bearer struct {
	ebi      uint8
	qos      s1ap.QoS
	sgwU     gtpv2c.FTEID // S1-U at the SGW
	enbU     gtpv2c.FTEID // S1-U at the eNB; invalid while the E-RAB is down
	accepted bool         // the UE accepted its activation
	synced   bool         // the SGW has enbU
	// activation, for a bearer the SGW asked for (Create Bearer Request),
	// is told whether it came up; nil once told.
	activation chan bool
	// deactivation is closed when the UE accepts its deactivation.
	deactivation chan struct{}
}

// errRejected: the SGW answered with a rejection cause.
type errRejected struct {
	msg   string
	cause uint8
}

func (e *errRejected) Error() string { return fmt.Sprintf("%s rejected with cause %d", e.msg, e.cause) }

// esmCauseOf maps a Create Session failure to the ESM cause the UE gets
// (TS 29.274 8.4 against TS 24.301 Annex B).
func esmCauseOf(err error) naseps.ESMCause {
	var r *errRejected
	if !errors.As(err, &r) {
		return naseps.ESMCauseNetworkFailure
	}
	switch r.cause {
	case gtpv2.CauseMissingOrUnknownAPN:
		return naseps.ESMCauseUnknownAPN
	case gtpv2.CauseAllDynamicAddressesAreOccupied, gtpv2.CauseNoResourcesAvailable:
		return naseps.ESMCauseInsufficientResources
	case gtpv2.CausePreferredPDNTypeNotSupported:
		return naseps.ESMCauseUnknownPDNType
	case gtpv2.CauseUserAuthenticationFailed:
		return naseps.ESMCauseUserAuthenticationFailed
	}
	return naseps.ESMCauseRequestRejectedUnspecified
}

// s11Request sends a request to the UE's SGW and waits for its response.
func (m *MME) s11Request(ctx context.Context, sgw netip.AddrPort, req message.Message) (message.Message, error) {
	c := m.s11.Load()
	if c == nil {
		return nil, fmt.Errorf("%s: %w", req.MessageTypeName(), gtpv2c.ErrClosed)
	}
	m.countMsg(ifS11, dirTx, req.MessageTypeName())
	resp, err := c.Request(ctx, sgw, req)
	if err != nil {
		return nil, err
	}
	m.countMsg(ifS11, dirRx, resp.MessageTypeName())
	return resp, nil
}

// checkCause reads a response's cause: an error unless accepted.
func checkCause(name string, i *ie.IE) error {
	cause, err := gtpv2c.CauseOf(i)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !gtpv2c.Accepted(cause) {
		return &errRejected{msg: name, cause: cause}
	}
	return nil
}

func (m *MME) selfFTEID(teid uint32) *ie.IE {
	return gtpv2c.FTEID{Interface: gtpv2.IFTypeS11MMEGTPC, TEID: teid, Addr: *m.s11Self.Load()}.IE(0)
}

// sessionRequest is what a Create Session Request needs to know.
type sessionRequest struct {
	apn     apnConfig
	ebi     uint8
	pti     uint8
	pdnType naseps.PDNType
	pco     *naseps.PCO
}

// createSession opens a PDN connection at the UE's SGW (Create Session
// Request); the returned pdn is not yet in u.pdns.
func (u *ue) createSession(ctx context.Context, sr sessionRequest) (*pdn, error) {
	m := u.m
	u.mu.Lock()
	if !u.sgw.IsValid() {
		u.sgw = m.nextSGW()
	}
	sgw, teid, sgwTEID := u.sgw, u.s11TEIDLocked(), u.sgwTEIDLocked()
	ies := []*ie.IE{ie.NewIMSI(u.imsi), ie.NewRATType(gtpv2.RATTypeEUTRAN), m.selfFTEID(teid),
		ie.NewServingNetwork(m.plmn.MCC, m.plmn.MNC), u.uliLocked()}
	if u.sub != nil && u.sub.msisdn != "" {
		ies = append(ies, ie.NewMSISDN(u.sub.msisdn))
	}
	u.mu.Unlock()
	pgw := m.nextPGW().As4()
	ies = append(ies, ie.NewFullyQualifiedTEIDNetIP(gtpv2.IFTypeS5S8PGWGTPC, 0, net.IP(pgw[:]), nil).WithInstance(1),
		ie.NewAccessPointName(sr.apn.name), ie.NewSelectionMode(gtpv2.SelectionModeMSOrNetworkProvidedAPNSubscribedVerified),
		ie.NewPDNType(gtpv2.PDNTypeIPv4), ie.NewPDNAddressAllocation("0.0.0.0"), ie.NewAPNRestriction(0),
		ie.NewAggregateMaximumBitRate(kbps(sr.apn.ambr.UL), kbps(sr.apn.ambr.DL)),
		ie.NewBearerContext(ie.NewEPSBearerID(sr.ebi), bearerQoSIE(s1ap.QoS{QCI: sr.apn.qci, ARP: sr.apn.arp})))
	if sr.pco != nil {
		if p, err := pcoIE(*sr.pco); err == nil {
			ies = append(ies, p)
		}
	}
	resp, err := m.s11Request(ctx, sgw, message.NewCreateSessionRequest(sgwTEID, 0, ies...))
	if err != nil {
		return nil, err
	}
	csr, ok := resp.(*message.CreateSessionResponse)
	if !ok {
		return nil, fmt.Errorf("create session: answered with %s", resp.MessageTypeName())
	}
	return pdnOf(csr, sr)
}

// pdnOf reads a Create Session Response into a PDN connection.
func pdnOf(csr *message.CreateSessionResponse, sr sessionRequest) (*pdn, error) {
	if err := checkCause("create session", csr.Cause); err != nil {
		return nil, err
	}
	sgwC, err := gtpv2c.ParseFTEID(csr.SenderFTEIDC)
	if err != nil {
		return nil, fmt.Errorf("create session response: sender F-TEID: %w", err)
	}
	if csr.PAA == nil || len(csr.BearerContextsCreated) == 0 {
		return nil, fmt.Errorf("create session response without PAA or bearer context: %w", gtpv2c.ErrMalformed)
	}
	paa, err := ie.ParsePDNAddressAllocationFields(csr.PAA.Payload)
	if err != nil {
		return nil, fmt.Errorf("create session response: PAA: %w: %v", gtpv2c.ErrMalformed, err)
	}
	addr, ok := netip.AddrFromSlice(paa.IPv4Address.To4())
	if !ok {
		return nil, fmt.Errorf("create session response: PAA without IPv4: %w", gtpv2c.ErrMalformed)
	}
	bc, err := gtpv2c.Children(csr.BearerContextsCreated[0])
	if err != nil {
		return nil, err
	}
	if err := checkCause("create session bearer", bc.Get(ie.Cause, 0)); err != nil {
		return nil, err
	}
	sgwU, err := bc.FTEID(0)
	if err != nil {
		return nil, fmt.Errorf("create session response: S1-U SGW F-TEID: %w", err)
	}
	p := &pdn{apn: sr.apn.name, ebi: sr.ebi, pti: sr.pti, sgwTEID: sgwC.TEID, addr: addr, ambr: sr.apn.ambr,
		bearers: map[uint8]*bearer{}}
	if csr.AMBR != nil {
		if a, err := csr.AMBR.AggregateMaximumBitRate(); err == nil {
			p.ambr = s1ap.AMBR{UL: uint64(a.APNAMBRForUplink) * 1000, DL: uint64(a.APNAMBRForDownlink) * 1000}
		}
	}
	if csr.PCO != nil {
		if pco, err := parsePCO(csr.PCO.Payload); err == nil {
			p.pco = pco
		}
	}
	qos := s1ap.QoS{QCI: sr.apn.qci, ARP: sr.apn.arp}
	if q := bc.Get(ie.BearerQoS, 0); q != nil {
		if f, err := q.BearerQoS(); err == nil {
			qos = qosOf(f)
		}
	}
	p.bearers[sr.ebi] = &bearer{ebi: sr.ebi, qos: qos, sgwU: sgwU}
	return p, nil
}

// sgwTEIDLocked is the SGW's S11 TEID for the UE (that of any PDN
// connection), 0 before the first Create Session Response.
func (u *ue) sgwTEIDLocked() uint32 {
	for _, p := range u.pdns {
		return p.sgwTEID
	}
	return 0
}

// sgwTEIDsLocked are the distinct SGW S11 TEIDs of the UE's PDN
// connections.
func (u *ue) sgwTEIDsLocked() []uint32 {
	var out []uint32
	for _, p := range u.pdnsLocked() {
		if !slices.Contains(out, p.sgwTEID) {
			out = append(out, p.sgwTEID)
		}
	}
	return out
}

// uliLocked is the User Location Information: the TAI last reported.
func (u *ue) uliLocked() *ie.IE {
	return ie.NewUserLocationInformationStruct(nil, nil, nil,
		ie.NewTAI(u.tai.PLMN.MCC, u.tai.PLMN.MNC, u.tai.TAC), nil, nil, nil, nil)
}

// modifyBearers hands the SGW the eNB's S1-U F-TEIDs of bearers of p
// (Modify Bearer Request).
func (u *ue) modifyBearers(ctx context.Context, sgw netip.AddrPort, sgwTEID uint32, bs []bearer) error {
	var ies []*ie.IE
	for _, b := range bs {
		ies = append(ies, ie.NewBearerContext(ie.NewEPSBearerID(b.ebi), b.enbU.IE(0)))
	}
	resp, err := u.m.s11Request(ctx, sgw, message.NewModifyBearerRequest(sgwTEID, 0, ies...))
	if err != nil {
		return err
	}
	mbr, ok := resp.(*message.ModifyBearerResponse)
	if !ok {
		return fmt.Errorf("modify bearer: answered with %s", resp.MessageTypeName())
	}
	return checkCause("modify bearer", mbr.Cause)
}

// deleteSession ends a PDN connection at the SGW (Delete Session Request).
func (u *ue) deleteSession(ctx context.Context, sgw netip.AddrPort, p *pdn) error {
	req := message.NewDeleteSessionRequest(p.sgwTEID, 0, ie.NewEPSBearerID(p.ebi))
	resp, err := u.m.s11Request(ctx, sgw, req)
	if err != nil {
		return err
	}
	dsr, ok := resp.(*message.DeleteSessionResponse)
	if !ok {
		return fmt.Errorf("delete session: answered with %s", resp.MessageTypeName())
	}
	return checkCause("delete session", dsr.Cause)
}

// releaseAccessBearers tells the SGW the UE went ECM-IDLE: it drops the
// eNB tunnels and buffers downlink data (Release Access Bearers Request).
func (u *ue) releaseAccessBearers(ctx context.Context, sgw netip.AddrPort, sgwTEID uint32) error {
	resp, err := u.m.s11Request(ctx, sgw, message.NewReleaseAccessBearersRequest(sgwTEID, 0))
	if err != nil {
		return err
	}
	rab, ok := resp.(*message.ReleaseAccessBearersResponse)
	if !ok {
		return fmt.Errorf("release access bearers: answered with %s", resp.MessageTypeName())
	}
	return checkCause("release access bearers", rab.Cause)
}

// kbps converts bit/s to the kbit/s of GTPv2-C and NAS rates, saturating.
func kbps(bps uint64) uint32 { return uint32(min(bps/1000, 0xFFFFFFFF)) }

// bearerQoSIE encodes a bearer's QoS (GTPv2-C rates in kbit/s).
func bearerQoSIE(q s1ap.QoS) *ie.IE {
	pci, pvi := uint8(1), uint8(1) // the flags are "disabled" when set
	if q.ARP.MayTriggerPreemption {
		pci = 0
	}
	if q.ARP.Preemptable {
		pvi = 0
	}
	var g s1ap.GBR
	if q.GBR != nil {
		g = *q.GBR
	}
	return ie.NewBearerQoS(pci, q.ARP.PriorityLevel, pvi, q.QCI, g.MaxUL/1000, g.MaxDL/1000, g.GuaranteedUL/1000, g.GuaranteedDL/1000)
}

// qosOf reads a GTPv2-C Bearer QoS (kbit/s) as E-RAB QoS (bit/s).
func qosOf(f *ie.BearerQoSFields) s1ap.QoS {
	q := s1ap.QoS{QCI: f.QCI, ARP: s1ap.ARP{PriorityLevel: f.ARP >> 2 & 0x0F,
		MayTriggerPreemption: f.ARP&0x40 == 0, Preemptable: f.ARP&0x01 == 0}}
	if f.GuaranteedBitRateForUplink > 0 || f.GuaranteedBitRateForDownlink > 0 || f.QCI >= 1 && f.QCI <= 4 {
		q.GBR = &s1ap.GBR{MaxUL: f.MaximumBitRateForUplink * 1000, MaxDL: f.MaximumBitRateForDownlink * 1000,
			GuaranteedUL: f.GuaranteedBitRateForUplink * 1000, GuaranteedDL: f.GuaranteedBitRateForDownlink * 1000}
	}
	return q
}

// epsQoS is the NAS EPS QoS of a bearer (kbit/s).
func epsQoS(q s1ap.QoS) naseps.EPSQoS {
	out := naseps.EPSQoS{QCI: q.QCI}
	if g := q.GBR; g != nil {
		out.Bitrates = &naseps.BearerBitrates{MBRUplink: g.MaxUL / 1000, MBRDownlink: g.MaxDL / 1000,
			GBRUplink: g.GuaranteedUL / 1000, GBRDownlink: g.GuaranteedDL / 1000}
	}
	return out
}
