package gtpgen

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// maxSendErrors in a row end a run: the path is broken, not congested.
const maxSendErrors = 1000

// prepareUplink renders each session's G-PDU header for packets of size
// octets (the GTP-U length field depends on it).
func prepareUplink(sessions []session, size int, qfi uint8) error {
	for i := range sessions {
		s := &sessions[i]
		var h gtpu.Header
		h.Type, h.TEID = gtpu.MsgGPDU, s.ulTEID
		h.SetPDUSession(gtpu.PDUSessionInfo{PDUType: gtpu.PDUTypeUL, QFI: qfi})
		if n, err := h.MarshalTo(s.ulHdr[:], size); err != nil || n != gtpHeaderLen {
			return fmt.Errorf("uplink header of session %d: %d octets, %v", i, n, err)
		}
	}
	return nil
}

// putIPv4UDP writes the IPv4 and UDP headers of a packet of size octets.
// The UDP checksum is 0 (none), which IPv4 allows: the packets are
// generated, and the receiver is ours.
func putIPv4UDP(b []byte, src, dst netip.AddrPort, id uint16, size int) {
	b[0], b[1] = 0x45, 0
	binary.BigEndian.PutUint16(b[2:], uint16(size))
	binary.BigEndian.PutUint16(b[4:], id)
	b[6], b[7], b[8], b[9] = 0, 0, 64, 17
	b[10], b[11] = 0, 0
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:], ipChecksum(b[:20]))
	binary.BigEndian.PutUint16(b[20:], src.Port())
	binary.BigEndian.PutUint16(b[22:], dst.Port())
	binary.BigEndian.PutUint16(b[24:], uint16(size-20))
	b[26], b[27] = 0, 0
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// roundRobin walks the sessions and numbers each one's packets.
type roundRobin struct {
	next int
	seqs []uint64
}

func (r *roundRobin) take() (int, uint64) {
	i := r.next
	seq := r.seqs[i]
	r.seqs[i]++
	if r.next++; r.next == len(r.seqs) {
		r.next = 0
	}
	return i, seq
}

// uplinkFramer writes packet seq of session idx into b (of its frame
// length) and says where it goes.
type uplinkFramer struct {
	frameLen int
	frame    func(b []byte, idx int, seq uint64, now int64) *net.UDPAddr
}

// uplinkFramer is the run's uplink packet: a G-PDU to the UPF, or in
// kernel mode the bare UDP payload, to our own N6 socket.
func (g *Generator) uplinkFramer(st *runState) uplinkFramer {
	if st.kernel {
		to := net.UDPAddrFromAddrPort(st.n6)
		return uplinkFramer{frameLen: st.size - ipUDPLen, frame: func(b []byte, idx int, seq uint64, now int64) *net.UDPAddr {
			putProbe(b, &probe{dir: probeUL, run: st.id, session: uint32(idx), seq: seq, sentNS: now})
			return to
		}}
	}
	return uplinkFramer{frameLen: gtpHeaderLen + st.size, frame: func(b []byte, idx int, seq uint64, now int64) *net.UDPAddr {
		s := &st.sessions[idx]
		copy(b, s.ulHdr[:])
		ue := netip.AddrPortFrom(s.ue, st.uePort)
		putIPv4UDP(b[gtpHeaderLen:], ue, st.n6, uint16(seq), st.size)
		putProbe(b[gtpHeaderLen+ipUDPLen:], &probe{dir: probeUL, run: st.id, session: uint32(idx), seq: seq, sentNS: now})
		return s.upfN3
	}}
}

// sendUplink sends the uplink packets from N3 until end, paced.
func (g *Generator) sendUplink(ctx context.Context, st *runState, ratePPS int, start, end time.Time, fr uplinkFramer) error {
	batch := g.cfg.Batch
	msgs := newMessages(batch)
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, fr.frameLen)
		msgs[i].Buffers[0] = bufs[i]
	}
	rr := roundRobin{seqs: make([]uint64, len(st.sessions))}
	pace := newPacer(ratePPS, batch, start)
	f := &st.flows[flowUL]
	errRun := 0
	for n := pace.next(ctx, end); n > 0; n = pace.next(ctx, end) {
		now := g.nowNS()
		for i := range n {
			idx, seq := rr.take()
			msgs[i].Addr = fr.frame(bufs[i], idx, seq, now)
		}
		sent, err := writeAllN3(g.n3, msgs[:n])
		pace.took(n)
		g.countSent(f, flowUL, sent, n, st.size)
		if errRun, err = g.sendFailed(errRun, flowUL, err); err != nil {
			return err
		}
	}
	return nil
}

// writeAllN3 writes msgs, going on after partial writes; it stops at the
// first error.
func writeAllN3(pc *ipv4.PacketConn, msgs []ipv4.Message) (int, error) {
	done := 0
	for done < len(msgs) {
		k, err := pc.WriteBatch(msgs[done:], 0)
		done += max(k, 0)
		if err != nil {
			return done, fmt.Errorf("n3 write: %w", err)
		}
	}
	return done, nil
}

// sendDownlink sends UDP from N6 to the UEs until end, paced.
func (g *Generator) sendDownlink(ctx context.Context, st *runState, ratePPS int, start, end time.Time) error {
	batch := g.cfg.Batch
	dgs := make([]Datagram, batch)
	for i := range dgs {
		dgs[i].Buf = make([]byte, st.size-ipUDPLen)
		dgs[i].N = len(dgs[i].Buf)
	}
	rr := roundRobin{seqs: make([]uint64, len(st.sessions))}
	pace := newPacer(ratePPS, batch, start)
	f := &st.flows[flowDL]
	errRun := 0
	for n := pace.next(ctx, end); n > 0; n = pace.next(ctx, end) {
		now := g.nowNS()
		for i := range n {
			idx, seq := rr.take()
			dgs[i].Peer = netip.AddrPortFrom(st.sessions[idx].ue, st.uePort)
			putProbe(dgs[i].Buf, &probe{dir: probeDL, run: st.id, session: uint32(idx), seq: seq, sentNS: now})
		}
		sent, err := writeAllN6(g.n6, dgs[:n])
		pace.took(n)
		g.countSent(f, flowDL, sent, n, st.size)
		if errRun, err = g.sendFailed(errRun, flowDL, err); err != nil {
			return err
		}
	}
	return nil
}

func writeAllN6(port N6Port, dgs []Datagram) (int, error) {
	done := 0
	for done < len(dgs) {
		k, err := port.WriteBatch(dgs[done:])
		done += max(k, 0)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// countSent records a batch: sent packets, and the rest as send errors.
func (g *Generator) countSent(f *flowState, flow, sent, tried, size int) {
	f.sent.Add(uint64(sent))
	f.sendErrors.Add(uint64(tried - sent))
	g.m.sent[flow].Add(float64(sent))
	g.m.sentBytes[flow].Add(float64(sent * size))
	if tried > sent {
		g.m.sendErrors[flow].Add(float64(tried - sent))
	}
}

// sendFailed tracks errors in a row: a few (a full buffer, an ICMP
// error) are counted and skipped; maxSendErrors in a row end the run.
func (g *Generator) sendFailed(inRow, flow int, err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	if inRow++; inRow >= maxSendErrors {
		return inRow, fmt.Errorf("%s: %d send errors in a row, the last: %w", flowNames[flow], inRow, err)
	}
	g.log.Debug("send failed", "flow", flowNames[flow], "err", err)
	return inRow, nil
}
