package gtpgen

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// inNetns marks the child process a namespaced test re-runs itself in.
const inNetns = "GTPGEN_TEST_IN_NETNS"

// inOwnNetns re-runs the calling test in a child process in a network
// namespace of its own (every socket of every goroutine lives there, and
// the host is untouched). It returns true in the child, where the test
// goes on; in the parent it reports the child's outcome.
func inOwnNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(inNetns) != "" {
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (a network namespace, /dev/net/tun, routes): run as root to test the kernel path")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), inNetns+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	t.Logf("in a network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("namespaced run: %v", err)
	}
	return false
}

// setUpNetns brings lo up with the DN address, and a veth link whose
// subnet holds the stand-in for a UPF's N6 (the kernel may lack dummy).
func setUpNetns(t *testing.T) {
	t.Helper()
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	must(t, netlink.LinkSetUp(lo))
	must(t, netlink.AddrAdd(lo, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(192, 0, 2, 1), Mask: net.CIDRMask(32, 32)}}))
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "n6"}, PeerName: "n6peer"}
	must(t, netlink.LinkAdd(veth))
	must(t, netlink.AddrAdd(veth, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(198, 51, 100, 1), Mask: net.CIDRMask(24, 32)}}))
	peer, err := netlink.LinkByName("n6peer")
	must(t, err)
	must(t, netlink.LinkSetUp(peer))
	must(t, netlink.LinkSetUp(veth))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestKernelPath runs the production path: gtpgen's UDP N6 socket, the
// UPF's TUN device and the kernel's routing between them, both ways.
func TestKernelPath(t *testing.T) {
	if !inOwnNetns(t) {
		return
	}
	setUpNetns(t)
	ucfg := upf.DefaultConfig()
	ucfg.Ops.Listen = "127.0.0.1:0"
	ucfg.PFCP.Listen, ucfg.GTPU.Listen = "127.0.0.2:8805", "127.0.0.2:2152"
	u, err := upf.New(ucfg, nfkit.WithLogger(nfkittest.Quiet()))
	must(t, err)
	nfkittest.Start(t, u)
	nfkittest.Eventually(t, wait, "upf ready", func() bool { ok, _ := u.Ready(); return ok })

	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.UPF.PFCP = "127.0.0.2"
	cfg.PFCP.Listen, cfg.N3.Listen, cfg.N6.Listen = "127.0.0.3:0", "127.0.0.3:2152", "192.0.2.1:9000"
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	must(t, err)
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, wait, "gtpgen ready", func() bool { ok, _ := n.Ready(); return ok })

	for _, size := range []int{64, 1400} {
		res, err := n.Generator().Run(ctxT(t), Params{Sessions: 16, RatePPS: 2000, Duration: 400 * time.Millisecond, Size: size})
		must(t, err)
		for name, f := range map[string]*Flow{"uplink": res.Uplink, "downlink": res.Downlink} {
			if f.Sent < 400 || f.Received != f.Sent || f.Duplicates != 0 {
				t.Errorf("size %d %s: %+v", size, name, *f)
			}
		}
		if res.UPFUsage.UplinkPackets != res.Uplink.Sent || res.UPFUsage.DownlinkBytes != res.Downlink.Sent*uint64(size) {
			t.Errorf("size %d: UPF usage %+v", size, res.UPFUsage)
		}
		t.Logf("size %d: uplink p50 %.0f µs, downlink p50 %.0f µs", size, res.Uplink.Latency.P50Us, res.Downlink.Latency.P50Us)
	}
	flat, err := n.Generator().Run(ctxT(t), Params{Sessions: 64, Duration: time.Second, Size: 64, Direction: Uplink})
	must(t, err)
	if f := flat.Uplink; f.Received == 0 || f.Received+f.Lost != f.Sent {
		t.Errorf("flat out: %+v", *f)
	}
	t.Logf("flat out, 64 octets uplink: offered %.0f pps, delivered %.0f pps (%.3f Gbps), loss %.3f",
		flat.Uplink.TxPPS, flat.Uplink.RxPPS, flat.Uplink.RxGbps, flat.Uplink.LossRatio)
}

