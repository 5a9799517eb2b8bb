package cni

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
)

var benchNets = []NetworkSpec{
	{Name: "ba", Subnet: "10.235.1.0/24"},
	{Name: "bb", Subnet: "10.235.2.0/24"},
	{Name: "bc", Subnet: "10.235.3.0/24"},
}

// BenchmarkAttach3 attaches three interfaces to a fresh namespace. The
// netlink sub-benchmark runs first and is the same-run baseline: the same
// three veth pairs on the same bridges, with addresses, made directly; the
// cni sub-benchmark reports its cost as a multiple of it (x-raw).
func BenchmarkAttach3(b *testing.B) {
	rootTest(b)
	m := newTestManager(b)
	var nets []*Network
	for _, spec := range benchNets {
		nets = append(nets, mustCreate(b, m, spec))
	}
	var rawPerOp time.Duration
	b.Run("netlink", func(b *testing.B) {
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			nsPath := newBenchNetNS(b, dir, i)
			b.StartTimer()
			var hosts []string
			for j, n := range nets {
				host, err := rawAttach(nsPath, n, fmt.Sprintf("rv%d-%d", i, j), netip.MustParsePrefix(fmt.Sprintf("10.235.%d.200/24", j+1)))
				if err != nil {
					b.Fatal(err)
				}
				hosts = append(hosts, host)
			}
			b.StopTimer()
			for _, h := range hosts {
				if err := netlink.LinkDel(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: h}}); err != nil {
					b.Fatal(err)
				}
			}
			dropBenchNetNS(b, nsPath)
			b.StartTimer()
		}
		rawPerOp = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("cni", func(b *testing.B) {
		ctx := context.Background()
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			nsPath := newBenchNetNS(b, dir, i)
			var reqs []AttachRequest
			for _, n := range nets {
				reqs = append(reqs, AttachRequest{ContainerID: fmt.Sprintf("bench-%d", i), NetNS: nsPath, Network: n.Name})
			}
			b.StartTimer()
			for _, req := range reqs {
				if _, err := m.Attach(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, req := range reqs {
				if err := m.Detach(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			dropBenchNetNS(b, nsPath)
			b.StartTimer()
		}
		if rawPerOp > 0 {
			b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(rawPerOp), "x-raw")
		}
	})
}

// rawAttach is the baseline: a veth pair, host end on the bridge, peer
// moved into the namespace, renamed, addressed and up (lo too).
func rawAttach(nsPath string, n *Network, hostName string, addr netip.Prefix) (string, error) {
	br, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		return "", err
	}
	peer := hostName + "p"
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostName, MasterIndex: br.Attrs().Index}, PeerName: peer}
	if err := netlink.LinkAdd(veth); err != nil {
		return "", err
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return hostName, err
	}
	peerLink, err := netlink.LinkByName(peer)
	if err != nil {
		return hostName, err
	}
	target, err := ns.GetNS(nsPath)
	if err != nil {
		return hostName, err
	}
	defer target.Close()
	if err := netlink.LinkSetNsFd(peerLink, int(target.Fd())); err != nil {
		return hostName, err
	}
	return hostName, inNetNS(nsPath, func(h *netlink.Handle) error {
		l, err := h.LinkByName(peer)
		if err != nil {
			return err
		}
		if err := h.LinkSetName(l, n.Name); err != nil {
			return err
		}
		ipnet := &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), 32)}
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipnet}); err != nil {
			return err
		}
		if err := h.LinkSetUp(l); err != nil {
			return err
		}
		lo, err := h.LinkByName("lo")
		if err != nil {
			return err
		}
		return h.LinkSetUp(lo)
	})
}

// Benchmarks make many namespaces: each is a bind mount on its own file,
// dropped at the end of its iteration rather than of the benchmark.
func newBenchNetNS(b *testing.B, dir string, i int) string {
	b.Helper()
	path := filepath.Join(dir, fmt.Sprintf("ns-%d", i))
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := mountNewNetNS(path); err != nil {
		b.Fatal(err)
	}
	return path
}

func dropBenchNetNS(b *testing.B, path string) {
	b.Helper()
	if err := unmount(path); err != nil {
		b.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		b.Fatal(err)
	}
}
