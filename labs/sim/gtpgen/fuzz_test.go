package gtpgen

import (
	"net"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
)

// fuzzRun is a run the fuzzed packets are matched against: two sessions
// of run 1, as Run would set them up.
func fuzzRun() *runState {
	sessions := []session{
		{ue: netip.MustParseAddr("10.45.0.7"), dlTEID: 5},
		{ue: netip.MustParseAddr("10.45.0.8"), dlTEID: 6},
	}
	return newRunState(1, Params{Size: 100}, sessions, testN6, testUE.Port())
}

// FuzzDownlink feeds arbitrary N3 datagrams to the receive path. Nothing
// panics; a packet is either dropped with a reason or counted once for a
// session whose TEID and address it carries.
func FuzzDownlink(f *testing.F) {
	good := probe{dir: probeDL, run: 1, session: 0, seq: 3, sentNS: 1}
	f.Add(gpdu(f, 5, probeBytes(good, 40)))
	g := &Generator{log: nfkittest.Quiet()}
	f.Fuzz(func(t *testing.T, datagram []byte) {
		st := fuzzRun()
		var h gtpu.Header
		var c batchCount
		pkt, err := decodeN3(datagram, &h)
		if err == nil {
			err = g.matchDownlink(st, pkt, 10, &c)
		}
		got := st.flows[flowDL].received.Load()
		if err != nil {
			if got != 0 || c.packets != 0 || reasonIndex(err) == len(dropReasons)-1 {
				t.Fatalf("dropped (%v) yet counted %d, or no known reason", err, got)
			}
			return
		}
		s := st.sessions[pkt.probe.session]
		if got != 1 || c.packets != 1 || pkt.teid != s.dlTEID || pkt.ue.Addr() != s.ue {
			t.Fatalf("accepted %+v for session %+v: received %d", pkt, s, got)
		}
	})
}

// FuzzUplink feeds arbitrary N6 payloads from arbitrary peers to the
// uplink receive path.
func FuzzUplink(f *testing.F) {
	good := probe{dir: probeUL, run: 1, session: 1, seq: 0, sentNS: 1}
	f.Add(probeBytes(good, 40), []byte{10, 45, 0, 8}, uint16(9000))
	g := &Generator{log: nfkittest.Quiet()}
	f.Fuzz(func(t *testing.T, payload, from []byte, port uint16) {
		st := fuzzRun()
		peer, _ := netip.AddrFromSlice(from)
		d := Datagram{Buf: payload, N: len(payload), Peer: netip.AddrPortFrom(peer, port)}
		var c batchCount
		err := g.matchUplink(st, &d, 10, &c)
		got := st.flows[flowUL].received.Load()
		if err != nil {
			if got != 0 || reasonIndex(err) == len(dropReasons)-1 {
				t.Fatalf("dropped (%v) yet counted %d, or no known reason", err, got)
			}
			return
		}
		if got != 1 || c.bytes != uint64(len(payload)+ipUDPLen) {
			t.Fatalf("accepted from %s: received %d, %d bytes", d.Peer, got, c.bytes)
		}
	})
}

// FuzzKernelDownlink feeds arbitrary datagrams from arbitrary sources to
// a kernel run's N3 receive path: a datagram is counted once only if it
// is a probe of the run from our N6 socket, and a taken one that is not
// counted has a known reason.
func FuzzKernelDownlink(f *testing.F) {
	good := probe{dir: probeDL, run: 1, session: 1, seq: 0, sentNS: 1}
	f.Add(probeBytes(good, 40), []byte{192, 0, 2, 6}, uint16(9000))
	g := &Generator{}
	f.Fuzz(func(t *testing.T, datagram, from []byte, port uint16) {
		st := fuzzKernelRun()
		ip, _ := netip.AddrFromSlice(from)
		src := net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, port))
		var c batchCount
		taken, err := g.matchKernelDownlink(st, datagram, src, 10, &c)
		got := st.flows[flowDL].received.Load()
		switch {
		case !taken || err != nil:
			if got != 0 || c.packets != 0 || (taken && reasonIndex(err) == len(dropReasons)-1) {
				t.Fatalf("not counted (taken %v, %v) yet received %d", taken, err, got)
			}
		case got != 1 || c.bytes != uint64(len(datagram)+ipUDPLen) || netip.AddrPortFrom(ip.Unmap(), port) != st.n6:
			t.Fatalf("counted from %s: received %d, %d bytes", src, got, c.bytes)
		}
	})
}
