package pfcp

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// peer is an associated PFCP entity.
type peer struct {
	info PeerInfo
}

func (n *Node) nodeIDIE() *ie.IE {
	if a, err := netip.ParseAddr(n.nodeID); err == nil {
		if a.Is4() {
			return ie.NewNodeID(n.nodeID, "", "")
		}
		return ie.NewNodeID("", n.nodeID, "")
	}
	return ie.NewNodeID("", "", n.nodeID)
}

func (n *Node) featuresIE() *ie.IE {
	if n.cfg.Role == RoleCP {
		f := n.cfg.Features
		if len(f) == 0 {
			f = []byte{0}
		}
		return ie.NewCPFunctionFeatures(f...)
	}
	f := n.cfg.Features
	if len(f) == 0 {
		f = []byte{0x10, 0} // FTUP: we allocate F-TEIDs on CHOOSE
	}
	return ie.NewUPFunctionFeatures(f...)
}

func (n *Node) recoveryIE() *ie.IE { return ie.NewRecoveryTimeStamp(n.cfg.RecoveryTime) }

// Associate sets up a PFCP association with the peer (TS 29.244 §6.2.6)
// and starts heartbeats to it.
func (n *Node) Associate(ctx context.Context, addr netip.AddrPort) (PeerInfo, error) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	req := message.NewAssociationSetupRequest(0, nonNil([]*ie.IE{n.nodeIDIE(), n.recoveryIE(), n.featuresIE()})...)
	resp, err := n.request(ctx, addr, req, n.cfg.N1)
	if err != nil {
		return PeerInfo{}, fmt.Errorf("associate with %s: %w", addr, err)
	}
	res, ok := resp.(*message.AssociationSetupResponse)
	if !ok {
		return PeerInfo{}, fmt.Errorf("associate with %s: %w: got %s", addr, ErrMalformed, resp.MessageTypeName())
	}
	if err := checkCause(res.Cause, nil); err != nil {
		return PeerInfo{}, fmt.Errorf("associate with %s: %w", addr, err)
	}
	nodeID, rts, err := peerIdentity(res.NodeID, res.RecoveryTimeStamp)
	if err != nil {
		return PeerInfo{}, fmt.Errorf("associate with %s: %w", addr, err)
	}
	return n.associate(addr, nodeID, rts), nil
}

// peerIdentity reads the Node ID and Recovery Time Stamp every association
// message carries.
func peerIdentity(nodeID, rts *ie.IE) (string, time.Time, error) {
	if nodeID == nil {
		return "", time.Time{}, missingIE(ie.NodeID)
	}
	if rts == nil {
		return "", time.Time{}, missingIE(ie.RecoveryTimeStamp)
	}
	id, err := nodeID.NodeID()
	if err != nil {
		return "", time.Time{}, badIE(ie.NodeID, err)
	}
	t, err := rts.RecoveryTimeStamp()
	if err != nil {
		return "", time.Time{}, badIE(ie.RecoveryTimeStamp, err)
	}
	return id, t, nil
}

// associate records the association, reporting a restart if the peer was
// associated with another Recovery Time Stamp.
func (n *Node) associate(addr netip.AddrPort, nodeID string, rts time.Time) PeerInfo {
	info := PeerInfo{Addr: addr, NodeID: nodeID, RecoveryTime: rts}
	n.mu.Lock()
	p, existed := n.peers[addr]
	var previous time.Time
	if existed {
		previous = p.info.RecoveryTime
		p.info = info
	} else {
		p = &peer{info: info}
		n.peers[addr] = p
	}
	n.mu.Unlock()
	if existed && !previous.Equal(rts) {
		n.peerRestarted(info, previous)
	}
	if !existed {
		n.log.Info("PFCP association up", "peer", addr, "node_id", nodeID)
		if n.cfg.OnAssociationUp != nil {
			n.cfg.OnAssociationUp(info)
		}
		goTracked(&n.wg, func() { n.supervise(p, addr) })
	}
	return info
}

