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

// n6BatchSize is how many downlink packets a worker takes from its N6
// queue per round, and so the most G-PDUs it sends per sendmmsg.
const n6BatchSize = 64

// A lane is one goroutine's share of the data path: the counters it
// writes and, for a downlink worker, the N6 queue it reads and the batch
// its G-PDUs leave in. Lanes share no mutable state but the sessions'
// policers and usage counters, so workers on different cores do not
// contend. The control lane (no batch) serves the PFCP handlers and may
// be used concurrently.
type lane struct {
	n     *NF
	st    *laneStats
	n6    []n6Writer  // by N6 queue
	rx    n6Queue     // a downlink worker's queue
	batch *gtpu.Batch // nil: each G-PDU is sent at once
	pend  []pendingTx // what the batch holds, by index
	txErr func(i int, err error)
}

// pendingTx is a G-PDU waiting in a lane's batch, for the log if the
// kernel refuses it.
type pendingTx struct {
	dir direction
	pdr uint16
}

func newLane(n *NF, st *laneStats, rx n6Queue, batch *gtpu.Batch) *lane {
	l := &lane{n: n, st: st, rx: rx, batch: batch}
	if batch != nil {
		l.pend = make([]pendingTx, 0, batch.Cap())
		l.txErr = l.txFailed
	}
	return l
}

// workerLane is a lane for one goroutine of the data path, with writers
// of its own to every N6 queue (N6 must be open).
func (n *NF) workerLane(st *laneStats, rx n6Queue, batch *gtpu.Batch) *lane {
	l := newLane(n, st, rx, batch)
	l.n6 = make([]n6Writer, n.n6.Queues())
	for i := range l.n6 {
		l.n6[i] = n.n6.Queue(i).NewWriter()
	}
	return l
}

// tunnel receives the G-PDUs of one local TEID; the endpoint finds it in
// O(1) and calls it from the read loop of the socket the G-PDU came in on.
type tunnel struct {
	n    *NF
	sess *session
	teid uint32
}

var _ gtpu.LoopHandler = (*tunnel)(nil)

// HandleGPDUOn implements gtpu.LoopHandler: read loop i has uplink lane i.
func (t *tunnel) HandleGPDUOn(loop int, _ netip.AddrPort, h *gtpu.Header, payload []byte) {
	t.n.ulLanes[loop].uplink(t, h, payload)
}

// HandleGPDU implements gtpu.Handler (for callers outside a read loop).
func (t *tunnel) HandleGPDU(_ netip.AddrPort, h *gtpu.Header, payload []byte) {
	t.n.control.uplink(t, h, payload)
}

