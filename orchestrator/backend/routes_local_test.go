package backend

import (
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/corebox/corebox/platform/netns"
)

func TestRouteTable(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	got, err := routeTable([]Route{{Dst: p("10.45.0.1/18"), Via: a("10.6.0.4")}, {Dst: p("10.45.0.0/18"), Via: a("10.6.0.4")}})
	if err != nil || len(got) != 1 || got[p("10.45.0.0/18")] != a("10.6.0.4") {
		t.Errorf("masked repeats: %v %v", got, err)
	}
	for _, bad := range [][]Route{
		{{Dst: p("10.45.0.0/18")}},
		{{Via: a("10.6.0.4")}},
		{{Dst: p("fd00::/64"), Via: a("10.6.0.4")}},
		{{Dst: p("10.45.0.0/18"), Via: a("10.6.0.4")}, {Dst: p("10.45.0.0/18"), Via: a("10.6.0.5")}},
	} {
		if _, err := routeTable(bad); err == nil {
			t.Errorf("routeTable(%v) accepted", bad)
		}
	}
}

// testNS is a network namespace with a veth pair inside it: n6 at
// 10.77.6.2/24 (so 10.77.6.0/24 is on link), and a process that lives in it.
type testNS struct {
	path string
	ns   vnetns.NsHandle
	h    *netlink.Handle
	pid  int
}

