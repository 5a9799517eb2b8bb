package upf

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// dlHeadroom is room kept before downlink packets for the GTP-U header
// (16 octets with a PDU Session Container), so encapsulation never copies.
const dlHeadroom = 64

// maxPacket is the largest IP packet.
const maxPacket = 65535

// tunnel receives the G-PDUs of one local TEID; the endpoint finds it in
// O(1) and calls it from its read loop.
type tunnel struct {
	n    *NF
	sess *session
	teid uint32
}

// HandleGPDU is the uplink path: PDR by TEID and QFI, outer header
// already removed by the endpoint, then QERs and the FAR.
func (t *tunnel) HandleGPDU(_ netip.AddrPort, h *gtpu.Header, payload []byte) {
	n := t.n
	st := &n.stats.dir[dirUL]
	st.rxPackets.Add(1)
	st.rxBytes.Add(uint64(len(payload)))
	if !isIP(payload) {
		n.stats.drop(dropMalformed)
		return
	}
	var qfi uint8
	if h.PDUSession.Present {
		qfi = h.PDUSession.QFI
	}
	rs := t.sess.rules.Load()
	pdr := rs.matchUplink(t.teid, qfi)
	if pdr == nil {
		n.stats.drop(dropNoPDR)
		return
	}
	n.process(t.sess, rs, pdr, dirUL, payload, 0)
}

// isIP reports whether pkt starts like an IPv4 or IPv6 packet.
func isIP(pkt []byte) bool {
	if len(pkt) == 0 {
		return false
	}
	switch pkt[0] >> 4 {
	case 4:
		return len(pkt) >= 20 && int(pkt[0]&0x0f)*4 >= 20 && int(pkt[0]&0x0f)*4 <= len(pkt)
	case 6:
		return len(pkt) >= 40
	}
	return false
}

// downlinkLoop reads N6 until the device is closed.
func (n *NF) downlinkLoop(ctx context.Context) error {
	buf := make([]byte, dlHeadroom+maxPacket)
	for {
		k, err := n.n6.ReadPacket(buf[dlHeadroom:])
		if err != nil {
			if isClosed(err) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("upf: n6: %w", err)
		}
		n.downlink(buf[:dlHeadroom+k], dlHeadroom)
	}
}

// downlink is the downlink path for the packet buf[off:]: session by
// destination UE address, PDR, QERs, FAR.
func (n *NF) downlink(buf []byte, off int) {
	pkt := buf[off:]
	st := &n.stats.dir[dirDL]
	st.rxPackets.Add(1)
	st.rxBytes.Add(uint64(len(pkt)))
	if !isIP(pkt) {
		n.stats.drop(dropMalformed)
		return
	}
	if pkt[0]>>4 != 4 {
		n.stats.drop(dropNoPDR) // no IPv6 UE addresses in our rule model
		return
	}
	s := n.sessionForUE(binary.BigEndian.Uint32(pkt[16:20]))
	if s == nil {
		n.stats.drop(dropNoPDR)
		return
	}
	rs := s.rules.Load()
	pdr := rs.matchDownlink()
	if pdr == nil {
		n.stats.drop(dropNoPDR)
		return
	}
	n.process(s, rs, pdr, dirDL, buf, off)
}

// process applies a matched PDR's QERs and FAR to the packet buf[off:].
func (n *NF) process(s *session, rs *ruleSet, pdr *pdrRule, dir direction, buf []byte, off int) {
	size := len(buf) - off
	for _, q := range pdr.qers {
		if r := q.admit(dir, size, n.now); r != dropNone {
			n.stats.drop(r)
			return
		}
	}
	switch pdr.far.action {
	case actForward:
		n.forward(pdr, dir, buf, off)
	case actBuffer:
		n.buffer(s, rs, pdr, dir, buf, off)
	default:
		n.stats.drop(dropFAR)
	}
}

// forward sends the packet buf[off:] where the PDR's FAR says. The URRs
// count it as it is handed over (so a peer that has it is never ahead of
// the usage reports), the tx counters once it is sent.
func (n *NF) forward(pdr *pdrRule, dir direction, buf []byte, off int) {
	size := len(buf) - off
	for _, u := range pdr.urrs {
		u.add(dir, size)
	}
	var err error
	if pdr.far.encap {
		err = n.encap(&pdr.far, pdr.qfiOut, buf, off)
	} else {
		err = n.n6.WritePacket(buf[off:])
	}
	if err != nil {
		n.stats.drop(dropTxError)
		n.log.Debug("send failed", "pdr", pdr.id, "direction", directionNames[dir], "err", err)
		return
	}
	st := &n.stats.dir[dir]
	st.txPackets.Add(1)
	st.txBytes.Add(uint64(size))
}

// encap sends buf[off:] in a G-PDU toward the FAR's tunnel, writing the
// header into the headroom when there is room.
func (n *NF) encap(far *farRule, qfi uint8, buf []byte, off int) error {
	var h gtpu.Header
	h.Type = gtpu.MsgGPDU
	h.TEID = far.teid
	h.SetPDUSession(gtpu.PDUSessionInfo{PDUType: far.pduType, QFI: qfi})
	if off < h.Len() {
		return n.gtp.SendHeader(far.peer, &h, buf[off:])
	}
	msg, err := gtpu.Prepend(buf, off, &h)
	if err != nil {
		return fmt.Errorf("encapsulate for TEID %#x: %w", far.teid, err)
	}
	return n.gtp.WritePacket(far.peer, msg)
}
