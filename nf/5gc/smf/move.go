package smf

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// moveCheck is how often UPFs that left the NRF are looked at.
const moveCheck = time.Second

// move is a session on its way to another UPF: established there, waiting
// for the gNB to take the new uplink tunnel.
type move struct {
	to   *upfNode
	seid uint64       // CP SEID of the session on to
	ul   n2.GTPTunnel // to's N3 F-TEID
	done chan error   // the gNB's answer (buffered, one value)
}

// errMoveAborted: the session was released while it moved.
var errMoveAborted = errors.New("session released while moving")

// moveOffLeftUPFs moves the sessions of every UPF that has been out of the
// NRF's list for upf_drain.move_after to other UPFs, so a draining UPF
// empties and stops without its sessions being dropped.
func (n *NF) moveOffLeftUPFs(ctx context.Context) error {
	t := time.NewTicker(moveCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := time.Now()
		for _, u := range n.upfs.all() {
			if u.leftFor(now) >= n.cfg.UPFDrain.MoveAfter && u.sessions.Load() > 0 {
				n.moveAll(ctx, u)
			}
		}
	}
}

// moveAll moves the sessions anchored on from, upf_drain.parallel at once.
func (n *NF) moveAll(ctx context.Context, from *upfNode) {
	held := n.store.onUPF(from)
	n.log.Info("moving sessions off a UPF that left the NRF", "upf", from.key, "sessions", len(held))
	sem := make(chan struct{}, n.cfg.UPFDrain.Parallel)
	for _, c := range held {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n.bg.Go(func() {
			defer func() { <-sem }()
			result := "moved"
			if err := n.moveSession(ctx, c, from); err != nil {
				result = moveResult(err)
				n.log.Warn("session not moved", "supi", c.supi, "psi", c.psi, "from", from.key, "err", err)
			}
			n.metrics.moves.WithLabelValues(result).Inc()
		})
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
}

type moveError struct {
	result string
	err    error
}

func (e *moveError) Error() string { return e.err.Error() }
func (e *moveError) Unwrap() error { return e.err }

func moveFailed(result string, format string, args ...any) error {
	return &moveError{result: result, err: fmt.Errorf(format, args...)}
}

func moveResult(err error) string {
	var me *moveError
	if errors.As(err, &me) {
		return me.result
	}
	return "failed"
}

// moveSession is make-before-break: a PFCP session on another UPF with
// the same UE address and the gNB's downlink tunnel; then the gNB is told
// the new uplink tunnel (PDU Session Resource Modify, through the AMF);
// then the old UPF's session goes, after upf_drain.hold. An idle session
// has no RAN tunnel: its anchor just changes, and the next Service Request
// sets the gNB up toward the new UPF.
func (n *NF) moveSession(ctx context.Context, c *smContext, from *upfNode) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.UPFDrain.Timeout)
	defer cancel()
	c.mu.Lock()
	if c.phase.Load() != phaseActive || c.upf != from || c.moving != nil {
		c.mu.Unlock()
		return nil // released, or moved already
	}
	mv, err := n.establishElsewhere(ctx, c)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if c.dlTunnel == nil {
		oldSEID := n.switchAnchor(c, mv)
		c.mu.Unlock()
		n.dropLater(from, c, oldSEID)
		return nil
	}
	c.moving = mv
	transfer, err := modifyTransfer(mv.ul, *c.dlTunnel)
	amf := c.amf()
	c.mu.Unlock()
	if err == nil {
		req := smcontext.NewN1N2Request(c.psi, &c.entry.snssai, nil, models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ, transfer)
		err = n.transferN1N2(ctx, amf, "upf_move", req)
	}
	if err == nil {
		select {
		case err = <-mv.done:
		case <-ctx.Done():
			err = moveFailed("timeout", "no answer from the gNB within %v", n.cfg.UPFDrain.Timeout)
		}
	}
	if err != nil {
		n.abandonMove(c, mv)
		return err
	}
	return nil
}

