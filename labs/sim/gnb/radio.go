package gnb

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// radioLoop reads the air interface until ctx ends.
func (n *NF) radioLoop(ctx context.Context, c *net.UDPConn) error {
	stop := context.AfterFunc(ctx, func() { simkit.CloseQuietly(n.log, "radio socket", c) })
	defer stop()
	buf := make([]byte, radio.HeaderLen+radio.MaxBody+1)
	for {
		size, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			n.log.Warn("radio read", "err", err)
			continue
		}
		n.handleRadio(from, buf[:size])
	}
}

// handleRadio handles one datagram from a UE simulator. Malformed ones and
// messages of the gNB->UE direction are counted and dropped.
func (n *NF) handleRadio(from netip.AddrPort, b []byte) {
	m, err := radio.Decode(b)
	if err != nil {
		n.m.malformed.WithLabelValues("radio").Inc()
		n.log.Debug("malformed radio message", "from", from.String(), "err", err)
		return
	}
	n.m.radioMsgs.WithLabelValues("rx", m.Type.String()).Inc()
	key := ueKey{sim: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), id: m.UE}
	switch m.Type {
	case radio.Connect:
		n.rememberSim(key.sim)
		n.connect(key, m.Body)
	case radio.UplinkNAS:
		n.uplinkNAS(key, m.Body)
	case radio.UplinkData:
		n.uplink(key, m)
	case radio.Inactive:
		n.inactive(key)
	default:
		n.m.malformed.WithLabelValues("radio").Inc()
		n.log.Debug("radio message of the downlink direction from a UE", "from", from.String(), "type", m.Type)
	}
}

// connect is RRC setup: a new UE context and an Initial UE Message to the
// AMF chosen for the UE.
func (n *NF) connect(key ueKey, nasPDU []byte) {
	if n.draining.Load() {
		n.m.dropped.WithLabelValues(dropDraining).Inc()
		n.sendRelease(key)
		return
	}
	stmsi, cause := initialInfo(nasPDU)
	link := n.pickAMF(stmsi)
	if link == nil {
		n.m.dropped.WithLabelValues(dropNoAMF).Inc()
		n.sendRelease(key)
		return
	}
	ue, old, err := n.ues.add(key, link)
	if old != nil {
		// The UE started over (it lost or never saw our Release).
		n.releaseUserPlane(old)
		n.log.Debug("ue reconnected: old context dropped", "ue", key.String(), "old_ran_id", old.ranID)
	}
	if err != nil {
		n.m.dropped.WithLabelValues(dropFull).Inc()
		n.sendRelease(key)
		return
	}
	n.sendUE(link, ue.ranID, &n2.InitialUEMessage{RANUENGAPID: ue.ranID, NASPDU: nasPDU,
		Location: n.cfg.location(), RRCCause: cause, STMSI: stmsi})
}

func (n *NF) uplinkNAS(key ueKey, nasPDU []byte) {
	ue := n.ues.lookup(key)
	if ue == nil {
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		n.sendRelease(key)
		return
	}
	ids, known := n.ues.ids(ue)
	if !known {
		// The AMF has not spoken to this UE yet: nothing to answer.
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		return
	}
	n.sendUE(ue.link, ue.ranID, &n2.UplinkNASTransport{UEIDs: ids, NASPDU: nasPDU, Location: n.cfg.location()})
}

// inactive asks the AMF to release the UE (cause user inactivity).
func (n *NF) inactive(key ueKey) {
	ue := n.ues.lookup(key)
	if ue == nil {
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		n.sendRelease(key)
		return
	}
	ids, known := n.ues.ids(ue)
	if !known {
		n.releaseLocal(ue)
		return
	}
	n.sendUE(ue.link, ue.ranID, &n2.UEContextReleaseRequest{UEIDs: ids, Sessions: n.ues.sessionIDs(ue),
		Cause: n2.CauseUserInactivity})
}

func (n *NF) sendRelease(key ueKey) {
	n.toUE(key, radio.Release, 0, nil)
}

// toUE sends one radio message to a UE; it reports whether it went out.
func (n *NF) toUE(key ueKey, t radio.Type, session uint16, body []byte) bool {
	return n.sendRadio(key.sim, radio.Message{Type: t, Session: session, UE: key.id, Body: body})
}

var radioBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func (n *NF) sendRadio(to netip.AddrPort, m radio.Message) bool {
	c := n.radioConn.Load()
	if c == nil {
		return false
	}
	bp := radioBufs.Get().(*[]byte)
	defer radioBufs.Put(bp)
	b, err := radio.Append((*bp)[:0], m)
	*bp = b[:0]
	if err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Debug("radio encode", "type", m.Type, "err", err)
		return false
	}
	if _, err := c.WriteToUDPAddrPort(b, to); err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Debug("radio send", "to", to.String(), "err", err)
		return false
	}
	n.m.radioMsgs.WithLabelValues("tx", m.Type.String()).Inc()
	return true
}

// initialInfo reads, from a UE's initial NAS message, what RRC would have
// told the gNB: the 5G-S-TMSI (if the UE has one) and the establishment
// cause. The air interface carries only the NAS PDU.
func initialInfo(pdu []byte) (*n2.STMSI, uint8) {
	plain := pdu
	ht, err := nas5g.HeaderTypeOf(pdu)
	if err != nil {
		return nil, n2.RRCMOSignalling
	}
	if ht != nas5g.Plain {
		_, inner, err := nas5g.ParseSecurityHeader(pdu)
		if err != nil || ht != nas5g.IntegrityProtected {
			return nil, n2.RRCMOSignalling
		}
		plain = inner
	}
	mt, _, err := nas5g.PeekType(plain)
	if err != nil {
		return nil, n2.RRCMOSignalling
	}
	switch mt {
	case nas5g.MsgServiceRequest:
		sr, err := nas5g.ParseServiceRequest(plain)
		if err != nil {
			return nil, n2.RRCMOSignalling
		}
		return &sr.STMSI, serviceCause(sr.ServiceType)
	case nas5g.MsgRegistrationRequest:
		if rr, err := nas5g.ParseRegistrationRequest(plain); err == nil && rr.Identity.GUTI != nil {
			s := rr.Identity.GUTI.STMSI()
			return &s, n2.RRCMOSignalling
		}
	case nas5g.MsgDeregistrationRequestUEOriginating:
		if dr, err := nas5g.ParseDeregistrationRequest(plain); err == nil && dr.Identity.GUTI != nil {
			s := dr.Identity.GUTI.STMSI()
			return &s, n2.RRCMOSignalling
		}
	}
	return nil, n2.RRCMOSignalling
}

func serviceCause(t uint8) uint8 {
	switch t {
	case nas5g.ServiceMobileTerminated:
		return n2.RRCMTAccess
	case nas5g.ServiceData:
		return n2.RRCMOData
	case nas5g.ServiceEmergency:
		return n2.RRCEmergency
	}
	return n2.RRCMOSignalling
}
