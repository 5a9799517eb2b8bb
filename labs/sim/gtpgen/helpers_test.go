package gtpgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

const wait = 10 * time.Second

// freeLoopback finds a 127/8 address with the UDP ports free: the UPF
// sends downlink GTP-U to port 2152, so each test needs its own address.
func freeLoopback(t testing.TB, ports ...uint16) netip.Addr {
	t.Helper()
	for range 50 {
		a := netip.AddrFrom4([4]byte{127, byte(rand.IntN(200) + 20), byte(rand.IntN(250) + 1), byte(rand.IntN(250) + 2)})
		free := true
		for _, p := range ports {
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, p)))
			if err != nil {
				free = false
				break
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if free {
			return a
		}
	}
	t.Fatalf("no loopback address with UDP ports %v free", ports)
	return netip.Addr{}
}

// startUPF runs a real UPF with an in-memory N6 on its own loopback address.
func startUPF(t testing.TB) *upf.NF {
	t.Helper()
	a := freeLoopback(t, 8805, 2152)
	cfg := upf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.PFCP.Listen = netip.AddrPortFrom(a, 8805).String()
	cfg.GTPU.Listen = netip.AddrPortFrom(a, 2152).String()
	cfg.N6.Mode = upf.N6ModeMemory
	u, err := upf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, u)
	nfkittest.Eventually(t, wait, "upf ready", func() bool {
		ok, _ := u.Ready()
		return ok && u.Ops().Addr() != nil
	})
	return u
}

// testConfig points a gtpgen on its own loopback address at u.
func testConfig(t testing.TB, u *upf.NF) Config {
	t.Helper()
	a := freeLoopback(t, 2152)
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.UPF.PFCP = u.Addrs().PFCP.String()
	cfg.UPF.GTPUPort = int(u.Addrs().GTPU.Port())
	cfg.PFCP.Listen = netip.AddrPortFrom(a, 0).String()
	cfg.PFCP.T1 = 500 * time.Millisecond
	cfg.PFCP.AssociateRetry = 50 * time.Millisecond
	cfg.N3.Listen = netip.AddrPortFrom(a, 2152).String()
	cfg.N6.Listen = netip.AddrPortFrom(a, 9000).String()
	cfg.Drain.Quiet, cfg.Drain.Timeout = 100*time.Millisecond, 2*time.Second
	return cfg
}

// lab is a UPF and a gtpgen wired to it: N3 and N4 over loopback, N6
// through the UPF's memory device.
type lab struct {
	upf *upf.NF
	gen *NF
	run *nfkittest.Running
}

func startLab(t testing.TB, wrap func(N6Port) N6Port, mod func(*Config)) *lab {
	t.Helper()
	u := startUPF(t)
	cfg := testConfig(t, u)
	if mod != nil {
		mod(&cfg)
	}
	local, err := netip.ParseAddrPort(cfg.N6.Listen)
	if err != nil {
		t.Fatal(err)
	}
	var port = NewMemoryN6(u.MemoryN6(), local)
	if wrap != nil {
		port = wrap(port)
	}
	g, err := NewWithN6(cfg, port, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{upf: u, gen: g}
	l.run = nfkittest.Start(t, g)
	nfkittest.Eventually(t, wait, "gtpgen ready", func() bool {
		ok, _ := g.Ready()
		return ok && g.Ops().Addr() != nil
	})
	return l
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// metric scrapes ops's /metrics for the sample named exactly series, or -1.
func metric(t testing.TB, ops *nfkit.Ops, series string) float64 {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+ops.Addr().String()+"/metrics", "")
	for _, line := range strings.Split(body, "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == series {
			var v float64
			if _, err := fmt.Sscan(value, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// lossyN6 drops every nth uplink datagram read and every nth downlink
// datagram written (reporting it sent), as a lossy link would.
type lossyN6 struct {
	N6Port
	every                int
	reads, writes        int
	droppedUL, droppedDL atomic.Uint64
}

func (l *lossyN6) ReadBatch(dgs []Datagram) (int, error) {
	for {
		n, err := l.N6Port.ReadBatch(dgs)
		kept := 0
		for i := range n {
			if l.reads++; l.reads%l.every == 0 {
				l.droppedUL.Add(1)
				continue
			}
			dgs[kept].N, dgs[kept].Peer = dgs[i].N, dgs[i].Peer
			dgs[kept].Buf, dgs[i].Buf = dgs[i].Buf, dgs[kept].Buf
			kept++
		}
		if kept > 0 || err != nil {
			return kept, err
		}
	}
}

func (l *lossyN6) WriteBatch(dgs []Datagram) (int, error) {
	for i := range dgs {
		if l.writes++; l.writes%l.every == 0 {
			l.droppedDL.Add(1)
			continue
		}
		if _, err := l.N6Port.WriteBatch(dgs[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(dgs), nil
}
