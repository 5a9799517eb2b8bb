package gtpgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// Flow indexes.
const (
	flowUL = iota
	flowDL
)

var flowNames = [2]string{"uplink", "downlink"}

// flowState is one direction of a run. The sender owns sent and
// sendErrors; the receive loop, under receiver.mu, the rest.
type flowState struct {
	sent, sendErrors atomic.Uint64
	received         atomic.Uint64 // distinct packets
	duplicates, ooo  uint64
	tracks           []seqTrack
	hist             histogram
}

// runState is what the receive loops match packets against.
type runState struct {
	id       uint32
	size     int
	sessions []session
	n6       netip.AddrPort // uplink destination
	uePort   uint16
	// kernel: a kernel-mode run, whose downlink arrives on N3 as plain
	// UDP from n6 (kernel.go).
	kernel bool
	flows  [2]flowState
	// malformed and stray count dropped packets, under receiver.mu.
	malformed, stray uint64
}

func newRunState(id uint32, p Params, sessions []session, n6 netip.AddrPort, uePort uint16) *runState {
	st := &runState{id: id, size: p.Size, sessions: sessions, n6: n6, uePort: uePort}
	for i := range st.flows {
		st.flows[i].tracks = make([]seqTrack, len(sessions))
	}
	return st
}

// match finds the probe's session and checks it belongs to this run and
// direction; the caller checks addresses.
func (st *runState) match(p probe, dir uint8) (*session, error) {
	switch {
	case p.run != st.id:
		return nil, errOtherRun
	case p.dir != dir:
		return nil, errMismatch
	case uint64(p.session) >= uint64(len(st.sessions)):
		return nil, errSession
	}
	return &st.sessions[p.session], nil
}

// record counts a matched packet received at nowNS.
func (st *runState) record(flow int, p probe, nowNS int64) (newPacket bool) {
	f := &st.flows[flow]
	dup, ooo := f.tracks[p.session].observe(p.seq)
	if dup {
		f.duplicates++
		return false
	}
	if ooo {
		f.ooo++
	}
	f.received.Add(1)
	f.hist.record(uint64(max(nowNS-p.sentNS, 0)))
	return true
}

// receiver hands received packets to the run in progress, if any.
type receiver struct {
	mu  sync.Mutex
	run *runState
}

func (r *receiver) attach(st *runState) {
	r.mu.Lock()
	r.run = st
	r.mu.Unlock()
}

// detach ends the run's counting; afterwards st is the caller's alone.
func (r *receiver) detach() {
	r.mu.Lock()
	r.run = nil
	r.mu.Unlock()
}

// batchCount is what one read batch added, for the metrics.
type batchCount struct {
	packets, bytes uint64
	drops          [len(dropReasons)]uint64
}

// maxReadErrors in a row end the receive loop: the socket is broken.
const maxReadErrors = 100

// readFailed counts read errors in a row; it returns an error once there
// are too many, and nil for a closed socket (the loop just ends).
func (g *Generator) readFailed(inRow *int, from string, err error) (stop bool, _ error) {
	if errors.Is(err, net.ErrClosed) {
		return true, nil
	}
	if *inRow++; *inRow >= maxReadErrors {
		return true, fmt.Errorf("gtpgen: %s: %d read errors in a row, the last: %w", from, *inRow, err)
	}
	g.log.Warn("read failed", "on", from, "err", err)
	return false, nil
}

// n3Loop reads downlink G-PDUs until the socket closes.
func (g *Generator) n3Loop(_ context.Context) error {
	batch := g.cfg.Batch
	msgs := newMessages(batch)
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, gtpHeaderLen+MaxSize+64)
	}
	for i := range msgs {
		msgs[i].Buffers[0] = bufs[i]
	}
	var h gtpu.Header
	errRun := 0
	for {
		n, err := g.n3.ReadBatch(msgs, 0)
		if err != nil {
			if stop, err := g.readFailed(&errRun, "n3", err); stop {
				return err
			}
			continue
		}
		errRun = 0
		g.onDownlink(msgs[:n], bufs, &h)
	}
}