func (n *Node) peerRestarted(info PeerInfo, previous time.Time) {
	n.stats.PeerRestarts.Add(1)
	n.log.Warn("PFCP peer restarted", "peer", info.Addr, "node_id", info.NodeID,
		"previous", previous, "recovery", info.RecoveryTime)
	if n.cfg.OnPeerRestart != nil {
		n.cfg.OnPeerRestart(info, previous)
	}
}

// Associated reports whether addr is an associated peer.
func (n *Node) Associated(addr netip.AddrPort) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.peers[addr]
	return ok
}

// checkRestart compares a Recovery Time Stamp heard from an associated peer.
func (n *Node) checkRestart(addr netip.AddrPort, rts time.Time) {
	n.mu.Lock()
	p, ok := n.peers[addr]
	var previous time.Time
	changed := ok && !p.info.RecoveryTime.Equal(rts)
	if changed {
		previous = p.info.RecoveryTime
		p.info.RecoveryTime = rts
	}
	var info PeerInfo
	if ok {
		info = p.info
	}
	n.mu.Unlock()
	if changed {
		n.peerRestarted(info, previous)
	}
}

func (n *Node) onHeartbeat(from netip.AddrPort, req *message.HeartbeatRequest) message.Message {
	if req.RecoveryTimeStamp != nil {
		if rts, err := req.RecoveryTimeStamp.RecoveryTimeStamp(); err == nil {
			n.checkRestart(from, rts)
		}
	}
	return message.NewHeartbeatResponse(req.Sequence(), n.recoveryIE())
}

func (n *Node) onAssociationSetup(from netip.AddrPort, req *message.AssociationSetupRequest) message.Message {
	reply := func(c Cause) message.Message {
		ies := []*ie.IE{n.nodeIDIE(), ie.NewCause(uint8(c)), n.recoveryIE(), n.featuresIE()}
		return message.NewAssociationSetupResponse(req.Sequence(), nonNil(ies)...)
	}
	nodeID, rts, err := peerIdentity(req.NodeID, req.RecoveryTimeStamp)
	if err != nil {
		cause, _ := rejection(err)
		n.log.Info("association setup rejected", "peer", from, "err", err)
		return reply(cause)
	}
	peerIsUP := req.UPFunctionFeatures != nil
	if peerIsUP == (n.cfg.Role == RoleUP) {
		n.log.Info("association setup rejected: peer has our role", "peer", from, "role", n.cfg.Role)
		return reply(CauseRequestRejected)
	}
	n.associate(from, nodeID, rts)
	return reply(CauseRequestAccepted)
}

// supervise sends heartbeats to an associated peer until the node stops
// or HeartbeatMissed heartbeats in a row go unanswered.
func (n *Node) supervise(p *peer, addr netip.AddrPort) {
	ticker := time.NewTicker(n.cfg.HeartbeatInterval)
	defer ticker.Stop()
	missed := 0
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-ticker.C:
		}
		req := message.NewHeartbeatRequest(0, n.recoveryIE(), nil)
		resp, err := n.request(n.ctx, addr, req, 0)
		if n.ctx.Err() != nil {
			return
		}
		if err != nil {
			missed++
			n.stats.HeartbeatsMissed.Add(1)
			if missed >= n.cfg.HeartbeatMissed {
				n.associationDown(p)
				return
			}
			continue
		}
		missed = 0
		if hb, ok := resp.(*message.HeartbeatResponse); ok && hb.RecoveryTimeStamp != nil {
			if rts, err := hb.RecoveryTimeStamp.RecoveryTimeStamp(); err == nil {
				n.checkRestart(addr, rts)
			}
		}
	}
}

func (n *Node) associationDown(p *peer) {
	n.mu.Lock()
	if n.peers[p.info.Addr] == p {
		delete(n.peers, p.info.Addr)
	}
	info := p.info
	n.mu.Unlock()
	n.stats.AssociationsDown.Add(1)
	n.log.Warn("PFCP association down: heartbeats unanswered", "peer", info.Addr, "node_id", info.NodeID)
	if n.cfg.OnAssociationDown != nil {
		n.cfg.OnAssociationDown(info)
	}
}
