package sgw_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit"
)

// BenchmarkCreateDeleteSession measures Create Session + Delete Session
// pairs through SGW and PGW, one at a time and many at once, against a
// baseline of Echo round trips to the SGW on the same sockets.
func BenchmarkCreateDeleteSession(b *testing.B) {
	c := startCore(b, nil)
	ctx := context.Background()
	const echoes = 500
	start := time.Now()
	for range echoes {
		if _, err := c.mme.Conn.Echo(ctx, c.mme.SGW); err != nil {
			b.Fatal(err)
		}
	}
	echoRate := echoes / time.Since(start).Seconds()
	var imsi atomic.Uint64
	pair := func() error {
		id := fmt.Sprintf("0010100%08d", imsi.Add(1))
		p, err := c.mme.CreateSession(ctx, sgwtest.CreateSession{IMSI: id, APN: "internet", PGW: c.pgwC})
		if err != nil || p.Cause != 16 {
			return fmt.Errorf("create: %+v, %v", p, err)
		}
		if cause, err := c.mme.DeleteSession(ctx, p); err != nil || cause != 16 {
			return fmt.Errorf("delete: %d, %v", cause, err)
		}
		return nil
	}
	report := func(b *testing.B, start time.Time) {
		rate := float64(b.N) / time.Since(start).Seconds()
		b.ReportMetric(rate, "pairs/s")
		b.ReportMetric(rate/echoRate, "x_echo_rtt_rate")
	}
	b.Run("sequential", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if err := pair(); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := pair(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b, start)
	})
	if c.sgw.Sessions() != 0 || c.pgw.Sessions() != 0 {
		b.Errorf("sessions left: sgw %d, pgw %d", c.sgw.Sessions(), c.pgw.Sessions())
	}
}

// counter reads a UDP socket and counts datagrams until closed.
type counter struct {
	conn *net.UDPConn
	n    atomic.Uint64
	last atomic.Int64 // unix nanoseconds of the last datagram
	done chan struct{}
}

func countOn(tb testing.TB, c *net.UDPConn) *counter {
	if err := c.SetReadBuffer(nfkit.UDPBufferBytes); err != nil {
		tb.Fatal(err)
	}
	k := &counter{conn: c, done: make(chan struct{})}
	go func() {
		defer close(k.done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
			k.n.Add(1)
			k.last.Store(time.Now().UnixNano())
		}
	}()
	tb.Cleanup(func() { c.Close(); <-k.done })
	return k
}

// settle waits until the count stops growing and returns it with the
// time of the last datagram.
func (k *counter) settle() (uint64, time.Time) {
	prev := k.n.Load()
	for {
		time.Sleep(50 * time.Millisecond) // a quiet gap ends the burst
		n := k.n.Load()
		if n == prev {
			return n, time.Unix(0, k.last.Load())
		}
		prev = n
	}
}

// BenchmarkRelayUplink measures G-PDUs per second relayed by the SGW
// from S1-U to S5/S8-U (the PGW's S5/S8-U F-TEID points at a counting
// socket), against a baseline of the same sender writing straight to a
// counting socket. Loss is what the kernel dropped under the burst.
func BenchmarkRelayUplink(b *testing.B) {
	var sink *counter
	c := startCore(b, func(c *core, _ *sgw.Config, p *pgw.Config) {
		p.GTPU.Address = c.b.Addr(6).String()
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(c.b.AddrPort(6, c.enb.Port())))
		if err != nil {
			b.Fatal(err)
		}
		sink = countOn(b, conn)
	})
	p := c.attach(b, "001010000000077", "internet", 0x100)
	pkt := sgwtest.UDPPacket(netip.AddrPortFrom(p.UE, 40000), dn, make([]byte, 72)) // 100-octet packets
	direct, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(c.b.AddrPort(10, 0)))
	if err != nil {
		b.Fatal(err)
	}
	base := countOn(b, direct)
	burst := func(b *testing.B, k *counter, to netip.AddrPort, teid uint32) float64 {
		before := k.n.Load()
		start := time.Now()
		for b.Loop() {
			if err := c.enb.Send(to, teid, pkt); err != nil {
				b.Fatal(err)
			}
		}
		got, last := k.settle()
		got -= before
		rate := float64(got) / last.Sub(start).Seconds()
		b.ReportMetric(rate, "pkts/s")
		b.ReportMetric(1-float64(got)/float64(b.N), "loss")
		return rate
	}
	var baseRate float64
	b.Run("baseline-udp", func(b *testing.B) {
		baseRate = burst(b, base, direct.LocalAddr().(*net.UDPAddr).AddrPort(), 1)
	})
	b.Run("sgw", func(b *testing.B) {
		if rate := burst(b, sink, c.at(p.S1U), p.S1U.TEID); baseRate > 0 {
			b.ReportMetric(rate/baseRate, "x_baseline")
		}
	})
}
