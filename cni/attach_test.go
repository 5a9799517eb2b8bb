package cni

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// Two networks; X on both, Y on b with a static address; X reaches Y over b.
func TestAttachReachDetachRemove(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	a := mustCreate(t, m, NetworkSpec{Name: "a", Subnet: "10.231.1.0/24", Gateway: true, MTU: 1400})
	b := mustCreate(t, m, NetworkSpec{Name: "b", Subnet: "10.231.2.0/24"})
	checkBridge(t, a, "10.231.1.1/24", 1400)
	checkBridge(t, b, "", 1500)

	x, y := newNetNS(t), newNetNS(t)
	xa := mustAttach(t, m, AttachRequest{ContainerID: "ctr-x", NetNS: x, Network: "a", IfName: "a"})
	xb := mustAttach(t, m, AttachRequest{ContainerID: "ctr-x", NetNS: x, Network: "b"}) // IfName defaults to "b"
	static := netip.MustParseAddr("10.231.2.7")
	yb := mustAttach(t, m, AttachRequest{ContainerID: "ctr-y", NetNS: y, Network: "b", IfName: "b", IP: static})

	if got := linksIn(t, x); !slices.Equal(got, []string{"a", "b", "lo"}) {
		t.Fatalf("interfaces in X: %v, want a, b, lo", got)
	}
	for _, att := range []*Attachment{xa, xb, yb} {
		n, _ := m.Get(att.Network)
		if !netip.MustParsePrefix(n.Subnet).Contains(att.Address.Addr()) || att.Address.Bits() != 24 {
			t.Errorf("%s address %s not in subnet %s", att.IfName, att.Address, n.Subnet)
		}
		if att.MAC == "" || att.HostVeth == "" {
			t.Errorf("attachment %+v lacks MAC or host veth", att)
		}
		checkPortOf(t, att.HostVeth, n.Bridge)
	}
	if yb.Address.Addr() != static {
		t.Fatalf("static address: got %s, want %s", yb.Address, static)
	}
	if xa.Gateway != netip.MustParseAddr("10.231.1.1") || xb.Gateway.IsValid() {
		t.Fatalf("gateways: a %v (want 10.231.1.1), b %v (want none)", xa.Gateway, xb.Gateway)
	}
	checkLinkInNS(t, x, "a", 1400)
	checkLinkInNS(t, x, "lo", 0)

	ln := listenIn(t, y, static)
	echoOnce(t, x, ln.Addr())
	// The host reaches X over a's gateway address (the mgmt network case).
	lnX := listenIn(t, x, xa.Address.Addr())
	c, err := net.Dial("tcp4", lnX.Addr().String())
	if err != nil {
		t.Fatalf("host to X over a: %v", err)
	}
	c.Close()

	atts, err := m.Attachments("b")
	if err != nil {
		t.Fatal(err)
	}
	want := []AttachRequest{
		{ContainerID: "ctr-x", NetNS: x, Network: "b", IfName: "b"},
		{ContainerID: "ctr-y", NetNS: y, Network: "b", IfName: "b", IP: static},
	}
	slices.SortFunc(atts, func(p, q AttachRequest) int { return strings.Compare(p.ContainerID, q.ContainerID) })
	if !slices.EqualFunc(atts, want, func(p, q AttachRequest) bool {
		return p.ContainerID == q.ContainerID && p.NetNS == q.NetNS && p.Network == q.Network && p.IfName == q.IfName && p.IP == q.IP
	}) {
		t.Fatalf("Attachments(b) = %+v, want %+v", atts, want)
	}

	// Remove refuses while attached, naming who.
	err = m.Remove(ctx, "b")
	var inUse *NetworkInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrNetworkInUse) || !strings.Contains(err.Error(), "ctr-x/b") || !strings.Contains(err.Error(), "ctr-y/b") {
		t.Fatalf("Remove while attached: %v, want a NetworkInUseError naming ctr-x/b and ctr-y/b", err)
	}
	for _, req := range atts {
		if err := m.Detach(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Detach(ctx, atts[0]); err != nil {
		t.Fatalf("second detach must be a no-op: %v", err)
	}
	if hostLinkExists(t, xb.HostVeth) || hostLinkExists(t, yb.HostVeth) {
		t.Fatal("host veths left after detach")
	}
	if err := m.Remove(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if hostLinkExists(t, b.Bridge) {
		t.Fatalf("bridge %s left after Remove", b.Bridge)
	}
	for _, p := range []string{filepath.Join(m.paths.ipamDir(), "b"), m.paths.networkFile("b")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s left after Remove (%v)", p, err)
		}
	}
	if _, err := m.Get("b"); !errors.Is(err, ErrNetworkNotFound) || !strings.Contains(err.Error(), "known networks: a") {
		t.Fatalf("Get removed network: %v", err)
	}
}

// A static address is reserved: IPAM never hands it out, a second static
// request for it is refused naming the holder, and an ADD that fails on an
// exhausted pool leaves no veth and no reservation.
func TestStaticAddressReservedAndFailedAddRollsBack(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	n := mustCreate(t, m, NetworkSpec{Name: "s", Subnet: "10.231.3.0/29"}) // hosts .2-.6 (.1 reserved)
	x := newNetNS(t)
	static := netip.MustParseAddr("10.231.3.3")
	mustAttach(t, m, AttachRequest{ContainerID: "c0", NetNS: x, Network: "s", IfName: "s0", IP: static})

	_, err := m.Attach(ctx, AttachRequest{ContainerID: "c9", NetNS: x, Network: "s", IfName: "s9", IP: static})
	wantErrIs(t, err, ErrAddressUnavailable)
	if !strings.Contains(err.Error(), "container c0 (s0)") {
		t.Fatalf("taken address error should name the holder: %v", err)
	}

	var got []netip.Addr
	holders := map[netip.Addr]string{static: "container c0 (s0)"}
	for i := 1; i <= 4; i++ {
		cid, ifName := fmt.Sprintf("c%d", i), fmt.Sprintf("s%d", i)
		att := mustAttach(t, m, AttachRequest{ContainerID: cid, NetNS: x, Network: "s", IfName: ifName})
		got = append(got, att.Address.Addr())
		holders[att.Address.Addr()] = "container " + cid + " (" + ifName + ")"
	}
	if slices.Contains(got, static) {
		t.Fatalf("IPAM handed out the static address %s: %v", static, got)
	}
	hostBefore := bridgePorts(t, n.Bridge)
	nsBefore := linksIn(t, x)
	_, err = m.Attach(ctx, AttachRequest{ContainerID: "c5", NetNS: x, Network: "s", IfName: "s5"})
	t.Logf("exhausted pool: %v", err)
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("attach to an exhausted pool: %v, want a rolled-back failure", err)
	}
	if after := bridgePorts(t, n.Bridge); !slices.Equal(after, hostBefore) {
		t.Fatalf("failed ADD left host ports: before %v after %v", hostBefore, after)
	}
	if after := linksIn(t, x); !slices.Equal(after, nsBefore) {
		t.Fatalf("failed ADD left interfaces in the netns: before %v after %v", nsBefore, after)
	}
	// The rollback released nothing that others hold.
	for addr, want := range holders {
		if owner := m.reservedBy("s", addr); owner != want {
			t.Fatalf("%s is held by %q after the rollback, want %q", addr, owner, want)
		}
	}
}

