package pgw

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// dlHeadroom is room kept before downlink packets for the GTP-U header,
// so encapsulation never copies.
const dlHeadroom = 16

// maxPacket is the largest IP packet.
const maxPacket = 65535

// dlBatch is how many downlink packets a loop takes from its device per
// round, and so the most G-PDUs per sendmmsg.
const dlBatch = 64

// uplinkTunnel receives the G-PDUs of one bearer from the SGW.
type uplinkTunnel struct {
	n *NF
	b *bearer
}

// HandleGPDU implements gtpu.Handler: the inner packet goes out of the
// APN's SGi device if it comes from the UE's own address.
func (t uplinkTunnel) HandleGPDU(_ netip.AddrPort, _ *gtpu.Header, payload []byte) {
	st := t.n.stats
	st.dir[dirUL].rx(len(payload))
	if !isIP(payload) {
		st.drop(dropMalformed)
		return
	}
	s := t.b.sess
	if payload[0]>>4 != 4 || netip.AddrFrom4([4]byte(payload[12:16])) != s.ue {
		st.drop(dropSpoofed)
		return
	}
	if err := s.apn.dev.WritePacket(payload); err != nil {
		st.drop(dropTxError)
		t.n.log.Debug("sgi write failed", "apn", s.apn.name(), "err", err)
		return
	}
	st.dir[dirUL].tx(len(payload))
}

// isIP reports whether pkt starts like a whole IPv4 or IPv6 packet.
func isIP(pkt []byte) bool {
	if len(pkt) == 0 {
		return false
	}
	switch pkt[0] >> 4 {
	case 4:
		ihl := int(pkt[0]&0x0f) * 4
		return len(pkt) >= 20 && ihl >= 20 && ihl <= len(pkt)
	case 6:
		return len(pkt) >= 40
	}
	return false
}

// packetRing is a downlink loop's receive buffers, each with headroom.
type packetRing struct {
	bufs  [][]byte
	sizes []int
}

func newPacketRing(n int) *packetRing {
	const size = dlHeadroom + maxPacket
	slab := make([]byte, n*size)
	r := &packetRing{bufs: make([][]byte, n), sizes: make([]int, n)}
	for i := range r.bufs {
		r.bufs[i] = slab[i*size : (i+1)*size : (i+1)*size]
	}
	return r
}

// readSGi is an APN's downlink loop: it reads the device in batches and
// sends the G-PDUs with one sendmmsg per batch, until the device closes.
func (n *NF) readSGi(ctx context.Context, a *apn) error {
	ring := newPacketRing(dlBatch)
	for {
		k, err := a.dev.ReadBatch(ring.bufs, ring.sizes, dlHeadroom)
		if err != nil {
			if isClosed(err) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pgw: apn %s: sgi read: %w", a.name(), err)
		}
		for i := range k {
			n.downlink(a, ring.bufs[i][:dlHeadroom+ring.sizes[i]])
		}
		a.batch.Flush(n.txFailed)
	}
}

// downlink sends the packet buf[dlHeadroom:] to its UE's bearer.
func (n *NF) downlink(a *apn, buf []byte) {
	pkt := buf[dlHeadroom:]
	st := n.stats
	st.dir[dirDL].rx(len(pkt))
	if !isIP(pkt) {
		st.drop(dropMalformed)
		return
	}
	if pkt[0]>>4 != 4 {
		st.drop(dropUnknownUE) // IPv4 PDN connections only
		return
	}
	s := a.lookup(netip.AddrFrom4([4]byte(pkt[16:20])))
	if s == nil {
		st.drop(dropUnknownUE)
		return
	}
	b := s.route.Load().pick(pkt)
	if b == nil {
		st.drop(dropUnknownUE)
		return
	}
	var h gtpu.Header
	h.Type = gtpu.MsgGPDU
	h.TEID = b.sgwU.TEID
	msg, err := gtpu.Prepend(buf, dlHeadroom, &h)
	if err == nil {
		err = a.batch.Add(b.peer, msg)
	}
	if err != nil {
		st.drop(dropTxError)
		n.log.Debug("downlink encapsulation failed", "teid", b.sgwU.TEID, "err", err)
		return
	}
	st.dir[dirDL].tx(len(pkt))
}

// txFailed is a batch's report of a G-PDU the kernel refused.
func (n *NF) txFailed(_ int, err error) {
	n.stats.drop(dropTxError)
	n.log.Debug("downlink send failed", "err", err)
}
