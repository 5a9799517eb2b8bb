package smf

import (
	"context"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// kickAssociations makes maintainUPFs look at once.
func (n *NF) kickAssociations() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// maintainUPFs associates with every UPF that should be associated and
// is not: at start, every t_pfcp.associate_retry, and when told.
func (n *NF) maintainUPFs(ctx context.Context) error {
	t := time.NewTicker(n.cfg.TPFCP.AssociateRetry)
	defer t.Stop()
	for {
		for _, u := range n.upfs.all() {
			if n.wantAssociation(u) && u.associating.CompareAndSwap(false, true) {
				n.bg.Go(func() {
					defer u.associating.Store(false)
					n.associate(ctx, u)
				})
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-n.kick:
		}
	}
}

// wantAssociation: not associated, and selectable or still holding
// sessions (a UPF that left the NRF keeps serving what it has).
func (n *NF) wantAssociation(u *upfNode) bool {
	if u.associated.Load() {
		return false
	}
	u.mu.Lock()
	listed := u.listed
	u.mu.Unlock()
	return listed || u.sessions.Load() > 0
}

func (n *NF) associate(ctx context.Context, u *upfNode) {
	node := n.node.Load()
	if node == nil {
		return
	}
	// Longer than the node's own T1 x (N1+1), so its timeout is the one
	// reported.
	tries := time.Duration(n.cfg.TPFCP.N1 + 2)
	actx, cancel := context.WithTimeout(ctx, n.cfg.TPFCP.T1*tries)
	defer cancel()
	info, err := node.Associate(actx, u.addr)
	if err != nil {
		if ctx.Err() == nil {
			u.setErr(err)
			n.log.Debug("PFCP association failed", "upf", u.key, "err", err)
		}
		return
	}
	// The node reports a new association through onAssociationUp; a
	// re-association it already knew is only this answer.
	n.associated(u, info)
}

// onAssociationUp runs when the PFCP node has a new association, ours or
// one a UPF set up with us.
func (n *NF) onAssociationUp(info pfcp.PeerInfo) {
	u, isNew := n.upfs.getOrAdd(info.Addr)
	if isNew {
		// A UPF that associated on its own: select it for every DNN.
		u.mu.Lock()
		u.listed = true
		u.mu.Unlock()
		n.log.Info("UPF associated on its own initiative", "upf", u.key, "node_id", info.NodeID)
	}
	n.associated(u, info)
}

// associated marks u up; a new Recovery Time Stamp means it restarted and
// lost the sessions it had.
func (n *NF) associated(u *upfNode, info pfcp.PeerInfo) {
	u.mu.Lock()
	prev := u.recovery
	u.recovery = info.RecoveryTime
	u.lastErr = ""
	u.mu.Unlock()
	if u.associated.CompareAndSwap(false, true) {
		n.log.Info("UPF associated", "upf", u.key, "node_id", info.NodeID, "sessions", u.sessions.Load())
	}
	if !prev.IsZero() && !prev.Equal(info.RecoveryTime) {
		n.upfRestarted(u, "re-associated with a new recovery time stamp")
	}
}

// onAssociationDown: heartbeats went unanswered. The UPF is no longer
// selected; its sessions stay (the UPF may come back with them) and are
// reported here and in corebox_smf_pfcp_association_losses_total.
func (n *NF) onAssociationDown(info pfcp.PeerInfo) {
	u := n.upfs.get(info.Addr)
	if u == nil {
		return
	}
	u.associated.Store(false)
	u.setErr(errAssociationLost)
	n.metrics.assocLosses.Inc()
	held := n.store.onUPF(u)
	n.log.Warn("UPF unavailable: PFCP association lost; its sessions have no user plane until it returns",
		"upf", u.key, "sessions", len(held))
	n.kickAssociations()
}

// onPeerRestart: an associated UPF answered with a new Recovery Time
// Stamp. Its sessions are gone there; associate again and release them.
func (n *NF) onPeerRestart(info pfcp.PeerInfo, _ time.Time) {
	u := n.upfs.get(info.Addr)
	if u == nil {
		return
	}
	u.mu.Lock()
	u.recovery = info.RecoveryTime
	u.mu.Unlock()
	n.metrics.assocLosses.Inc()
	u.associated.Store(false)
	n.kickAssociations()
	n.upfRestarted(u, "restarted")
}

// upfRestarted releases the sessions a UPF lost, telling their AMFs.
func (n *NF) upfRestarted(u *upfNode, why string) {
	held := n.store.onUPF(u)
	if len(held) == 0 {
		return
	}
	n.log.Warn("UPF lost its sessions; releasing them", "upf", u.key, "why", why, "sessions", len(held))
	n.goBG(func(ctx context.Context) {
		for _, c := range held {
			n.releaseByNetwork(ctx, c, "upf_restart", models.Smf_PDUSess_Cause_INSUFFICIENT_UP_RESOURCES)
		}
	})
}

type assocError string

func (e assocError) Error() string { return string(e) }

const errAssociationLost = assocError("PFCP association lost: heartbeats unanswered")
