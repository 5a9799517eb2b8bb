package gnb

import (
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"sync"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/n2"
)

// teidAlloc hands out the downlink TEIDs of our N3 endpoint.
type teidAlloc struct {
	mu   sync.Mutex
	next uint32
	used map[uint32]bool
}

func newTEIDAlloc() *teidAlloc {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux; a zero start is fine too
	return &teidAlloc{next: binary.BigEndian.Uint32(b[:]), used: map[uint32]bool{}}
}

func (a *teidAlloc) get() uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.next == 0 || a.used[a.next] {
		a.next++
	}
	t := a.next
	a.used[t] = true
	a.next++
	return t
}

func (a *teidAlloc) put(t uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.used, t)
}

// setupSessions sets up the user plane of each requested session: a
// downlink TEID on our N3 endpoint towards the UE. It returns the response
// transfers, the failed ones, and the IDs set up.
func (n *NF) setupSessions(ue *ueCtx, items []n2.SessionSetupItem) (ok, failed []n2.SessionTransfer, ready []uint8) {
	for _, it := range items {
		resp, cause := n.setupSession(ue, it)
		if cause == nil {
			ok = append(ok, n2.SessionTransfer{PDUSessionID: it.PDUSessionID, Transfer: resp})
			ready = append(ready, it.PDUSessionID)
			continue
		}
		b, err := (&n2.SetupUnsuccessfulTransfer{Cause: *cause}).Encode()
		if err != nil {
			n.log.Error("encode setup unsuccessful transfer", "err", err)
			continue
		}
		failed = append(failed, n2.SessionTransfer{PDUSessionID: it.PDUSessionID, Transfer: b})
	}
	return ok, failed, ready
}

func (n *NF) setupSession(ue *ueCtx, it n2.SessionSetupItem) ([]byte, *n2.Cause) {
	tr, err := n2.DecodeSetupRequestTransfer(it.Transfer)
	if err != nil {
		n.log.Warn("pdu session setup request transfer", "session", it.PDUSessionID, "err", err)
		return nil, &n2.CauseTransferSyntaxError
	}
	if !tr.ULTunnel.Addr.Is4() || len(tr.QoSFlows) == 0 {
		return nil, &n2.CauseSemanticError
	}
	ep := n.up.Load()
	s := &session{id: it.PDUSessionID, dlTEID: n.teids.get(), ul: tr.ULTunnel, qfi: tr.QoSFlows[0].QFI}
	if err := ep.AddTunnel(s.dlTEID, n.downlink(ue.key, s.id)); err != nil {
		n.teids.put(s.dlTEID)
		n.log.Error("add gtp-u tunnel", "err", err)
		return nil, &n2.CauseTransportUnspecified
	}
	old, err := n.ues.addSession(ue, s)
	if err != nil {
		n.removeTunnel(s)
		return nil, &n2.CauseUnspecified
	}
	if old != nil {
		n.removeTunnel(old)
	}
	qfis := make([]uint8, len(tr.QoSFlows))
	for i, f := range tr.QoSFlows {
		qfis[i] = f.QFI
	}
	b, err := (&n2.SetupResponseTransfer{DLTunnel: n2.GTPTunnel{Addr: n.n3Addr, TEID: s.dlTEID}, QFIs: qfis}).Encode()
	if err != nil {
		n.log.Error("encode setup response transfer", "err", err)
		if n.ues.removeSession(ue, s.id) != nil {
			n.removeTunnel(s)
		}
		return nil, &n2.CauseUnspecified
	}
	return b, nil
}

// downlink is the tunnel handler of one session: G-PDUs from the UPF go
// to the UE over the radio.
func (n *NF) downlink(key ueKey, id uint8) gtpu.Handler {
	return gtpu.HandlerFunc(func(_ netip.AddrPort, _ *gtpu.Header, payload []byte) {
		if n.toUE(key, radio.DownlinkData, uint16(id), payload) {
			n.m.dlPackets.Inc()
			n.m.dlBytes.Add(float64(len(payload)))
		}
	})
}

// uplink sends a UE's packet to its session's UPF.
func (n *NF) uplink(key ueKey, m radio.Message) {
	ue, s := n.ues.session(key, uint8(m.Session))
	switch {
	case ue == nil:
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		n.sendRelease(key)
		return
	case s == nil:
		n.m.dropped.WithLabelValues(dropNoSession).Inc()
		return
	}
	dst := netip.AddrPortFrom(s.ul.Addr, uint16(n.cfg.GTPU.PeerPort))
	if err := n.up.Load().Send(dst, s.ul.TEID, s.qfi, m.Body); err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Debug("gtp-u send", "err", err)
		return
	}
	n.m.ulPackets.Inc()
	n.m.ulBytes.Add(float64(len(m.Body)))
}

func (n *NF) removeTunnel(s *session) {
	n.up.Load().RemoveTunnel(s.dlTEID)
	n.teids.put(s.dlTEID)
}

// releaseUserPlane removes the tunnels of a UE context already taken out
// of the table.
func (n *NF) releaseUserPlane(ue *ueCtx) {
	for _, s := range n.ues.sessionsOf(ue) {
		n.removeTunnel(s)
	}
}

// onGTPUErrorIndication: the UPF has no tunnel for an uplink TEID we use,
// so the sessions using it lose their user plane here too.
func (n *NF) onGTPUErrorIndication(from netip.AddrPort, ei gtpu.ErrorIndication) {
	n.m.errorInds.WithLabelValues("rx", "gtpu").Inc()
	peer := ei.PeerAddr
	if !peer.IsValid() {
		peer = from.Addr()
	}
	for _, us := range n.ues.findUL(peer, ei.TEID) {
		if n.ues.removeSession(us.ue, us.s.id) != nil {
			n.removeTunnel(us.s)
		}
		n.log.Warn("uplink tunnel unknown at the upf: session user plane removed",
			"ue", us.ue.key.String(), "session", us.s.id, "teid", ei.TEID)
	}
}