func (g *Generator) onDownlink(msgs []ipv4.Message, bufs [][]byte, h *gtpu.Header) {
	now := g.nowNS()
	var c batchCount
	g.rx.mu.Lock()
	st := g.rx.run
	for i := range msgs {
		if st != nil && st.kernel {
			if taken, err := g.matchKernelDownlink(st, bufs[i][:msgs[i].N], msgs[i].Addr, now, &c); taken {
				if err != nil {
					g.dropped(st, &c, "n3", err)
				}
				continue
			}
		}
		pkt, err := decodeN3(bufs[i][:msgs[i].N], h)
		if err == nil {
			err = g.matchDownlink(st, pkt, now, &c)
		}
		if err != nil {
			g.dropped(st, &c, "n3", err)
		}
		if errors.Is(err, errNotGPDU) && h.Type == gtpu.MsgEchoRequest {
			g.answerEcho(msgs[i].Addr, h.Seq)
		}
	}
	g.m.count(flowDL, &c) // before detach can see the run counted
	g.rx.mu.Unlock()
}

// answerEcho keeps a UPF that checks its GTP-U paths content.
func (g *Generator) answerEcho(to net.Addr, seq uint16) {
	if _, err := g.n3conn.WriteTo(gtpu.AppendEchoResponse(nil, seq, 0), to); err != nil {
		g.log.Debug("echo response not sent", "to", to, "err", err)
	}
}

func (g *Generator) matchDownlink(st *runState, pkt n3Packet, now int64, c *batchCount) error {
	if st == nil {
		return errOtherRun
	}
	s, err := st.match(pkt.probe, probeDL)
	if err != nil {
		return err
	}
	if pkt.teid != s.dlTEID || pkt.ue.Addr() != s.ue || pkt.ue.Port() != st.uePort {
		return errMismatch
	}
	if st.record(flowDL, pkt.probe, now) {
		c.packets++
		c.bytes += uint64(pkt.size)
	}
	return nil
}

// matchKernelDownlink takes b if it is a probe from our N6 socket in
// kernel run st: counted, or dropped with err. Anything else is not taken
// and goes on to the G-PDU checks (which count it, and answer an echo).
func (g *Generator) matchKernelDownlink(st *runState, b []byte, from net.Addr, now int64, c *batchCount) (taken bool, err error) {
	p, err := parseProbe(b)
	if err != nil {
		return false, nil
	}
	ua, ok := from.(*net.UDPAddr)
	if !ok {
		return false, nil
	}
	if ap := ua.AddrPort(); netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) != st.n6 {
		return false, nil
	}
	if _, err := st.match(p, probeDL); err != nil {
		return true, err
	}
	if st.record(flowDL, p, now) {
		c.packets++
		c.bytes += uint64(len(b) + ipUDPLen)
	}
	return true, nil
}

// n6Loop reads uplink packets (decapsulated by the UPF) until N6 closes.
func (g *Generator) n6Loop(_ context.Context) error {
	dgs := make([]Datagram, g.cfg.Batch)
	for i := range dgs {
		dgs[i].Buf = make([]byte, MaxSize)
	}
	errRun := 0
	for {
		n, err := g.n6.ReadBatch(dgs)
		if n = max(n, 0); err != nil && n == 0 {
			if stop, err := g.readFailed(&errRun, "n6", err); stop {
				return err
			}
			continue
		}
		errRun = 0
		g.onUplink(dgs[:n])
	}
}

func (g *Generator) onUplink(dgs []Datagram) {
	now := g.nowNS()
	var c batchCount
	g.rx.mu.Lock()
	st := g.rx.run
	for i := range dgs {
		err := g.matchUplink(st, &dgs[i], now, &c)
		if err != nil {
			g.dropped(st, &c, "n6", err)
		}
	}
	g.m.count(flowUL, &c)
	g.rx.mu.Unlock()
}

func (g *Generator) matchUplink(st *runState, d *Datagram, now int64, c *batchCount) error {
	p, err := parseProbe(d.Buf[:d.N])
	if err != nil {
		return err
	}
	if st == nil {
		return errOtherRun
	}
	s, err := st.match(p, probeUL)
	if err != nil {
		return err
	}
	if d.Peer.Addr() != s.ue || d.Peer.Port() != st.uePort {
		return errMismatch
	}
	if st.record(flowUL, p, now) {
		c.packets++
		c.bytes += uint64(d.N + ipUDPLen)
	}
	return nil
}

// dropped counts a dropped packet in the batch and the run, and logs it
// at debug.
func (g *Generator) dropped(st *runState, c *batchCount, from string, err error) {
	i := reasonIndex(err)
	c.drops[i]++
	if st != nil {
		if dropReasons[i].malformed {
			st.malformed++
		} else {
			st.stray++
		}
	}
	if g.log.Enabled(context.Background(), slog.LevelDebug) {
		g.log.Debug("received packet dropped", "on", from, "reason", err.Error())
	}
}
