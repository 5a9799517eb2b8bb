package sgw

import (
	"bytes"
	"net/netip"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// uplinkTunnel receives a bearer's G-PDUs from the eNB (S1-U) and relays
// them to the PGW (S5/S8-U).
type uplinkTunnel struct{ b *bearer }

// HandleGPDU implements gtpu.Handler.
func (t uplinkTunnel) HandleGPDU(_ netip.AddrPort, _ *gtpu.Header, payload []byte) {
	n := t.b.n
	n.stats.dir[dirUL].rx(len(payload))
	end := t.b.pgwU.Load()
	if end == nil {
		n.stats.drop(dropNoTunnel)
		return
	}
	n.relay(n.s5u, end, payload, dirUL)
}

// downlinkTunnel receives a bearer's G-PDUs from the PGW (S5/S8-U) and
// relays them to the eNB (S1-U), or buffers them while there is none.
type downlinkTunnel struct{ b *bearer }

// HandleGPDU implements gtpu.Handler.
func (t downlinkTunnel) HandleGPDU(_ netip.AddrPort, _ *gtpu.Header, payload []byte) {
	b := t.b
	n := b.n
	n.stats.dir[dirDL].rx(len(payload))
	if end := b.enb.Load(); end != nil {
		n.relay(n.s1u, end, payload, dirDL)
		return
	}
	b.bufMu.Lock()
	if end := b.enb.Load(); end != nil { // flushed meanwhile: this one comes after
		b.bufMu.Unlock()
		n.relay(n.s1u, end, payload, dirDL)
		return
	}
	if len(b.buf) >= n.cfg.Buffer.MaxPacketsPerBearer {
		b.bufMu.Unlock()
		n.stats.drop(dropBufferFull)
	} else {
		b.buf = append(b.buf, bytes.Clone(payload))
		b.bufMu.Unlock()
		n.stats.buffered.Add(1)
	}
	s := b.sess
	if s.idle.Load() && s.ddnOut.CompareAndSwap(false, true) {
		n.notifyDownlinkData(s, b)
	}
}

// relay sends payload in a G-PDU to end from endpoint e.
func (n *NF) relay(e *gtpu.Endpoint, end *tunnelEnd, payload []byte, dir direction) {
	var h gtpu.Header
	h.Type = gtpu.MsgGPDU
	h.TEID = end.fteid.TEID
	if err := e.SendHeader(end.peer, &h, payload); err != nil {
		n.stats.drop(dropTxError)
		n.log.Debug("relay failed", "to", end.peer, "teid", end.fteid.TEID, "err", err)
		return
	}
	n.stats.dir[dir].tx(len(payload))
}

// setENB points the bearer's downlink at the eNB and sends what was
// buffered first, in order; a nil end starts buffering.
func (b *bearer) setENB(end *tunnelEnd) {
	b.bufMu.Lock()
	defer b.bufMu.Unlock()
	if end != nil {
		for _, p := range b.buf {
			b.n.relay(b.n.s1u, end, p, dirDL)
		}
		b.n.stats.buffered.Add(-int64(len(b.buf)))
		b.buf = nil
	}
	b.enb.Store(end)
}