// TestRoute: upf.n6 adds the UE pool route when it is missing and removes
// it at stop; a route already there is left alone.
func TestRoute(t *testing.T) {
	if !inOwnNetns(t) {
		return
	}
	setUpNetns(t)
	pool := netip.MustParsePrefix("10.45.0.0/16")
	routes := func() []netlink.Route {
		dst := &net.IPNet{IP: pool.Addr().AsSlice(), Mask: net.CIDRMask(16, 32)}
		rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST)
		must(t, err)
		return rs
	}
	info := map[string]string{}
	cfg := validConfig()
	cfg.UPF.N6 = "198.51.100.2"
	g := newGenerator(cfg, nil, nfkittest.Quiet(), func(k, v string) { info[k] = v })
	unroute, err := g.route()
	must(t, err)
	if rs := routes(); len(rs) != 1 || !rs[0].Gw.Equal(net.IPv4(198, 51, 100, 2)) {
		t.Fatalf("routes after start: %+v (info %q)", rs, info["route"])
	}
	// A second generator finds the route there and leaves it alone.
	g2 := newGenerator(cfg, nil, nfkittest.Quiet(), func(k, v string) { info[k] = v })
	unroute2, err := g2.route()
	must(t, err)
	must(t, unroute2())
	if len(routes()) != 1 {
		t.Fatalf("the second generator removed a route it did not add (%q)", info["route"])
	}
	must(t, unroute())
	if rs := routes(); len(rs) != 0 {
		t.Fatalf("routes after stop: %+v", rs)
	}
}

// kernelNet is the namespaces of TestKernelBaseline: ours (the
// generator's) and fwd, standing in for the UPF's namespace: two veth
// pairs, n3 <-> u3 on 10.9.3.0/24 and n6 <-> u6 on 10.9.6.0/24, and IPv4
// forwarding on in fwd.
type kernelNet struct {
	fwd netns.NsHandle
}

var (
	kGen3, kGen6 = netip.MustParseAddr("10.9.3.9"), netip.MustParseAddr("10.9.6.9")
	kFwd3, kFwd6 = netip.MustParseAddr("10.9.3.1"), netip.MustParseAddr("10.9.6.1")
)

func setUpKernelNet(t *testing.T) *kernelNet {
	t.Helper()
	lo, err := netlink.LinkByName("lo")
	must(t, err)
	must(t, netlink.LinkSetUp(lo))
	k := &kernelNet{}
	k.fwd = k.newNetns(t)
	t.Cleanup(func() { k.fwd.Close() })
	h, err := netlink.NewHandleAt(k.fwd)
	must(t, err)
	defer h.Close()
	for _, p := range []struct {
		name, peer string
		ours, fwd  netip.Addr
	}{{"n3", "u3", kGen3, kFwd3}, {"n6", "u6", kGen6, kFwd6}} {
		must(t, netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: p.name}, PeerName: p.peer,
			PeerNamespace: netlink.NsFd(int(k.fwd))}))
		ours, err := netlink.LinkByName(p.name)
		must(t, err)
		must(t, netlink.AddrAdd(ours, &netlink.Addr{IPNet: &net.IPNet{IP: p.ours.AsSlice(), Mask: net.CIDRMask(24, 32)}}))
		must(t, netlink.LinkSetUp(ours))
		peer, err := h.LinkByName(p.peer)
		must(t, err)
		must(t, h.AddrAdd(peer, &netlink.Addr{IPNet: &net.IPNet{IP: p.fwd.AsSlice(), Mask: net.CIDRMask(24, 32)}}))
		must(t, h.LinkSetUp(peer))
	}
	must(t, k.inFwd(func() error { return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644) }))
	return k
}

// newNetns makes a namespace, held by the returned handle only.
func (k *kernelNet) newNetns(t *testing.T) netns.NsHandle {
	t.Helper()
	type made struct {
		h   netns.NsHandle
		err error
	}
	ch := make(chan made, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		h, err := netns.New()
		ch <- made{h, err}
	}()
	m := <-ch
	must(t, m.err)
	return m.h
}

// inFwd runs fn on a thread in fwd (/proc/sys/net and /proc/thread-self/net
// are that namespace's there).
func (k *kernelNet) inFwd(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(k.fwd); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	return <-done
}

// forwarded is fwd's IP ForwDatagrams counter.
func (k *kernelNet) forwarded(t *testing.T) uint64 {
	t.Helper()
	var n uint64
	must(t, k.inFwd(func() error {
		b, err := os.ReadFile("/proc/thread-self/net/snmp")
		if err != nil {
			return err
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i+1 < len(lines); i++ {
			names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
			if len(names) == 0 || names[0] != "Ip:" || len(vals) != len(names) {
				continue
			}
			if j := slices.Index(names, "ForwDatagrams"); j > 0 {
				_, err := fmt.Sscan(vals[j], &n)
				return err
			}
		}
		return fmt.Errorf("no Ip: ForwDatagrams in %q", b)
	}))
	return n
}

func writeSysctls(t *testing.T, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		must(t, os.WriteFile("/proc/sys/net/ipv4/conf/"+k, []byte(v), 0o644))
	}
}

