package ue

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// eventQueue is how many downlink events wait for a busy UE.
const eventQueue = 16

type eventKind uint8

const (
	evNAS          eventKind = iota + 1 // a downlink NAS PDU
	evRelease                           // RRC release: CM-IDLE
	evSessionReady                      // a session's user plane is up
	evPaging                            // paged with our 5G-S-TMSI
	evUplinkData                        // a program sent data while idle
)

type event struct {
	kind    eventKind
	nas     []byte
	session uint8
}

// command is a procedure the UE's loop runs for a control-API step.
type command struct {
	ctx  context.Context
	fn   func(ctx context.Context) (string, error)
	done chan result
}

type result struct {
	detail string
	err    error
}

// UE is one simulated UE. Its NAS state belongs to its loop goroutine;
// what the control API reads is published under mu.
type UE struct {
	sim    *NF
	index  int
	id     uint32 // radio UE ID: index + 1
	supi   string
	imsi   aka.IMSI
	usim   *aka.USIM
	imeisv string

	events chan event
	cmds   chan command

	// Loop-owned state.
	rrc        bool // RRC connected
	registered bool
	sec        *nas5g.SecurityContext
	ngKSI      nas5g.KSI
	pending    *pendingKeys // from a successful authentication
	guti       *nas5g.GUTI
	initialReq []byte // the Registration Request, for the SMC Complete
	sessions   map[uint8]*pduSession
	pti        uint8
	// eps is the EPS state in lte mode (nil in nr mode, where the fields
	// above serve; rrc and registered serve both).
	eps *epsUE
	// ims is the IMS user agent's side in lte mode (nil in nr mode).
	ims *imsUE

	mu   sync.Mutex
	snap snapshot
}

// pendingKeys is the outcome of 5G AKA, waiting for the Security Mode
// Command that puts it in use.
type pendingKeys struct {
	kamf  aka.Key256
	ngKSI nas5g.KSI
}

// pduSession is one PDU session as the UE knows it.
type pduSession struct {
	id       uint8
	pti      uint8
	dnn      string
	addr     netip.Addr
	qfi      uint8
	accepted bool // PDU Session Establishment Accept received
	ready    bool // user plane up at the gNB (SessionReady since the last Release)
}

// snapshot is what GET /ues and the metrics read.
type snapshot struct {
	registered, connected bool
	guti                  string
	// pagingKey is the Paging body that names us: the 5G-S-TMSI, or the
	// S-TMSI in lte mode.
	pagingKey [6]byte
	sessions  []int // PDU session IDs (lte: default EBIs)
	addrs     []string
	pdns      []PDNState // lte only
	bearers   int        // lte only
}

func newUE(sim *NF, index int) (*UE, error) {
	r := sim.res
	supi := r.supiOf(index)
	imsi, err := aka.ParseSUPI(supi, len(r.plmn.MNC))
	if err != nil {
		return nil, fmt.Errorf("ue %d: %w", index, err)
	}
	usim, err := aka.NewUSIM(aka.USIMConfig{K: r.k, OPc: r.opc, OP: r.op, SUPI: supi})
	if err != nil {
		return nil, fmt.Errorf("ue %s: %w", supi, err)
	}
	u := &UE{sim: sim, index: index, id: uint32(index + 1), supi: supi, imsi: imsi, usim: usim,
		imeisv: fmt.Sprintf("%016d", r.imeisv+uint64(index)),
		events: make(chan event, eventQueue), cmds: make(chan command),
		ngKSI: nas5g.NoKey, sessions: map[uint8]*pduSession{}}
	if r.lte {
		u.eps = newEPSUE()
		u.ims = newIMSUE(supi)
	}
	return u, nil
}

// SUPI is the UE's SUPI.
func (u *UE) SUPI() string { return u.supi }

// loop runs the UE's procedures and handles what the network sends
// unasked, until ctx ends.
func (u *UE) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-u.cmds:
			detail, err := c.fn(c.ctx)
			c.done <- result{detail, err}
		case ev := <-u.events:
			u.unsolicited(ctx, ev)
		case <-u.t3412C():
			u.periodicTAU(ctx)
		}
	}
}

// errBusy: the UE's loop did not take the step before its deadline.
var errBusy = fmt.Errorf("%w: UE busy with another procedure", errTimeout)

// run hands fn to the UE's loop and waits for its outcome.
func (u *UE) run(ctx context.Context, fn func(ctx context.Context) (string, error)) (string, error) {
	c := command{ctx: ctx, fn: fn, done: make(chan result, 1)}
	select {
	case u.cmds <- c:
	case <-ctx.Done():
		return "", errBusy
	}
	r := <-c.done
	return r.detail, r.err
}

// post queues an event for the loop; a full queue drops it (counted).
func (u *UE) post(ev event) {
	select {
	case u.events <- ev:
	default:
		u.sim.m.dropped.WithLabelValues("queue_full").Inc()
	}
}

// next waits for the next event of a running procedure.
func (u *UE) next(ctx context.Context) (event, error) {
	select {
	case ev := <-u.events:
		return ev, nil
	case <-ctx.Done():
		return event{}, errTimeout
	}
}

var errTimeout = errors.New("timeout")