// A plugin failing mid-chain (and failing DEL as well) still leaves nothing:
// the rollback retries each plugin on its own.
func TestFailedAddMidChainLeavesNoVeth(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	dir := brokenPluginDir(t, "tuning")
	m := newTestManagerWith(t, dir)
	n := mustCreate(t, m, NetworkSpec{Name: "f", Subnet: "10.231.4.0/24"})
	x := newNetNS(t)
	// A bandwidth limit puts tuning and bandwidth into the ADD chain.
	bw := &Bandwidth{EgressRate: 1e6, EgressBurst: 1e5}
	_, err := m.Attach(ctx, AttachRequest{ContainerID: "cf", NetNS: x, Network: "f", Bandwidth: bw})
	t.Logf("failing tuning: %v", err)
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("attach with a failing tuning plugin: %v", err)
	}
	if ports := bridgePorts(t, n.Bridge); len(ports) != 0 {
		t.Fatalf("failed ADD left host veths %v", ports)
	}
	if got := linksIn(t, x); !slices.Equal(got, []string{"lo"}) {
		t.Fatalf("failed ADD left interfaces in the netns: %v", got)
	}
	entries, err := os.ReadDir(filepath.Join(m.paths.ipamDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, perr := netip.ParseAddr(e.Name()); perr == nil {
			t.Fatalf("failed ADD left the IPAM reservation %s", e.Name())
		}
	}
	if atts, _ := m.Attachments(""); len(atts) != 0 {
		t.Fatalf("failed ADD left cache entries %+v", atts)
	}
}

