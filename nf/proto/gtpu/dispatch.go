package gtpu

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// readLoop reads until the socket is closed.
func (e *Endpoint) readLoop() error {
	pkts := newRxBatch()
	for {
		n, err := e.readBatch(pkts)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			// UDP read errors are per datagram (e.g. a truncated one);
			// the socket stays usable.
			e.stats.RxErrors.Add(1)
			e.log.Debug("gtpu read failed", "err", err)
			continue
		}
		for i := range n {
			e.handle(&pkts[i])
		}
	}
}

// handle dispatches one datagram.
func (e *Endpoint) handle(p *rxPacket) {
	b := p.buf[:p.n]
	e.stats.RxPackets.Add(1)
	e.stats.RxBytes.Add(uint64(len(b)))
	h := &e.hdr
	if err := Parse(b, h); err != nil {
		e.dropMalformed(p.src, err)
		return
	}
	switch h.Type {
	case MsgGPDU:
		e.handleGPDU(p, h, b)
	case MsgEchoRequest:
		e.stats.RxEchoRequest.Add(1)
		e.reply(p.src, AppendEchoResponse(nil, h.Seq, e.cfg.Recovery))
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

func (e *Endpoint) handleGPDU(p *rxPacket, h *Header, b []byte) {
	if t := e.tunnel(h.TEID); t != nil {
		e.stats.RxGPDU.Add(1)
		t.HandleGPDU(p.src, h, b[h.PayloadOffset:])
		return
	}
	e.stats.UnknownTEID.Add(1)
	if !e.limiter.allow(time.Now()) {
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
	if e.reply(p.src, msg) {
		e.stats.ErrorIndicationSent.Add(1)
	}
}

// reply sends a signalling message; failures are counted and logged.
func (e *Endpoint) reply(dst netip.AddrPort, msg []byte) bool {
	if err := e.WritePacket(dst, msg); err != nil {
		e.log.Warn("gtpu reply failed", "to", dst, "err", err)
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