// uplink is the uplink path: PDR by TEID and QFI, outer header already
// removed by the endpoint, then QERs and the FAR.
func (l *lane) uplink(t *tunnel, h *gtpu.Header, payload []byte) {
	c := &l.st.dir[dirUL]
	c.rxPackets.Add(1)
	c.rxBytes.Add(uint64(len(payload)))
	if !isIP(payload) {
		l.st.drop(dropMalformed)
		return
	}
	var qfi uint8
	if h.PDUSession.Present {
		qfi = h.PDUSession.QFI
	}
	rs := t.sess.rules.Load()
	pdr := rs.matchUplink(t.teid, qfi)
	if pdr == nil {
		l.st.drop(dropNoPDR)
		return
	}
	l.process(t.sess, rs, pdr, dirUL, payload, 0)
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

// packetRing is a downlink worker's receive buffers: one slab, each
// buffer with headroom for the GTP-U header, spaced so that they do not
// all fall on the same cache sets.
type packetRing struct {
	bufs  [][]byte
	sizes []int
}

func newPacketRing(n int) *packetRing {
	const size = dlHeadroom + maxPacket
	const stride = (size+63)/64*64 + 64 // a cache line more than size, rounded up
	slab := make([]byte, n*stride)
	r := &packetRing{bufs: make([][]byte, n), sizes: make([]int, n)}
	for i := range r.bufs {
		r.bufs[i] = slab[i*stride : i*stride+size : i*stride+size]
	}
	return r
}

// readN6 is a downlink worker: it reads its N6 queue in batches and sends
// the batch's G-PDUs with one sendmmsg, until the device is closed.
func (l *lane) readN6(ctx context.Context) error {
	ring := newPacketRing(n6BatchSize)
	for {
		k, err := l.rx.ReadBatch(ring.bufs, ring.sizes, dlHeadroom)
		if err != nil {
			if isClosed(err) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("upf: n6: %w", err)
		}
		for i := range k {
			l.downlink(ring.bufs[i][:dlHeadroom+ring.sizes[i]], dlHeadroom)
		}
		l.flush() // before the buffers are read into again
	}
}

// downlink is the downlink path for the packet buf[off:]: session by
// destination UE address, PDR, QERs, FAR.
func (l *lane) downlink(buf []byte, off int) {
	pkt := buf[off:]
	c := &l.st.dir[dirDL]
	c.rxPackets.Add(1)
	c.rxBytes.Add(uint64(len(pkt)))
	if !isIP(pkt) {
		l.st.drop(dropMalformed)
		return
	}
	if pkt[0]>>4 != 4 {
		l.st.drop(dropNoPDR) // no IPv6 UE addresses in our rule model
		return
	}
	s := l.n.sessionForUE(binary.BigEndian.Uint32(pkt[16:20]))
	if s == nil {
		l.st.drop(dropNoPDR)
		return
	}
	rs := s.rules.Load()
	pdr := rs.matchDownlink()
	if pdr == nil {
		l.st.drop(dropNoPDR)
		return
	}
	l.process(s, rs, pdr, dirDL, buf, off)
}

// process applies a matched PDR's QERs and FAR to the packet buf[off:].
func (l *lane) process(s *session, rs *ruleSet, pdr *pdrRule, dir direction, buf []byte, off int) {
	size := len(buf) - off
	for _, q := range pdr.qers {
		if r := q.admit(dir, size, l.n.now); r != dropNone {
			l.st.drop(r)
			return
		}
	}
	switch pdr.far.action {
	case actForward:
		l.forward(pdr, dir, buf, off)
	case actBuffer:
		l.buffer(s, rs, pdr, dir, buf, off)
	default:
		l.st.drop(dropFAR)
	}
}

// forward sends the packet buf[off:] where the PDR's FAR says. The URRs
// and the tx counters count it as it is handed over, so a peer that has
// it is never ahead of them; a send the kernel refuses is counted again
// as a tx_error drop.
func (l *lane) forward(pdr *pdrRule, dir direction, buf []byte, off int) {
	size := len(buf) - off
	for _, u := range pdr.urrs {
		u.add(dir, size)
	}
	c := &l.st.dir[dir]
	c.txPackets.Add(1)
	c.txBytes.Add(uint64(size))
	var err error
	switch {
	case !pdr.far.encap:
		err = l.writeN6(buf[off:])
	case l.batch != nil:
		err = l.queueGPDU(pdr, dir, buf, off)
	default:
		err = l.n.encap(&pdr.far, pdr.qfiOut, buf, off)
	}
	if err != nil {
		l.st.drop(dropTxError)
		l.n.log.Debug("send failed", "pdr", pdr.id, "direction", directionNames[dir], "err", err)
	}
}

// writeN6 sends a packet out of N6 through the queue of its source (the
// UE, uplink). A multi-queue TUN device sends a flow's replies to the
// queue the flow was last written on, so each UE's downlink lands on one
// worker, and the UEs spread over the workers even when all their uplink
// comes from one gNB (one N3 read loop).
func (l *lane) writeN6(pkt []byte) error {
	q := 0
	if k := len(l.n6); k > 1 && len(pkt) >= 20 && pkt[0]>>4 == 4 {
		q = int(binary.BigEndian.Uint32(pkt[12:16]) % uint32(k))
	}
	return l.n6[q].WritePacket(pkt)
}

// gpduHeader is the header of the G-PDUs a FAR sends.
func gpduHeader(far *farRule, qfi uint8) gtpu.Header {
	var h gtpu.Header
	h.Type = gtpu.MsgGPDU
	h.TEID = far.teid
	h.SetPDUSession(gtpu.PDUSessionInfo{PDUType: far.pduType, QFI: qfi})
	return h
}

// queueGPDU encapsulates buf[off:] in place and queues it in the lane's
// batch, sending the batch first if it is full.
func (l *lane) queueGPDU(pdr *pdrRule, dir direction, buf []byte, off int) error {
	if l.batch.Len() == l.batch.Cap() {
		l.flush()
	}
	h := gpduHeader(&pdr.far, pdr.qfiOut)
	msg, err := gtpu.Prepend(buf, off, &h)
	if err != nil {
		return fmt.Errorf("encapsulate for TEID %#x: %w", pdr.far.teid, err)
	}
	if err := l.batch.Add(pdr.far.peer, msg); err != nil {
		return err
	}
	l.pend = append(l.pend, pendingTx{dir: dir, pdr: pdr.id})
	return nil
}

// flush sends the lane's batch.
func (l *lane) flush() {
	if l.batch == nil || len(l.pend) == 0 {
		return
	}
	l.batch.Flush(l.txErr)
	l.pend = l.pend[:0]
}

// txFailed is the batch's report of a G-PDU the kernel refused.
func (l *lane) txFailed(i int, err error) {
	p := &l.pend[i]
	l.st.drop(dropTxError)
	l.n.log.Debug("send failed", "pdr", p.pdr, "direction", directionNames[p.dir], "err", err)
}

// encap sends buf[off:] in a G-PDU toward the FAR's tunnel at once,
// writing the header into the headroom when there is room.
func (n *NF) encap(far *farRule, qfi uint8, buf []byte, off int) error {
	h := gpduHeader(far, qfi)
	if off < h.Len() {
		return n.gtp.SendHeader(far.peer, &h, buf[off:])
	}
	msg, err := gtpu.Prepend(buf, off, &h)
	if err != nil {
		return fmt.Errorf("encapsulate for TEID %#x: %w", far.teid, err)
	}
	return n.gtp.WritePacket(far.peer, msg)
}