// An ADD runs only the plugins the request needs: with tuning broken, an
// attach without a bandwidth limit still works, and DEL (from the cached
// ADD config) does not run tuning either.
func TestAddRunsOnlyNeededPlugins(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManagerWith(t, brokenPluginDir(t, "tuning"))
	mustCreate(t, m, NetworkSpec{Name: "g", Subnet: "10.231.5.0/24"})
	x := newNetNS(t)
	req := AttachRequest{ContainerID: "cg", NetNS: x, Network: "g"}
	if _, err := m.Attach(ctx, req); err != nil {
		t.Fatalf("attach without bandwidth ran the broken tuning plugin: %v", err)
	}
	if err := m.Detach(ctx, req); err != nil {
		t.Fatalf("detach ran the broken tuning plugin: %v", err)
	}
}

// A plugin missing from the plugin dir is reported before anything runs,
// with the command that installs them.
func TestMissingPluginRefusedUpFront(t *testing.T) {
	rootTest(t)
	dir := brokenPluginDir(t, "")
	if err := os.Remove(filepath.Join(dir, "bandwidth")); err != nil {
		t.Fatal(err)
	}
	m := newTestManagerWith(t, dir)
	n := mustCreate(t, m, NetworkSpec{Name: "p", Subnet: "10.231.5.0/24"})
	x := newNetNS(t)
	_, err := m.Attach(context.Background(), AttachRequest{ContainerID: "cp", NetNS: x, Network: "p"})
	wantErrIs(t, err, ErrPluginMissing)
	if !strings.Contains(err.Error(), "bandwidth") || !strings.Contains(err.Error(), "corebox net install-plugins") {
		t.Fatalf("message should name the plugin and the install command: %v", err)
	}
	if ports := bridgePorts(t, n.Bridge); len(ports) != 0 {
		t.Fatalf("refused ADD left host veths %v", ports)
	}
}

// Detach after the container's namespace is gone releases the address.
func TestDetachAfterNetNSGone(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "g", Subnet: "10.231.6.0/24"})
	x := newNetNS(t)
	att := mustAttach(t, m, AttachRequest{ContainerID: "cg", NetNS: x, Network: "g"})
	if err := unmount(x); err != nil {
		t.Fatal(err)
	}
	if err := m.Detach(ctx, AttachRequest{ContainerID: "cg", Network: "g"}); err != nil {
		t.Fatalf("detach with the netns gone: %v", err)
	}
	if owner := m.reservedBy("g", att.Address.Addr()); owner != "" {
		t.Fatalf("address %s still held by %s", att.Address, owner)
	}
	if err := m.Remove(ctx, "g"); err != nil {
		t.Fatal(err)
	}
}

// A macvlan network hangs off a host interface (here: a bridge of ours).
func TestMacvlanNetwork(t *testing.T) {
	rootTest(t)
	m := newTestManager(t)
	parent := mustCreate(t, m, NetworkSpec{Name: "up", Subnet: "10.231.7.0/24"})
	mustCreate(t, m, NetworkSpec{Name: "mv", Subnet: "10.231.8.0/24", Type: TypeMacvlan, Master: parent.Bridge})
	x, y := newNetNS(t), newNetNS(t)
	mustAttach(t, m, AttachRequest{ContainerID: "mx", NetNS: x, Network: "mv", IfName: "n3"})
	ya := mustAttach(t, m, AttachRequest{ContainerID: "my", NetNS: y, Network: "mv", IfName: "n3"})
	if ya.HostVeth != "" {
		t.Fatalf("macvlan has no host veth, got %q", ya.HostVeth)
	}
	ln := listenIn(t, y, ya.Address.Addr())
	echoOnce(t, x, ln.Addr())
	_, err := m.Attach(context.Background(), AttachRequest{ContainerID: "mz", NetNS: x, Network: "mv", IfName: "n4", Bandwidth: &Bandwidth{IngressRate: 1e6, IngressBurst: 1e6}})
	wantErrIs(t, err, ErrInvalidSpec)
}

