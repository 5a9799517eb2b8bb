//go:build unix

package upf

import (
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// The end-to-end benchmarks push packets through a running UPF over
// loopback UDP and report delivered packets per second. The load side is
// test code of its own (batched sends, plain reads) so that figures taken
// before and after a data-path change compare the UPF alone.

// e2eWindow bounds the packets in flight, well inside the socket buffers,
// so nothing is lost to overflow and every packet sent is counted.
const e2eWindow = 512

// e2eBatch is how many datagrams the load side sends per sendmmsg.
const e2eBatch = 32

// e2eFlows is how many gNB sockets (source ports) the uplink load uses.
const e2eFlows = 8

var e2eSizes = []int{64, 1400}

// BenchmarkE2EUplink: G-PDUs from gNB sockets through the UPF's N3 socket
// to memory N6. Size is the inner IP packet.
func BenchmarkE2EUplink(b *testing.B) {
	for _, size := range e2eSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) { benchE2EUplink(b, size) })
	}
}

// BenchmarkE2EDownlink: IP packets from memory N6 through the UPF to a
// gNB socket as G-PDUs.
func BenchmarkE2EDownlink(b *testing.B) {
	for _, size := range e2eSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) { benchE2EDownlink(b, size) })
	}
}

func benchE2EUplink(b *testing.B, size int) {
	l := startBenchLab(b)
	senders := make([]*ipv4.PacketConn, e2eFlows)
	for i := range senders {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		senders[i] = ipv4.NewPacketConn(c)
	}
	msgs := make([]ipv4.Message, e2eBatch)
	dst := net.UDPAddrFromAddrPort(l.n3)
	for i := range msgs {
		pkt := uplinkSeed(b, l.teid, ipv4UDP(ueAddr, dnAddr, size, uint16(i)))
		msgs[i] = ipv4.Message{Buffers: [][]byte{pkt}, Addr: dst}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	sent := 0
	for flow := 0; sent < b.N; flow = (flow + 1) % e2eFlows {
		k := min(e2eBatch, b.N-sent)
		for uint64(sent+k)-l.n6Pkts.Load() > e2eWindow {
			runtime.Gosched()
		}
		for off := 0; off < k; {
			n, err := senders[flow].WriteBatch(msgs[off:k], 0)
			if err != nil {
				b.Fatal(err)
			}
			off += n
		}
		sent += k
	}
	drain(b, &l.n6Pkts, uint64(sent))
	b.StopTimer()
	report(b, sent, time.Since(start), cpuTime(b)-cpu0)
}

func benchE2EDownlink(b *testing.B, size int) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	if err := rx.SetReadBuffer(4 << 20); err != nil {
		b.Fatal(err)
	}
	var got atomic.Uint64
	done := make(chan struct{})
	go func() { // the gNB: counts G-PDUs, one read each
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, err := rx.Read(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	b.Cleanup(func() { rx.Close(); <-done })
	n := newUPF(b, testConfig(), uint16(rx.LocalAddr().(*net.UDPAddr).Port))
	runUPF(b, n)
	l := &lab{upf: n, n3: n.Addrs().GTPU, smf: startSMF(b, n.Addrs().PFCP)}
	l.establish(b, pduSession(ueAddr))
	pkt := ipv4UDP(dnAddr, ueAddr, size, 1)
	mem := n.MemoryN6()
	ctx := b.Context()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	sent := 0
	for ; sent < b.N; sent++ {
		for uint64(sent)-got.Load() >= e2eWindow {
			runtime.Gosched()
		}
		if err := mem.Inject(ctx, pkt); err != nil {
			b.Fatal(err)
		}
	}
	drain(b, &got, uint64(sent))
	b.StopTimer()
	report(b, sent, time.Since(start), cpuTime(b)-cpu0)
}

// report gives packets per second and the process's CPU time per packet
// (load side included, which is the same before and after a data-path
// change): on a shared machine the second moves far less than the first.
func report(b *testing.B, pkts int, wall, cpu time.Duration) {
	b.ReportMetric(float64(pkts)/wall.Seconds(), "pkts/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(pkts), "cpu-ns/pkt")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drain waits for the packets in flight; losing any fails the benchmark.
func drain(b *testing.B, got *atomic.Uint64, sent uint64) {
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() < sent {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d packets arrived", got.Load(), sent)
		}
		runtime.Gosched()
	}
}
