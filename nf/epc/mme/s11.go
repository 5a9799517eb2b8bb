package mme

import (
	"context"
	"net/netip"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// serveS11 answers the SGW's requests: Downlink Data Notification, Create
// Bearer and Delete Bearer. A request naming no UE of ours, or coming from
// another address than the UE's SGW, is answered "context not found".
func (m *MME) serveS11(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message {
	m.countMsg(ifS11, dirRx, req.MessageTypeName())
	u := m.byTEID(req.TEID())
	if u != nil && !u.fromSGW(peer) {
		m.log.Warn("S11 request from an address other than the UE's SGW", "from", peer, "type", req.MessageTypeName())
		u = nil
	}
	var resp message.Message
	switch v := req.(type) {
	case *message.DownlinkDataNotification:
		resp = m.onDDN(u)
	case *message.CreateBearerRequest:
		resp = m.onCreateBearer(ctx, u, v)
	case *message.DeleteBearerRequest:
		resp = m.onDeleteBearer(ctx, u, v)
	default:
		m.log.Debug("S11 request we do not serve", "from", peer, "type", req.MessageTypeName())
		return nil
	}
	m.countMsg(ifS11, dirTx, resp.MessageTypeName())
	return resp
}

// fromSGW reports whether peer is the UE's SGW.
func (u *ue) fromSGW(peer netip.AddrPort) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sgw.Addr() == peer.Addr()
}

// sgwTEID is the SGW's S11 TEID for u, 0 for no UE.
func (u *ue) sgwTEID() uint32 {
	if u == nil {
		return 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sgwTEIDLocked()
}

// malformedS11 counts a request whose IEs do not make sense (the
// transport counts those that do not decode).
func (m *MME) malformedS11(what string, err error) {
	m.m.malformed.s11.Add(1)
	m.log.Info("malformed S11 request", "what", what, "err", err)
}

// onDDN answers a Downlink Data Notification: an ECM-IDLE UE is paged;
// the SGW holds the data until the UE's bearers come back (TS 23.401
// 5.3.4.3).
func (m *MME) onDDN(u *ue) message.Message {
	teid := u.sgwTEID()
	if u == nil {
		return message.NewDownlinkDataNotificationAcknowledge(teid, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	u.mu.Lock()
	registered, idle := u.state == emmRegistered, u.conn == nil
	u.mu.Unlock()
	if !registered {
		return message.NewDownlinkDataNotificationAcknowledge(teid, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	if idle {
		u.page()
	}
	return message.NewDownlinkDataNotificationAcknowledge(teid, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted))
}
