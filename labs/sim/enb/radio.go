package enb

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// radioLoop reads the air interface until ctx ends.
func (n *ENB) radioLoop(ctx context.Context, c *net.UDPConn) error {
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

// handleRadio handles one datagram from a UE simulator; b may be written
// over. Malformed datagrams and messages of the eNB->UE direction are
// counted and dropped.
func (n *ENB) handleRadio(from netip.AddrPort, b []byte) {
	m, err := radio.Decode(b)
	if err != nil {
		n.badRadio(from, err)
		return
	}
	n.m.radioCounted(false, m.Type)
	key := ueKey{sim: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), id: m.UE}
	switch m.Type {
	case radio.Connect:
		n.rememberSim(key.sim)
		n.connect(key, m.Body)
	case radio.UplinkNAS:
		n.uplinkNAS(key, m.Body)
	case radio.UplinkData:
		n.uplink(key, m, b)
	case radio.Inactive:
		n.inactive(key)
	default:
		n.badRadio(from, errors.New("message of the downlink direction from a UE: "+m.Type.String()))
	}
}

func (n *ENB) badRadio(from netip.AddrPort, err error) {
	n.m.malformed.WithLabelValues(srcRadio).Inc()
	n.log.Debug("malformed radio message", "from", from.String(), "err", err)
}

// connect is RRC connection establishment: a new UE context and an
// Initial UE Message to the MME chosen for the UE.
func (n *ENB) connect(key ueKey, body []byte) {
	stmsi, nasPDU, err := splitConnect(body)
	if err != nil {
		n.badRadio(key.sim, err)
		return
	}
	if n.draining.Load() {
		n.m.dropped.WithLabelValues(dropDraining).Inc()
		n.sendRelease(key)
		return
	}
	cause := establishmentCause(nasPDU, stmsi != nil && n.paged.recently(*stmsi))
	link := n.pickMME(stmsi)
	if link == nil {
		n.m.dropped.WithLabelValues(dropNoMME).Inc()
		n.sendRelease(key)
		return
	}
	ue, old, err := n.ues.add(key, link)
	if old != nil {
		// The UE started over (it lost or never saw our Release).
		n.releaseUserPlane(old)
		n.log.Debug("ue reconnected: old context dropped", "ue", key.String(), "old_enb_ue_id", old.enbID)
	}
	if err != nil {
		n.m.dropped.WithLabelValues(dropFull).Inc()
		n.sendRelease(key)
		return
	}
	n.touch(ue)
	n.sendUE(link, ue.enbID, &s1ap.InitialUEMessage{ENBUES1APID: ue.enbID, NASPDU: nasPDU,
		TAI: n.cfg.tai(), ECGI: n.cfg.ecgi(), RRCCause: cause, STMSI: stmsi})
}

func (n *ENB) uplinkNAS(key ueKey, nasPDU []byte) {
	ue := n.ues.lookup(key)
	if ue == nil {
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		n.sendRelease(key)
		return
	}
	ids, known := n.ues.ids(ue)
	if !known {
		// The MME has not spoken to this UE yet: it cannot be named.
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		return
	}
	n.touch(ue)
	n.sendUE(ue.link, ue.enbID, &s1ap.UplinkNASTransport{UEIDs: ids, NASPDU: nasPDU, ECGI: n.cfg.ecgi(), TAI: n.cfg.tai()})
}

// inactive asks the MME to release the UE (cause user inactivity).
func (n *ENB) inactive(key ueKey) {
	ue := n.ues.lookup(key)
	if ue == nil {
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
		n.sendRelease(key)
		return
	}
	n.requestRelease(ue)
}

func (n *ENB) sendRelease(key ueKey) {
	n.toUE(key, radio.Release, 0, nil)
}

// toUE sends one radio message to a UE; it reports whether it went out.
func (n *ENB) toUE(key ueKey, t radio.Type, ebi uint16, body []byte) bool {
	return n.sendRadio(key.sim, radio.Message{Type: t, Session: ebi, UE: key.id, Body: body})
}

var radioBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func (n *ENB) sendRadio(to netip.AddrPort, m radio.Message) bool {
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
	n.m.radioCounted(true, m.Type)
	return true
}