// publish copies the loop's state for readers.
func (u *UE) publish() {
	s := snapshot{registered: u.registered, connected: u.rrc}
	if u.eps != nil {
		u.publishEPS(s)
		return
	}
	if u.guti != nil && u.registered {
		s.guti = gutiString(*u.guti)
		s.pagingKey = stmsi5GKey(u.guti.STMSI())
	}
	ids := make([]int, 0, len(u.sessions))
	for id, ps := range u.sessions {
		if ps.accepted {
			ids = append(ids, int(id))
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.addrs = append(s.addrs, u.sessions[uint8(id)].addr.String())
	}
	s.sessions = ids
	u.store(s)
}

// store publishes s and keeps the paging index in step.
func (u *UE) store(s snapshot) {
	u.mu.Lock()
	old := u.snap
	u.snap = s
	u.mu.Unlock()
	u.sim.reindex(u, old, s)
}

// publishEPS fills and stores the lte part of a snapshot.
func (u *UE) publishEPS(s snapshot) {
	if u.eps.guti != nil && u.registered {
		s.guti = epsGUTIString(*u.eps.guti)
		s.pagingKey = stmsiKey(*u.eps.guti)
	}
	s.pdns = u.eps.pdnStates()
	s.bearers = len(u.eps.bearers)
	for _, p := range s.pdns {
		s.sessions = append(s.sessions, p.EBI)
		s.addrs = append(s.addrs, p.Address)
	}
	u.store(s)
}

// stmsi5GKey is the radio Paging body of a 5G-S-TMSI: AMF set ID (10
// bits) and pointer (6 bits) in two octets, then the 5G-TMSI.
func stmsi5GKey(s nas5g.STMSI) [6]byte {
	v := s.AMFSetID<<6 | uint16(s.AMFPointer&0x3F)
	return [6]byte{byte(v >> 8), byte(v), byte(s.TMSI >> 24), byte(s.TMSI >> 16), byte(s.TMSI >> 8), byte(s.TMSI)}
}

func (u *UE) snapshot() snapshot {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.snap
}

// State is the UE as GET /ues reports it.
func (u *UE) State() simapi.UEState {
	s := u.snapshot()
	st := simapi.UEState{SUPI: u.supi, State: "deregistered", GUTI: s.guti, Sessions: s.sessions, Addresses: s.addrs,
		IMPU: u.ims.registeredIMPU()}
	switch {
	case s.registered && s.connected:
		st.State = "registered"
	case s.registered:
		st.State = "idle"
	}
	return st
}

// gutiString formats a 5G-GUTI as MCC MNC, AMF ID (6 hex digits) and
// 5G-TMSI (8 hex digits).
func gutiString(g nas5g.GUTI) string {
	amfID := uint32(g.AMFRegionID)<<16 | uint32(g.AMFSetID&0x3FF)<<6 | uint32(g.AMFPointer&0x3F)
	return fmt.Sprintf("%s%s%06x%08x", g.PLMN.MCC, g.PLMN.MNC, amfID, g.TMSI)
}

// send puts one radio message on the air.
func (u *UE) send(t radio.Type, session uint8, body []byte) error {
	return u.sim.send(radio.Message{Type: t, Session: uint16(session), UE: u.id, Body: body})
}

// sendNAS sends an uplink NAS PDU: in a Connect when the UE is idle
// (an initial NAS message), else over the connection.
func (u *UE) sendNAS(pdu []byte) error {
	if !u.rrc {
		u.rrc = true
		return u.send(radio.Connect, 0, pdu)
	}
	return u.send(radio.UplinkNAS, 0, pdu)
}

// sendProtected protects a NAS message in the current security context
// and sends it over the connection.
func (u *UE) sendProtected(m nas5g.Message) error {
	pdu, err := u.protect(m, nas5g.IntegrityProtectedAndCiphered)
	if err != nil {
		return err
	}
	return u.sendNAS(pdu)
}

func (u *UE) protect(m nas5g.Message, ht nas5g.HeaderType) ([]byte, error) {
	if u.sec == nil {
		return nil, errors.New("no NAS security context")
	}
	plain, err := m.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	pdu, err := u.sec.Protect(plain, ht)
	if err != nil {
		return nil, fmt.Errorf("protect %s: %w", m.MessageType(), err)
	}
	return pdu, nil
}

func (u *UE) sendPlain(m nas5g.Message) error {
	b, err := m.Encode()
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	return u.sendNAS(b)
}

// released is the UE's side of an RRC release: CM-IDLE, no user plane.
func (u *UE) released() {
	u.rrc = false
	if u.eps != nil {
		u.releasedEPS()
	}
	for _, s := range u.sessions {
		s.ready = false
		u.sim.dp.setReady(s.addr, false)
	}
	u.publish()
}

// forget drops registration, security and sessions (deregistered).
func (u *UE) forget() {
	u.registered, u.sec, u.pending, u.guti, u.ngKSI = false, nil, nil, nil, nas5g.NoKey
	for id, s := range u.sessions {
		u.dropSession(id, s)
	}
	u.publish()
}

func (u *UE) dropSession(id uint8, s *pduSession) {
	delete(u.sessions, id)
	if s.accepted {
		u.sim.dp.remove(s.addr)
	}
}

func (u *UE) nextPTI() uint8 {
	u.pti++
	if u.pti == 0 || u.pti == 255 {
		u.pti = 1
	}
	return u.pti
}
