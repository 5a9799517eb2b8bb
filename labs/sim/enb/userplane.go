package enb

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// teidAlloc hands out the downlink TEIDs of our S1-U endpoint.
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

// Causes of E-RABs the eNB does not set up, beyond those s1ap names.
var (
	// causeMultipleERABID: radio network cause multiple-E-RAB-ID-instances.
	causeMultipleERABID = s1ap.Cause{Group: s1ap.CauseRadioNetwork, Value: 31}
)

// The E-RAB ID is the EPS bearer identity, 5..15 (TS 24.007 11.2.3.1.5);
// the radio carries it in the header field where 0 means none.
const (
	minEBI    = 5
	maxERABID = 15
)

// setupERABs sets up the user plane of each requested E-RAB: a downlink
// TEID on our S1-U endpoint towards the UE. With replace, an E-RAB ID the
// UE already has is set up afresh (Initial Context Setup); without, it
// fails (E-RAB Setup). It returns the E-RABs set up, with the NAS PDUs
// they carry, and those that failed.
func (n *ENB) setupERABs(ue *ueCtx, items []s1ap.ERABToSetup, replace bool) (ok []s1ap.ERABSetupItem, nas [][]byte, failed []s1ap.ERABItem) {
	seen := map[uint8]bool{}
	for _, it := range items {
		if seen[it.ID] {
			failed = append(failed, s1ap.ERABItem{ID: it.ID, Cause: causeMultipleERABID})
			continue
		}
		seen[it.ID] = true
		teid, cause := n.setupERAB(ue, it, replace)
		if cause != nil {
			n.log.Warn("e-rab not set up", "ue", ue.key.String(), "erab", it.ID, "cause", cause.String())
			failed = append(failed, s1ap.ERABItem{ID: it.ID, Cause: *cause})
			continue
		}
		ok = append(ok, s1ap.ERABSetupItem{ID: it.ID, Tunnel: s1ap.GTPTunnel{Addr: n.s1uAddr, TEID: teid}})
		if len(it.NASPDU) > 0 {
			nas = append(nas, it.NASPDU)
		}
	}
	return ok, nas, failed
}

func (n *ENB) setupERAB(ue *ueCtx, it s1ap.ERABToSetup, replace bool) (uint32, *s1ap.Cause) {
	if it.ID < minEBI {
		return 0, &s1ap.CauseSemanticError
	}
	if !it.Tunnel.Addr.Is4() || it.Tunnel.Addr.IsUnspecified() {
		// Our S1-U socket is IPv4: an SGW only reachable over IPv6 is not.
		return 0, &s1ap.CauseTransportResourceUnavailable
	}
	e := &erab{id: it.ID, dlTEID: n.teids.get(), ul: s1ap.GTPTunnel{Addr: it.Tunnel.Addr, TEID: it.Tunnel.TEID}, qci: it.QoS.QCI}
	if err := n.up.Load().AddTunnel(e.dlTEID, n.downlink(ue, e.id)); err != nil {
		n.teids.put(e.dlTEID)
		n.log.Error("add gtp-u tunnel", "err", err)
		return 0, &s1ap.CauseTransportUnspecified
	}
	old, err := n.ues.addERAB(ue, e, replace)
	if err != nil {
		n.removeTunnel(e)
		if errors.Is(err, errERABExists) {
			return 0, &causeMultipleERABID
		}
		return 0, &s1ap.CauseUnspecified
	}
	if old != nil {
		n.removeTunnel(old)
	}
	return e.dlTEID, nil
}

// downlink is the tunnel handler of one E-RAB: G-PDUs from the SGW go to
// the UE over the radio, marked with the EPS bearer identity.
func (n *ENB) downlink(ue *ueCtx, ebi uint8) gtpu.Handler {
	return gtpu.HandlerFunc(func(_ netip.AddrPort, _ *gtpu.Header, payload []byte) {
		if len(payload) == 0 {
			n.m.dropped.WithLabelValues(dropEmpty).Inc()
			return
		}
		if n.toUE(ue.key, radio.DownlinkData, uint16(ebi), payload) {
			n.touch(ue)
			n.m.dlPackets.Inc()
			n.m.dlBytes.Add(float64(len(payload)))
		}
	})
}

// uplink sends a UE's packet to its E-RAB's SGW. dgram is the whole radio
// datagram: the GTP-U header is written over the end of the radio header,
// so the packet is never copied.
func (n *ENB) uplink(key ueKey, m radio.Message, dgram []byte) {
	var ue *ueCtx
	var e *erab
	if m.Session <= maxERABID {
		ue, e = n.ues.erab(key, uint8(m.Session))
	} else {
		ue = n.ues.lookup(key)
	}
	switch {
	case ue == nil:
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		n.sendRelease(key)
		return
	case e == nil:
		n.m.dropped.WithLabelValues(dropNoERAB).Inc()
		return
	}
	n.touch(ue)
	h := gtpu.Header{Type: gtpu.MsgGPDU, TEID: e.ul.TEID}
	pkt, err := gtpu.Prepend(dgram, radio.HeaderLen, &h)
	if err == nil {
		err = n.up.Load().WritePacket(netip.AddrPortFrom(e.ul.Addr, uint16(n.cfg.GTPU.PeerPort)), pkt)
	}
	if err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Debug("gtp-u send", "err", err)
		return
	}
	n.m.ulPackets.Inc()
	n.m.ulBytes.Add(float64(len(m.Body)))
}

func (n *ENB) removeTunnel(e *erab) {
	n.up.Load().RemoveTunnel(e.dlTEID)
	n.teids.put(e.dlTEID)
}

// releaseUserPlane removes the tunnels of a UE context already taken out
// of the table.
func (n *ENB) releaseUserPlane(ue *ueCtx) {
	for _, e := range n.ues.erabsOf(ue) {
		n.removeTunnel(e)
	}
}

// onGTPUErrorIndication: the SGW has no tunnel for an uplink TEID we use,
// so the E-RABs using it lose their user plane here too.
func (n *ENB) onGTPUErrorIndication(from netip.AddrPort, ei gtpu.ErrorIndication) {
	n.m.errorInds.WithLabelValues("rx", protoGTPU).Inc()
	peer := ei.PeerAddr
	if !peer.IsValid() {
		peer = from.Addr()
	}
	for _, ue := range n.ues.findUL(peer, ei.TEID) {
		if n.ues.removeERAB(ue.ue, ue.e.id) != nil {
			n.removeTunnel(ue.e)
		}
		n.log.Warn("uplink tunnel unknown at the sgw: e-rab user plane removed",
			"ue", ue.ue.key.String(), "erab", ue.e.id, "teid", ei.TEID)
	}
}
