package mme

import (
	"context"
	"fmt"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// dedicatedReq is one bearer of a Create Bearer Request (TS 23.401
// 5.4.1): the handler waits on done while the UE's executor sets it up.
type dedicatedReq struct {
	lbi  uint8
	pti  uint8
	qos  s1ap.QoS
	tft  naseps.TFT
	sgwU gtpv2c.FTEID
	pco  *naseps.PCO
	done chan bool // buffered: told once
	// b is the bearer once created; abandoned when the handler gave up
	// (both guarded by u.mu).
	b         *bearer
	abandoned bool
}

// parseDedicated reads the bearer contexts of a Create Bearer Request.
func parseDedicated(req *message.CreateBearerRequest) ([]*dedicatedReq, error) {
	lbi, err := gtpv2c.EBI(req.LinkedEBI)
	if err != nil {
		return nil, err
	}
	var pti uint8
	if req.PTI != nil {
		pti, _ = req.PTI.ProcedureTransactionID()
	}
	if len(req.BearerContexts) == 0 {
		return nil, fmt.Errorf("no bearer context: %w", gtpv2c.ErrMalformed)
	}
	var out []*dedicatedReq
	for _, i := range req.BearerContexts {
		bc, err := gtpv2c.Children(i)
		if err != nil {
			return nil, err
		}
		d := &dedicatedReq{lbi: lbi, pti: pti, done: make(chan bool, 1)}
		if d.sgwU, err = bc.FTEID(0); err != nil {
			return nil, fmt.Errorf("S1-U SGW F-TEID: %w", err)
		}
		q := bc.Get(ie.BearerQoS, 0)
		t := bc.Get(ie.BearerTFT, 0)
		if q == nil || t == nil {
			return nil, fmt.Errorf("bearer context without QoS or TFT: %w", gtpv2c.ErrMalformed)
		}
		f, err := q.BearerQoS()
		if err != nil {
			return nil, fmt.Errorf("bearer QoS: %w: %v", gtpv2c.ErrMalformed, err)
		}
		d.qos = qosOf(f)
		if d.tft, err = parseTFT(t.Payload); err != nil {
			return nil, fmt.Errorf("%w: %v", gtpv2c.ErrMalformed, err)
		}
		if p := bc.Get(ie.ProtocolConfigurationOptions, 0); p != nil {
			d.pco, _ = parsePCO(p.Payload)
		}
		out = append(out, d)
	}
	return out, nil
}

// onCreateBearer serves a Create Bearer Request: each bearer gets an EBI,
// an E-RAB (E-RAB Setup Request carrying the Activate Dedicated EPS
// Bearer Context Request) and, once the eNB set it up and the UE
// accepted, the answer names the eNB's S1-U F-TEID. An ECM-IDLE UE is
// paged first.
func (m *MME) onCreateBearer(ctx context.Context, u *ue, req *message.CreateBearerRequest) message.Message {
	teid := u.sgwTEID()
	if u == nil {
		return message.NewCreateBearerResponse(teid, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	ds, err := parseDedicated(req)
	if err != nil {
		m.malformedS11("Create Bearer Request", err)
		return message.NewCreateBearerResponse(teid, 0, gtpv2c.CauseIE(gtpv2.CauseMandatoryIEMissing))
	}
	for _, d := range ds {
		u.do(func() { u.activateDedicated(d) })
	}
	wait, cancel := context.WithTimeout(ctx, m.cfg.Timers.Procedure)
	defer cancel()
	ies := []*ie.IE{nil}
	var ok int
	for _, d := range ds {
		select {
		case up := <-d.done:
			if up {
				ok++
			}
		case <-wait.Done():
			u.do(func() { u.abandonDedicated(d) })
		}
		ies = append(ies, u.createdBearerIE(d))
	}
	switch {
	case ok == len(ds):
		ies[0] = gtpv2c.CauseIE(gtpv2.CauseRequestAccepted)
	case ok > 0:
		ies[0] = gtpv2c.CauseIE(gtpv2.CauseRequestAcceptedPartially)
	default:
		ies[0] = gtpv2c.CauseIE(gtpv2.CauseUERefuses)
	}
	return message.NewCreateBearerResponse(teid, 0, ies...)
}

// createdBearerIE is the Create Bearer Response bearer context of d.
func (u *ue) createdBearerIE(d *dedicatedReq) *ie.IE {
	u.mu.Lock()
	defer u.mu.Unlock()
	b := d.b
	if b == nil || d.abandoned || !b.synced {
		var ebi uint8
		if b != nil {
			ebi = b.ebi
		}
		return ie.NewBearerContext(ie.NewEPSBearerID(ebi), gtpv2c.CauseIE(gtpv2.CauseUERefuses))
	}
	sgwU := b.sgwU
	sgwU.Interface = gtpv2.IFTypeS1USGWGTPU
	return ie.NewBearerContext(ie.NewEPSBearerID(b.ebi), gtpv2c.CauseIE(gtpv2.CauseRequestAccepted),
		b.enbU.IE(0), sgwU.IE(1))
}

// activateDedicated creates the bearer of d and asks the eNB and the UE
// for it; an ECM-IDLE UE is paged and the activation waits for its
// Service Request.
func (u *ue) activateDedicated(d *dedicatedReq) {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.pdns[d.lbi]
	if d.abandoned || d.b != nil {
		return
	}
	ebi := u.freeEBILocked()
	if p != nil && ebi != 0 && u.state == emmRegistering {
		// Rules the PCRF installs at session start reach us before the
		// UE accepted its default bearer: activate once attached.
		u.afterAttach = append(u.afterAttach, func() { u.activateDedicated(d) })
		return
	}
	if p == nil || ebi == 0 || u.state != emmRegistered {
		d.done <- false
		return
	}
	if u.conn == nil || !u.conn.ctxSetup {
		u.afterConnect = append(u.afterConnect, func() { u.activateDedicated(d) })
		if u.conn == nil && !u.paging {
			u.do(u.page)
		}
		return
	}
	b := &bearer{ebi: ebi, qos: d.qos, sgwU: d.sgwU, activation: d.done}
	p.bearers[ebi] = b
	d.b = b
	msg := &naseps.ActivateDedicatedBearerRequest{ESMHeader: naseps.ESMHeader{EBI: ebi, PTI: d.pti},
		LinkedEBI: d.lbi, QoS: epsQoS(d.qos), TFT: d.tft, PCO: d.pco}
	if err := u.setupERABLocked(b, msg); err != nil {
		u.loggerLocked().Warn("send E-RAB Setup Request", "err", err)
		delete(p.bearers, ebi)
		b.activation = nil
		d.done <- false
	}
}

// abandonDedicated drops a bearer whose Create Bearer Request was
// answered as failed: the eNB and UE let it go too.
func (u *ue) abandonDedicated(d *dedicatedReq) {
	u.mu.Lock()
	defer u.mu.Unlock()
	d.abandoned = true
	b := d.b
	if b == nil {
		return
	}
	b.activation = nil
	if p, cur := u.bearerLocked(b.ebi); cur == b {
		delete(p.bearers, b.ebi)
		u.deactivateLocked([]*bearer{b}, 0)
	}
}

// runAfterAttach runs the dedicated bearer activations that waited for
// the attach to complete.
func (u *ue) runAfterAttach() {
	u.mu.Lock()
	fs := u.afterAttach
	u.afterAttach = nil
	u.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// runAfterConnect runs what waited for the UE to be ECM-CONNECTED with a
// UE context in the eNB.
func (u *ue) runAfterConnect() {
	u.mu.Lock()
	fs := u.afterConnect
	u.afterConnect = nil
	u.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// onDeleteBearer serves a Delete Bearer Request: the named dedicated
// bearers, or with a linked EBI the whole PDN connection, are
// deactivated at the UE (E-RAB Release Command with the Deactivate EPS
// Bearer Context Request); the answer follows the UE's accept, or the
// procedure timer.
func (m *MME) onDeleteBearer(ctx context.Context, u *ue, req *message.DeleteBearerRequest) message.Message {
	teid := u.sgwTEID()
	if u == nil {
		return message.NewDeleteBearerResponse(teid, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	var pti uint8
	if req.PTI != nil {
		pti, _ = req.PTI.ProcedureTransactionID()
	}
	lbi, ebis, err := deleteTargets(req)
	if err != nil {
		m.malformedS11("Delete Bearer Request", err)
		return message.NewDeleteBearerResponse(teid, 0, gtpv2c.CauseIE(gtpv2.CauseMandatoryIEMissing))
	}
	result := make(chan []chan struct{}, 1)
	u.do(func() { result <- u.deactivateBearers(lbi, ebis, pti) })
	wait, cancel := context.WithTimeout(ctx, m.cfg.Timers.Procedure)
	defer cancel()
	var dones []chan struct{}
	select {
	case dones = <-result:
	case <-wait.Done():
	}
	for _, done := range dones {
		select {
		case <-done:
		case <-wait.Done():
		}
	}
	ies := []*ie.IE{gtpv2c.CauseIE(gtpv2.CauseRequestAccepted)}
	if lbi != 0 {
		ies = append(ies, ie.NewEPSBearerID(lbi))
	}
	for _, ebi := range ebis {
		ies = append(ies, ie.NewBearerContext(ie.NewEPSBearerID(ebi), gtpv2c.CauseIE(gtpv2.CauseRequestAccepted)))
	}
	return message.NewDeleteBearerResponse(teid, 0, ies...)
}

// deleteTargets reads a Delete Bearer Request's linked EBI or EBIs.
func deleteTargets(req *message.DeleteBearerRequest) (lbi uint8, ebis []uint8, err error) {
	if req.LinkedEBI != nil {
		lbi, err = gtpv2c.EBI(req.LinkedEBI)
		return lbi, nil, err
	}
	for _, i := range req.EBIs {
		ebi, err := gtpv2c.EBI(i)
		if err != nil {
			return 0, nil, err
		}
		ebis = append(ebis, ebi)
	}
	if len(ebis) == 0 {
		return 0, nil, fmt.Errorf("neither linked EBI nor EBIs: %w", gtpv2c.ErrMalformed)
	}
	return 0, ebis, nil
}

// deactivateBearers removes a PDN connection (lbi) or dedicated bearers
// and starts their deactivation at the UE.
func (u *ue) deactivateBearers(lbi uint8, ebis []uint8, pti uint8) []chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	if p := u.pdns[lbi]; lbi != 0 && p != nil {
		delete(u.pdns, lbi)
		u.m.stats.pdns.Add(-1)
		return []chan struct{}{u.deactivateLocked(bearersOf(p), pti)}
	}
	var dones []chan struct{}
	for _, ebi := range ebis {
		p, b := u.bearerLocked(ebi)
		if b == nil || ebi == p.ebi {
			continue // unknown, or a default bearer named without its PDN
		}
		delete(p.bearers, ebi)
		dones = append(dones, u.deactivateLocked([]*bearer{b}, pti))
	}
	return dones
}