// TestKernelBaseline: kernel mode's packets leave by one interface, are
// forwarded by the other namespace's kernel and come back in on the other
// interface, all of them at a modest rate, both ways and flat out; the
// run is refused while accept_local would drop them, and leaves no route
// or pinned socket behind.
func TestKernelBaseline(t *testing.T) {
	if !inOwnNetns(t) {
		return
	}
	k := setUpKernelNet(t)
	writeSysctls(t, map[string]string{"all/accept_local": "0", "all/rp_filter": "0", "n3/rp_filter": "0", "n6/rp_filter": "0"})
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.UPF.PFCP = "127.0.0.2" // no UPF: a kernel run does not need one
	cfg.UPF.N3, cfg.UPF.N6 = kFwd3.String(), kFwd6.String()
	cfg.PFCP.Listen = "127.0.0.3:0"
	cfg.N3.Listen, cfg.N6.Listen = kGen3.String()+":2152", kGen6.String()+":9000"
	cfg.Drain.Quiet = 100 * time.Millisecond
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	must(t, err)
	nfkittest.Start(t, n)
	g := n.Generator()
	nfkittest.Eventually(t, wait, "gtpgen sockets bound", g.bound.Load)

	_, err = g.Run(ctxT(t), Params{Sessions: 4, RatePPS: 1000, Duration: 100 * time.Millisecond, Size: 64, Mode: ModeKernel})
	if !errors.Is(err, ErrKernelPath) || !strings.Contains(err.Error(), "net.ipv4.conf.n6.accept_local is 0") ||
		!strings.Contains(err.Error(), "net.ipv4.conf.n3.accept_local is 0") {
		t.Fatalf("kernel run without accept_local: %v", err)
	}
	writeSysctls(t, map[string]string{"n3/accept_local": "1", "n6/accept_local": "1"})

	for _, size := range []int{64, 1400} {
		before := k.forwarded(t)
		res, err := g.Run(ctxT(t), Params{Sessions: 8, RatePPS: 2000, Duration: 300 * time.Millisecond, Size: size, Mode: ModeKernel})
		must(t, err)
		for name, f := range map[string]*Flow{"uplink": res.Uplink, "downlink": res.Downlink} {
			if f == nil || f.Sent < 300 || f.Received != f.Sent || f.Duplicates != 0 || f.Latency.Samples != f.Sent {
				t.Errorf("size %d %s: %+v", size, name, f)
			}
		}
		if fwd := k.forwarded(t) - before; fwd < res.Uplink.Sent+res.Downlink.Sent {
			t.Errorf("size %d: the other namespace forwarded %d packets, we received %d", size, fwd, res.Uplink.Received+res.Downlink.Received)
		}
		if len(res.KernelPath) != 2 || !strings.Contains(res.KernelPath[0], "out of n3 (IP_UNICAST_IF) via 10.9.3.1") ||
			res.Malformed != 0 || res.Stray != 0 || res.UPFUsage != (Usage{}) {
			t.Errorf("size %d result: %+v", size, res)
		}
	}
	flat, err := g.Run(ctxT(t), Params{Sessions: 64, Duration: 500 * time.Millisecond, Size: 64, Direction: Uplink, Mode: ModeKernel})
	must(t, err)
	if f := flat.Uplink; f.Received == 0 || f.Received+f.Lost != f.Sent || flat.Downlink != nil {
		t.Errorf("flat out: %+v", flat)
	}
	t.Logf("kernel forwarding flat out, 64 octets uplink: offered %.0f pps, delivered %.0f pps, loss %.3f, p50 %.0f µs",
		flat.Uplink.TxPPS, flat.Uplink.RxPPS, flat.Uplink.LossRatio, flat.Uplink.Latency.P50Us)

	for _, a := range []netip.Addr{kGen3, kGen6} {
		dst := &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(32, 32)}
		rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST)
		if err != nil || len(rs) != 0 {
			t.Errorf("routes to %s left: %v %v", dst, rs, err)
		}
	}
	for _, c := range []*net.UDPConn{g.n3conn, g.n6.(*udpN6).conn} {
		rc, err := c.SyscallConn()
		must(t, err)
		var v int
		var gerr error
		must(t, rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_UNICAST_IF) }))
		if gerr != nil || v != 0 {
			t.Errorf("%s: IP_UNICAST_IF %d after the runs (%v)", c.LocalAddr(), v, gerr)
		}
	}
}
