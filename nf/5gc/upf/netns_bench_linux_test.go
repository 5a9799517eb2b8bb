package upf

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// BenchmarkNetnsForwarding (root) measures packets per second through
// three network namespaces joined by veths, gNB -n3- UPF -n6- DN, the way
// the user plane is benchmarked in containers: first the kernel forwarding
// plain IP packets through the middle namespace (the baseline), then the
// UPF with a multi-queue TUN N6. The load is 1400-octet IP packets sent as
// fast as sendmmsg goes; the figure is the datagrams that reach the far
// namespace's UDP layer (rx_pps), so drops anywhere are not counted.
func BenchmarkNetnsForwarding(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (network namespaces, veths, TUN)")
	}
	t := newNetnsTopology(b)
	t.dn.sink(b, netip.AddrPortFrom(n6DN, 9))
	t.dn.sink(b, netip.AddrPortFrom(n6DN, 7)) // ipv4UDP's packets, in G-PDUs
	t.gnb.sink(b, netip.AddrPortFrom(n3GNB, 9))
	t.gnb.sink(b, netip.AddrPortFrom(n3GNB, gtpu.Port)) // downlink G-PDUs
	const size = 1400
	udpPayload := make([]byte, size-28) // the kernel adds UDP and IP headers
	b.Run("kernel/uplink", func(b *testing.B) {
		blast(b, t.gnb, t.dn, netip.AddrPortFrom(n6DN, 9), udpPayload, 1)
	})
	b.Run("kernel/downlink", func(b *testing.B) {
		blast(b, t.dn, t.gnb, netip.AddrPortFrom(n3GNB, 9), udpPayload, 1)
	})
	stop := t.startUPF(b, false)
	gpdu := uplinkSeed(b, t.teid, ipv4UDP(ueAddr, n6DN, size, 1))
	for _, flows := range []int{1, 4} {
		b.Run(fmt.Sprintf("upf/uplink/gnb-ports=%d", flows), func(b *testing.B) {
			blast(b, t.gnb, t.dn, netip.AddrPortFrom(n3UPF, gtpu.Port), gpdu, flows)
		})
	}
	b.Run("upf/downlink", func(b *testing.B) {
		blast(b, t.dn, t.gnb, netip.AddrPortFrom(ueAddr, 9), udpPayload, 1)
	})
	stop()
	t.startUPF(b, true)
	b.Run("upf-gso/downlink", func(b *testing.B) {
		blast(b, t.dn, t.gnb, netip.AddrPortFrom(ueAddr, 9), udpPayload, 1)
	})
}

var (
	n3GNB = netip.MustParseAddr("10.100.0.1")
	n3UPF = netip.MustParseAddr("10.100.0.2")
	n6UPF = netip.MustParseAddr("10.200.0.2")
	n6DN  = netip.MustParseAddr("10.200.0.1")
)

// netns is a thread locked in a network namespace of its own, running
// the functions it is given there.
type netns struct {
	fd int
	do chan func()
}

func newNetns(tb testing.TB) *netns {
	tb.Helper()
	ns := &netns{do: make(chan func())}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		fd, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		ns.fd = fd
		errc <- nil
		for f := range ns.do {
			f()
		}
	}()
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { close(ns.do); unix.Close(ns.fd) })
	return ns
}

// run calls f in the namespace and returns its error.
func (ns *netns) run(f func() error) error {
	errc := make(chan error, 1)
	ns.do <- func() { errc <- f() }
	return <-errc
}

// must is run for set-up steps.
func (ns *netns) must(tb testing.TB, f func() error) {
	tb.Helper()
	if err := ns.run(f); err != nil {
		tb.Fatal(err)
	}
}

// udpArrived is how many UDP datagrams reached sockets of the namespace,
// queued or dropped for a full buffer (the sinks are never read): each
// datagram of a segmentation offload counts once.
func (ns *netns) udpArrived(tb testing.TB) uint64 {
	var n uint64
	ns.must(tb, func() error {
		// thread-self: /proc/self/net is the process's namespace, not this thread's.
		b, err := os.ReadFile("/proc/thread-self/net/snmp")
		if err != nil {
			return err
		}
		in, err := snmpValue(b, "Udp", "InDatagrams")
		if err != nil {
			return err
		}
		full, err := snmpValue(b, "Udp", "RcvbufErrors")
		n = in + full
		return err
	})
	return n
}