// Bandwidth limits (asked per attachment) shape the host veth and go away
// with the attachment, ifb included.
func TestBandwidthOnRequest(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "bw", Subnet: "10.231.9.0/24"})
	x := newNetNS(t)
	req := AttachRequest{ContainerID: "cbw", NetNS: x, Network: "bw",
		Bandwidth: &Bandwidth{IngressRate: 8_000_000, IngressBurst: 800_000, EgressRate: 4_000_000, EgressBurst: 400_000}}
	att := mustAttach(t, m, req)
	veth, err := netlink.LinkByName(att.HostVeth)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := netlink.QdiscList(veth)
	if err != nil {
		t.Fatal(err)
	}
	var tbf *netlink.Tbf
	for _, q := range qs {
		if q, ok := q.(*netlink.Tbf); ok {
			tbf = q
		}
	}
	if tbf == nil || tbf.Rate != 1_000_000 {
		t.Fatalf("host veth qdiscs %v: want tbf at 1000000 bytes/s (8 Mbit/s into the container)", qs)
	}
	atts, err := m.Attachments("bw")
	if err != nil || len(atts) != 1 || atts[0].Bandwidth == nil || *atts[0].Bandwidth != *req.Bandwidth {
		t.Fatalf("Attachments should report the bandwidth asked for: %+v %v", atts, err)
	}
	if err := m.Detach(ctx, req); err != nil {
		t.Fatal(err)
	}
	// leakcheck (at cleanup) proves the ifb went with it.
}

func checkBridge(t *testing.T, n *Network, wantAddr string, wantMTU int) {
	t.Helper()
	br, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		t.Fatalf("bridge %s of %s: %v", n.Bridge, n.Name, err)
	}
	if br.Type() != "bridge" || br.Attrs().MTU != wantMTU || len(n.Bridge) > 15 {
		t.Fatalf("bridge %s: type %s mtu %d, want bridge mtu %d", n.Bridge, br.Type(), br.Attrs().MTU, wantMTU)
	}
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range addrs {
		got = append(got, a.IPNet.String())
	}
	var want []string
	if wantAddr != "" {
		want = []string{wantAddr}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("bridge %s addresses %v, want %v", n.Bridge, got, want)
	}
}

func checkPortOf(t *testing.T, veth, bridge string) {
	t.Helper()
	l, err := netlink.LinkByName(veth)
	if err != nil {
		t.Fatalf("host veth %s: %v", veth, err)
	}
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	if l.Attrs().MasterIndex != br.Attrs().Index {
		t.Fatalf("host veth %s is not a port of %s", veth, bridge)
	}
}

func checkLinkInNS(t *testing.T, nsPath, name string, wantMTU int) {
	t.Helper()
	err := inNetNS(nsPath, func(h *netlink.Handle) error {
		l, err := h.LinkByName(name)
		if err != nil {
			return err
		}
		if l.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("%s in %s is down", name, nsPath)
		}
		if wantMTU != 0 && l.Attrs().MTU != wantMTU {
			t.Errorf("%s in %s: mtu %d, want %d", name, nsPath, l.Attrs().MTU, wantMTU)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func bridgePorts(t *testing.T, bridge string) []string {
	t.Helper()
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var ports []string
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			ports = append(ports, l.Attrs().Name)
		}
	}
	slices.Sort(ports)
	return ports
}

// brokenPluginDir links the real plugins into a temp dir, replacing broken
// (if any) by a script that fails ADD and DEL alike.
func brokenPluginDir(t *testing.T, broken string) string {
	t.Helper()
	real := testPluginDir(t)
	dir := t.TempDir()
	for _, name := range PluginNames() {
		var err error
		if name == broken {
			script := "#!/bin/sh\ncat >/dev/null\necho '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"injected failure\"}'\nexit 1\n"
			err = os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755)
		} else {
			err = os.Symlink(filepath.Join(real, name), filepath.Join(dir, name))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Replicas attach concurrently (scale-out): every one gets its own address.
func TestConcurrentAttach(t *testing.T) {
	rootTest(t)
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "cc", Subnet: "10.231.10.0/24"})
	const replicas = 6
	nss := make([]string, replicas)
	for i := range nss {
		nss[i] = newNetNS(t)
	}
	addrs := make([]netip.Addr, replicas)
	errs := make(chan error, replicas)
	for i := range replicas {
		go func() {
			att, err := m.Attach(context.Background(), AttachRequest{ContainerID: fmt.Sprintf("upf-%d", i), NetNS: nss[i], Network: "cc", IfName: "n3"})
			if err == nil {
				addrs[i] = att.Address.Addr()
			}
			errs <- err
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("address %s handed out twice: %v", a, addrs)
		}
		seen[a] = true
	}
}
