package gtpu

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// reader is one socket's read loop: it owns a receive ring and a header,
// and adds its counts to Stats once per batch.
type reader struct {
	e     *Endpoint
	loop  int
	ring  *rxRing
	hdr   Header
	pkts  uint64 // this batch's datagrams
	bytes uint64
	gpdus uint64
}

func (e *Endpoint) newReader(loop int, ring *rxRing) *reader {
	return &reader{e: e, loop: loop, ring: ring}
}

// run reads until the socket is closed.
func (r *reader) run() error {
	for {
		n, err := r.ring.read()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			// UDP read errors are per datagram; the socket stays usable.
			r.e.stats.RxErrors.Add(1)
			r.e.log.Debug("gtpu read failed", "err", err)
			continue
		}
		for i := range n {
			r.handle(&r.ring.pkts[i])
		}
		r.publish()
	}
}

// publish adds the batch's counts to the shared counters.
func (r *reader) publish() {
	st := &r.e.stats
	st.RxPackets.Add(r.pkts)
	st.RxBytes.Add(r.bytes)
	st.RxGPDU.Add(r.gpdus)
	r.pkts, r.bytes, r.gpdus = 0, 0, 0
}

// handle dispatches one datagram.
func (r *reader) handle(p *rxPacket) {
	e := r.e
	b := p.buf[:p.n]
	r.pkts++
	r.bytes += uint64(len(b))
	if p.truncated {
		e.stats.RxErrors.Add(1)
		e.log.Debug("dropped truncated GTP-U datagram", "from", p.src)
		return
	}
	h := &r.hdr
	if err := Parse(b, h); err != nil {
		e.dropMalformed(p.src, err)
		return
	}
	switch h.Type {
	case MsgGPDU:
		r.handleGPDU(p, h, b)
	case MsgEchoRequest:
		e.stats.RxEchoRequest.Add(1)
		r.reply(p.src, AppendEchoResponse(nil, h.Seq, e.cfg.Recovery))
	case MsgEchoResponse:
		e.handleEchoResponse(p.src, h, b)
	case MsgErrorIndication:
		e.handleErrorIndication(p.src, h, b)
	case MsgEndMarker:
		e.stats.RxEndMarker.Add(1)
		if e.cfg.OnEndMarker != nil {
			e.cfg.OnEndMarker(p.src, h.TEID)
		}
	default:
		e.stats.RxOtherType.Add(1)
	}
}

func (e *Endpoint) dropMalformed(src netip.AddrPort, err error) {
	e.stats.countMalformed(err)
	e.log.Debug("dropped malformed GTP-U datagram", "from", src, "err", err)
}

func (r *reader) handleGPDU(p *rxPacket, h *Header, b []byte) {
	e := r.e
	if t, ok := e.tunnels.get(h.TEID); ok {
		r.gpdus++
		if t.loop != nil {
			t.loop.HandleGPDUOn(r.loop, p.src, h, b[h.PayloadOffset:])
		} else {
			t.h.HandleGPDU(p.src, h, b[h.PayloadOffset:])
		}
		return
	}
	e.stats.UnknownTEID.Add(1)
	if !e.allowErrorIndication(time.Now()) {
		e.stats.ErrorIndicationSuppressed.Add(1)
		return
	}
	local := e.advertise
	if !local.IsValid() {
		local = dstFromOOB(p.oob[:p.oobn], e.ipv6)
	}
	msg, err := AppendErrorIndication(nil, uint16(e.seq.Add(1)), ErrorIndication{TEID: h.TEID, PeerAddr: local})
	if err != nil {
		e.log.Warn("cannot build error indication: local address unknown", "teid", h.TEID, "from", p.src)
		return
	}
	if r.reply(p.src, msg) {
		e.stats.ErrorIndicationSent.Add(1)
	}
}

// reply sends a signalling message from the loop's own socket; failures
// are counted and logged.
func (r *reader) reply(dst netip.AddrPort, msg []byte) bool {
	if err := r.e.writeOn(r.loop, dst, msg); err != nil {
		r.e.log.Warn("gtpu reply failed", "to", dst, "err", err)
		return false
	}
	return true
}

func (e *Endpoint) handleEchoResponse(src netip.AddrPort, h *Header, b []byte) {
	recovery, err := ParseEchoResponse(h.Payload(b))
	if err != nil {
		e.dropMalformed(src, err)
		return
	}
	e.stats.RxEchoResponse.Add(1)
	e.echoMu.Lock()
	w, ok := e.echoWait[h.Seq]
	if ok && w.peer == src {
		delete(e.echoWait, h.Seq)
	}
	e.echoMu.Unlock()
	if !ok || w.peer != src {
		e.stats.UnmatchedEcho.Add(1)
		return
	}
	w.ch <- recovery // buffered, one send per waiter
}

func (e *Endpoint) handleErrorIndication(src netip.AddrPort, h *Header, b []byte) {
	ei, err := ParseErrorIndication(h.Payload(b))
	if err != nil {
		e.dropMalformed(src, err)
		return
	}
	e.stats.RxErrorIndication.Add(1)
	e.log.Debug("error indication", "from", src, "teid", ei.TEID, "peer", ei.PeerAddr)
	if e.cfg.OnErrorIndication != nil {
		e.cfg.OnErrorIndication(src, ei)
	}
}