// snmpValue finds a counter in /proc/net/snmp: a header line of names
// followed by a line of values, both starting with "proto:".
func snmpValue(b []byte, proto, name string) (uint64, error) {
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != proto+":" || len(values) != len(names) {
			continue
		}
		for j, n := range names {
			if n == name {
				return strconv.ParseUint(values[j], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/net/snmp: no %s %s", proto, name)
}

// sink binds a UDP socket that is never read, with a small buffer, so
// that datagrams reaching it are counted by udpArrived and dropped cheaply.
func (ns *netns) sink(tb testing.TB, at netip.AddrPort) {
	ns.must(tb, func() error {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(at))
		if err != nil {
			return err
		}
		tb.Cleanup(func() { c.Close() })
		return c.SetReadBuffer(64 << 10)
	})
}

type netnsTopology struct {
	gnb, upf, dn *netns
	n            *NF
	teid         uint32
}

// newNetnsTopology wires gnb(n3g) -- (n3u)upf(n6u) -- (n6d)dn with the
// middle namespace forwarding and the UE pool routed toward it.
func newNetnsTopology(tb testing.TB) *netnsTopology {
	t := &netnsTopology{gnb: newNetns(tb), upf: newNetns(tb), dn: newNetns(tb)}
	t.upf.must(tb, func() error {
		for _, pair := range []struct {
			name, peer string
			peerNS     int
		}{{"n3u", "n3g", t.gnb.fd}, {"n6u", "n6d", t.dn.fd}} {
			veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: pair.name}, PeerName: pair.peer,
				PeerNamespace: netlink.NsFd(pair.peerNS)}
			if err := netlink.LinkAdd(veth); err != nil {
				return fmt.Errorf("veth %s: %w", pair.name, err)
			}
		}
		return configureLinks(map[string]netip.Prefix{"n3u": prefix(n3UPF), "n6u": prefix(n6UPF)}, nil)
	})
	t.gnb.must(tb, func() error {
		return configureLinks(map[string]netip.Prefix{"n3g": prefix(n3GNB)}, map[string]netip.Addr{"10.200.0.0/24": n3UPF})
	})
	t.dn.must(tb, func() error {
		return configureLinks(map[string]netip.Prefix{"n6d": prefix(n6DN)},
			map[string]netip.Addr{"10.100.0.0/24": n6UPF, "10.45.0.0/16": n6UPF})
	})
	t.upf.must(tb, enableForwarding)
	return t
}

func prefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, 24) }

// configureLinks brings lo and the links up with their addresses and adds
// routes (destination CIDR -> gateway).
func configureLinks(addrs map[string]netip.Prefix, routes map[string]netip.Addr) error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return err
	}
	for name, p := range addrs {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}}); err != nil {
			return fmt.Errorf("address %s on %s: %w", p, name, err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			return err
		}
	}
	for dst, gw := range routes {
		_, ipnet, err := net.ParseCIDR(dst)
		if err != nil {
			return err
		}
		if err := netlink.RouteAdd(&netlink.Route{Dst: ipnet, Gw: gw.AsSlice()}); err != nil {
			return fmt.Errorf("route %s via %s: %w", dst, gw, err)
		}
	}
	return nil
}

// startUPF runs a UPF in the middle namespace (N3 on n3u, N6 a TUN device)
// with one session whose downlink goes to the gNB, until stop (or the
// benchmark's end).
func (t *netnsTopology) startUPF(b *testing.B, gso bool) (stop func()) {
	cfg := testConfig()
	cfg.GTPU.Listen = netip.AddrPortFrom(n3UPF, gtpu.Port).String()
	cfg.GTPU.GSO = gso
	cfg.N6 = N6Config{Mode: N6ModeTUN, TUNName: "upfb0", MTU: 1400, Network: "n6"}
	var s *smf
	t.upf.must(b, func() (err error) {
		if t.n, err = New(cfg, nfkit.WithLogger(nfkittest.Quiet())); err != nil {
			return err
		}
		s, err = newSMF()
		return err
	})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- t.upf.run(func() error { return t.n.Run(ctx) }) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-runErr; err != nil {
				b.Errorf("upf: %v", err)
			}
		})
	}
	b.Cleanup(stop)
	s.run(b)
	nfkittest.Eventually(b, wait, "upf ready", func() bool { ok, _ := t.n.Ready(); return ok })
	s.associate(b, t.n.Addrs().PFCP)
	sess := pduSession(ueAddr)
	sess.FARs[1].Forwarding = &pfcp.ForwardingParameters{DestinationInterface: pfcp.InterfaceAccess,
		OuterHeaderCreation: &pfcp.OuterHeaderCreation{TEID: gnbTEID, IPv4: n3GNB}}
	l := &lab{upf: t.n, smf: s}
	_, t.teid = l.establish(b, sess)
	return stop
}

// blast sends payload to dst from the namespace from, over flows source
// ports, with sendmmsg as fast as it goes, and reports the datagrams that
// reached the sinks of the namespace to.
func blast(b *testing.B, from, to *netns, dst netip.AddrPort, payload []byte, flows int) {
	conns := make([]*ipv4.PacketConn, flows)
	from.must(b, func() error {
		for i := range conns {
			c, err := net.ListenUDP("udp4", nil)
			if err != nil {
				return err
			}
			b.Cleanup(func() { c.Close() })
			conns[i] = ipv4.NewPacketConn(c)
		}
		return nil
	})
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i] = ipv4.Message{Buffers: [][]byte{payload}, Addr: net.UDPAddrFromAddrPort(dst)}
	}
	before := to.udpArrived(b)
	start := time.Now()
	sent := 0
	for b.Loop() {
		n, err := conns[sent%flows].WriteBatch(msgs, 0)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	elapsed := time.Since(start)
	got := settle(b, to) - before
	b.ReportMetric(float64(got)/elapsed.Seconds(), "rx_pps")
	b.ReportMetric(float64(got)/float64(sent), "delivered")
}

// settle polls the arrival counter until what was in flight has come.
func settle(b *testing.B, ns *netns) uint64 {
	last := ns.udpArrived(b)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		n := ns.udpArrived(b)
		if n == last {
			return n
		}
		last = n
	}
	return last
}