func newTestNS(t *testing.T) *testNS {
	t.Helper()
	tn := &testNS{path: filepath.Join(t.TempDir(), "ns")}
	if err := netns.Create(tn.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := netns.Remove(tn.path); err != nil {
			t.Error(err)
		}
	})
	ns, err := vnetns.GetFromPath(tn.path)
	if err != nil {
		t.Fatal(err)
	}
	tn.ns = ns
	t.Cleanup(func() { ns.Close() })
	if tn.h, err = netlink.NewHandleAt(ns, unix.NETLINK_ROUTE); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tn.h.Close)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "n6"}, PeerName: "n6peer"}
	if err := tn.h.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.77.6.2/24")
	for _, step := range []func() error{
		func() error { return tn.h.AddrAdd(veth, addr) },
		func() error { return tn.h.LinkSetUp(veth) },
		func() error { peer, err := tn.h.LinkByName("n6peer"); return errors.Join(err, tn.h.LinkSetUp(peer)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	tn.pid = startIn(t, tn.path)
	return tn
}

// startIn starts a sleeping process in the namespace at path, killed when
// the test ends.
func startIn(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	errc := make(chan error, 1)
	go func() {
		// The thread stays in the namespace and locked: Go discards it.
		runtime.LockOSThread()
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		if err == nil {
			err = cmd.Start() // forked from this thread: born in the namespace
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("start a process in %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // killed: its exit status says so
	})
	return cmd.Process.Pid
}

// routes lists the namespace's main table as "dst via gw proto N".
func (tn *testNS) routes(t *testing.T) []string {
	t.Helper()
	rs, err := tn.h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		s := r.Dst.String()
		if r.Gw != nil {
			s += " via " + r.Gw.String()
		}
		out = append(out, s+" proto "+r.Protocol.String())
	}
	slices.Sort(out)
	return out
}

func TestSyncRoutesInANamespace(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	t.Cleanup(func() { snap.Check(t) }) // after the cleanups registered below
	tn := newTestNS(t)
	foreign := &netlink.Route{Dst: &net.IPNet{IP: net.IPv4(10, 88, 0, 0).To4(), Mask: net.CIDRMask(16, 32)},
		Gw: net.IPv4(10, 77, 6, 9), Protocol: unix.RTPROT_STATIC}
	if err := tn.h.RouteAdd(foreign); err != nil {
		t.Fatal(err)
	}
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	connected := "10.77.6.0/24 proto kernel"
	other := "10.88.0.0/16 via 10.77.6.9 proto static"
	steps := []struct {
		name       string
		want       map[netip.Prefix]netip.Addr
		writes     int
		errHas     string
		wantRoutes []string
	}{
		{"add two", map[netip.Prefix]netip.Addr{p("10.45.0.0/18"): a("10.77.6.4"), p("10.45.64.0/18"): a("10.77.6.5")}, 2, "",
			[]string{connected, "10.45.0.0/18 via 10.77.6.4 proto 201", "10.45.64.0/18 via 10.77.6.5 proto 201", other}},
		{"unchanged writes nothing", map[netip.Prefix]netip.Addr{p("10.45.0.0/18"): a("10.77.6.4"), p("10.45.64.0/18"): a("10.77.6.5")}, 0, "",
			[]string{connected, "10.45.0.0/18 via 10.77.6.4 proto 201", "10.45.64.0/18 via 10.77.6.5 proto 201", other}},
		{"replace a gateway", map[netip.Prefix]netip.Addr{p("10.45.0.0/18"): a("10.77.6.6"), p("10.45.64.0/18"): a("10.77.6.5")}, 1, "",
			[]string{connected, "10.45.0.0/18 via 10.77.6.6 proto 201", "10.45.64.0/18 via 10.77.6.5 proto 201", other}},
		{"delete one", map[netip.Prefix]netip.Addr{p("10.45.64.0/18"): a("10.77.6.5")}, 1, "",
			[]string{connected, "10.45.64.0/18 via 10.77.6.5 proto 201", other}},
		{"a foreign route's destination is refused, not taken", map[netip.Prefix]netip.Addr{p("10.45.64.0/18"): a("10.77.6.5"), p("10.88.0.0/16"): a("10.77.6.5")}, 1,
			"a route corebox does not own holds 10.88.0.0/16",
			[]string{connected, "10.45.64.0/18 via 10.77.6.5 proto 201", other}},
		{"an unreachable gateway fails alone", map[netip.Prefix]netip.Addr{p("10.45.64.0/18"): a("10.77.6.5"), p("10.46.0.0/16"): a("10.99.0.1")}, 1,
			"add 10.46.0.0/16 via 10.99.0.1",
			[]string{connected, "10.45.64.0/18 via 10.77.6.5 proto 201", other}},
		{"empty removes ours only", nil, 1, "", []string{connected, other}},
		{"empty again writes nothing", map[netip.Prefix]netip.Addr{}, 0, "", []string{connected, other}},
	}
	for _, s := range steps {
		writes, err := syncRoutes(tn.ns, s.want)
		switch {
		case s.errHas == "" && err != nil:
			t.Errorf("%s: %v", s.name, err)
		case s.errHas != "" && (err == nil || !strings.Contains(err.Error(), s.errHas)):
			t.Errorf("%s: error %v, want one saying %q", s.name, err, s.errHas)
		}
		if writes != s.writes {
			t.Errorf("%s: %d writes, want %d", s.name, writes, s.writes)
		}
		slices.Sort(s.wantRoutes)
		if got := tn.routes(t); !slices.Equal(got, s.wantRoutes) {
			t.Errorf("%s: routes\n  %s\nwant\n  %s", s.name, strings.Join(got, "\n  "), strings.Join(s.wantRoutes, "\n  "))
		}
	}
}

// The namespace is found through the instance's process; the daemon's own
// namespace is refused, and nothing is written when the process changed.
func TestSetRoutesOfPid(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	t.Cleanup(func() { snap.Check(t) }) // after the cleanups registered below
	tn := newTestNS(t)
	want := map[netip.Prefix]netip.Addr{netip.MustParsePrefix("10.99.1.0/24"): netip.MustParseAddr("10.77.6.4")}
	if _, err := setRoutesOfPid(tn.pid, func() error { return errors.New("restarted") }, want); err == nil || !strings.Contains(err.Error(), "restarted") {
		t.Errorf("a changed process went unnoticed: %v", err)
	}
	if got := tn.routes(t); slices.Contains(got, "10.99.1.0/24 via 10.77.6.4 proto 201") {
		t.Errorf("written although the process changed: %v", got)
	}
	if n, err := setRoutesOfPid(tn.pid, func() error { return nil }, want); err != nil || n != 1 {
		t.Fatalf("setRoutesOfPid = %d, %v", n, err)
	}
	if got := tn.routes(t); !slices.Contains(got, "10.99.1.0/24 via 10.77.6.4 proto 201") {
		t.Errorf("routes %v lack the one set through the process", got)
	}
	// Not os.Getpid(): /proc/PID/ns is the main thread's, which a
	// goroutine locked in a namespace may have left there.
	if _, err := setRoutesOfPid(startIn(t, "/proc/thread-self/ns/net"), nil, want); err == nil || !strings.Contains(err.Error(), "own network namespace") {
		t.Errorf("the daemon's own namespace was not refused: %v", err)
	}
	if _, err := setRoutesOfPid(1<<30, nil, want); err == nil {
		t.Error("a pid that does not exist was accepted")
	}
}