// establishElsewhere installs c's rules on the least loaded other UPF
// serving its DNN. The caller holds c.mu.
func (n *NF) establishElsewhere(ctx context.Context, c *smContext) (*move, error) {
	var to *upfNode
	for _, u := range n.upfs.candidates(c.entry) {
		if u != c.upf {
			to = u
			break
		}
	}
	if to == nil {
		return nil, moveFailed("no_upf", "no other associated UPF serves DNN %q", c.entry.name)
	}
	node := n.node.Load()
	if node == nil {
		return nil, moveFailed("failed", "%w", errStopped)
	}
	rules := sessionRules(c)
	switch {
	case c.dlTunnel != nil:
		rules.FARs[1] = forwardFAR(*c.dlTunnel)
	case c.upState == models.Smf_PDUSess_UpCnxState_DEACTIVATED:
		rules.FARs[1] = bufferNotifyFAR()
	}
	res, err := node.EstablishSession(ctx, to.addr, rules)
	if err != nil {
		return nil, moveFailed("upf_failed", "PFCP session on UPF %s: %w", to.key, err)
	}
	ul, err := ulTunnelOf(res.CreatedPDRs)
	if err != nil {
		n.deleteOn(ctx, to, res.CPSEID)
		return nil, moveFailed("upf_failed", "UPF %s: %w", to.key, err)
	}
	to.sessions.Add(1)
	return &move{to: to, seid: res.CPSEID, ul: ul, done: make(chan error, 1)}, nil
}

// switchAnchor makes mv's UPF the session's; it returns the old CP SEID.
// The caller holds c.mu.
func (n *NF) switchAnchor(c *smContext, mv *move) uint64 {
	old := c.cpSEID
	c.upf.sessions.Add(-1)
	n.store.bySEID.CompareAndDelete(old, c)
	c.upf, c.cpSEID, c.ulTunnel, c.moving = mv.to, mv.seid, mv.ul, nil
	n.store.bySEID.Store(mv.seid, c)
	n.metrics.selections.WithLabelValues(mv.to.key).Inc()
	return old
}

// moveAnswered takes the gNB's answer to the Modify Request (under c.mu).
func (n *NF) moveAnswered(c *smContext, ok bool, info []byte) (*smcontext.UpdateResponse, *updateError) {
	mv := c.moving
	if mv == nil {
		return nil, badUpdate("N2_SM_ERROR", "no PDU session resource modification in progress")
	}
	if !ok {
		f, err := n2.DecodeModifyUnsuccessfulTransfer(info)
		if err != nil {
			n.metrics.malformed.Inc()
			mv.done <- moveFailed("ran_failed", "PDU_RES_MOD_FAIL: %v", err)
			return nil, badUpdate("N2_SM_ERROR", "PDU_RES_MOD_FAIL: %v", err)
		}
		mv.done <- moveFailed("ran_failed", "the gNB did not take the new tunnel: cause %v", f.Cause)
		return nil, nil
	}
	if _, err := n2.DecodeModifyResponseTransfer(info); err != nil {
		n.metrics.malformed.Inc()
		mv.done <- moveFailed("ran_failed", "PDU_RES_MOD_RSP: %v", err)
		return nil, badUpdate("N2_SM_ERROR", "PDU_RES_MOD_RSP: %v", err)
	}
	from := c.upf
	old := n.switchAnchor(c, mv)
	n.dropLater(from, c, old)
	mv.done <- nil
	return nil, nil
}

// abandonMove undoes a move the gNB did not take: the new UPF's session
// goes, the old one stays.
func (n *NF) abandonMove(c *smContext, mv *move) {
	c.mu.Lock()
	pending := c.moving == mv
	if pending {
		c.moving = nil
	}
	c.mu.Unlock()
	if !pending {
		return // answered after all, or released (teardown cleaned up)
	}
	p := n.bgCtx.Load()
	if p == nil {
		return
	}
	n.deleteOn(*p, mv.to, mv.seid)
	mv.to.sessions.Add(-1)
}

// dropLater deletes the session's old PFCP session on from after
// upf_drain.hold.
func (n *NF) dropLater(from *upfNode, c *smContext, seid uint64) {
	n.goBG(func(ctx context.Context) {
		t := time.NewTimer(n.cfg.UPFDrain.Hold)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		if usage := n.deleteOn(context.WithoutCancel(ctx), from, seid); usage != nil {
			n.recordUsage(c, usage)
		}
	})
}

// modifyTransfer is the N2 PDU Session Resource Modify Request Transfer
// that moves the uplink to ul and keeps the gNB's downlink tunnel dl.
func modifyTransfer(ul, dl n2.GTPTunnel) ([]byte, error) {
	t := &n2.ModifyRequestTransfer{ULTunnelModify: []n2.ULTunnelModifyItem{{UL: ul, DL: dl}}}
	b, err := t.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode modify request transfer: %w", err)
	}
	return b, nil
}
