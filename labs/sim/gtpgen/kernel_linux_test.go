package gtpgen

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

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
