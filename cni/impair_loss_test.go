package cni

import (
	"encoding/binary"
	"errors"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// lossProbe is how many datagrams a loss measurement sends: at 30% loss
// the measured share has a standard deviation of about 1%, so the 25-35%
// window below is five of them wide on either side.
const lossProbe = 2000

// withoutNetem makes Impair believe the kernel has no netem, so that the
// fallbacks are tested on every kernel.
func withoutNetem(t *testing.T) {
	t.Helper()
	saved := netemSupported
	netemSupported = func() (bool, error) { return false, nil }
	t.Cleanup(func() { netemSupported = saved })
}

func kernelHasNetem(t *testing.T) bool {
	t.Helper()
	ok, err := cachedNetemProbe()
	if err != nil {
		t.Fatalf("netem probe: %v", err)
	}
	return ok
}

type vethEnd struct {
	ns, ifName string
	addr       netip.Prefix
}

// veth links a and b with a veth pair of their own, addressed and up.
func veth(t *testing.T, a, b vethEnd) {
	t.Helper()
	peerNS, err := ns.GetNS(b.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer peerNS.Close()
	err = inNetNS(a.ns, func(h *netlink.Handle) error {
		return h.LinkAdd(&netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: a.ifName},
			PeerName:      b.ifName,
			PeerNamespace: netlink.NsFd(int(peerNS.Fd())),
		})
	})
	if err != nil {
		t.Fatalf("veth %s/%s: %v", a.ifName, b.ifName, err)
	}
	for _, end := range []vethEnd{a, b} {
		err := inNetNS(end.ns, func(h *netlink.Handle) error {
			l, err := h.LinkByName(end.ifName)
			if err != nil {
				return err
			}
			addr := &netlink.Addr{IPNet: &net.IPNet{IP: end.addr.Addr().AsSlice(), Mask: net.CIDRMask(end.addr.Bits(), 32)}}
			if err := h.AddrAdd(l, addr); err != nil {
				return err
			}
			return h.LinkSetUp(l)
		})
		if err != nil {
			t.Fatalf("set up %s: %v", end.ifName, err)
		}
	}
}

// lossNets gives two fresh namespaces X and Y joined by two veth pairs:
// xa (10.235.<n>.1) - ya (.2) and xb (10.235.<n+1>.1) - yb (.2), and checks
// that both lose nothing before any impairment. That also leaves X with
// both neighbours resolved: at 100% loss ARP is lost too, as with netem,
// and a socket sending to an unresolved neighbour stalls for seconds.
func lossNets(t *testing.T, n byte) (x, y string, ya, yb netip.Addr) {
	t.Helper()
	x, y = newNetNS(t), newNetNS(t)
	ya = netip.AddrFrom4([4]byte{10, 235, n, 2})
	yb = netip.AddrFrom4([4]byte{10, 235, n + 1, 2})
	veth(t, vethEnd{x, "xa", netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 235, n, 1}), 24)},
		vethEnd{y, "ya", netip.PrefixFrom(ya, 24)})
	veth(t, vethEnd{x, "xb", netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 235, n + 1, 1}), 24)},
		vethEnd{y, "yb", netip.PrefixFrom(yb, 24)})
	wantLossBetween(t, "xa unimpaired", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0, 0)
	wantLossBetween(t, "xb unimpaired", measureLoss(t, x, y, yb, lossProbe, 64, time.Millisecond), 0, 0)
	return x, y, ya, yb
}

// measureLoss sends count numbered datagrams of size bytes from namespace
// from to addr in namespace to, pausing pause after every 20, and returns
// the share that did not arrive.
func measureLoss(t *testing.T, from, to string, addr netip.Addr, count, size int, pause time.Duration) float64 {
	t.Helper()
	var rx, tx *net.UDPConn
	err := ns.WithNetNSPath(to, func(ns.NetNS) error {
		var err error
		rx, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	// Room for every datagram even if the reader does not run until the
	// sender is done (FORCE: beyond net.core.rmem_max), so that nothing
	// is lost but what the impairment loses.
	raw, err := rx.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	cerr := raw.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20) })
	if err = errors.Join(cerr, err); err != nil {
		t.Fatal(err)
	}
	err = ns.WithNetNSPath(from, func(ns.NetNS) error {
		var err error
		tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()

	var sent atomic.Bool
	got := make(chan map[uint32]bool, 1)
	go func() {
		seen := map[uint32]bool{}
		buf := make([]byte, 64<<10)
		for {
			_ = rx.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := rx.Read(buf)
			if err != nil {
				if sent.Load() {
					got <- seen
					return
				}
				continue
			}
			if n >= 4 {
				seen[binary.BigEndian.Uint32(buf)] = true
			}
		}
	}()
	msg := make([]byte, size)
	for i := range count {
		binary.BigEndian.PutUint32(msg, uint32(i))
		if _, err := tx.Write(msg); err != nil {
			t.Fatalf("send datagram %d: %v", i, err)
		}
		if i%20 == 19 {
			time.Sleep(pause)
		}
	}
	sent.Store(true)
	seen := <-got
	return 1 - float64(len(seen))/float64(count)
}

func wantLossBetween(t *testing.T, what string, loss, lo, hi float64) {
	t.Helper()
	t.Logf("%s: %.1f%% of %d datagrams lost", what, 100*loss, lossProbe)
	if loss < lo || loss > hi {
		t.Fatalf("%s: lost %.1f%%, want %.0f%%-%.0f%%", what, 100*loss, 100*lo, 100*hi)
	}
}

// sendErrors sends count datagrams from nsPath to addr on a socket that
// asks for local errors (IP_RECVERR) and counts the sends that failed.
func sendErrors(t *testing.T, nsPath string, addr netip.Addr, count int) int {
	t.Helper()
	var c *net.UDPConn
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		var err error
		c, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 9)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	cerr := raw.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1) })
	if err = errors.Join(cerr, err); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range count {
		if _, err := c.Write(make([]byte, 64)); err != nil {
			failed++
		}
	}
	return failed
}

// impairTables lists the netdev nftables tables in a namespace.
func impairTables(t *testing.T, nsPath string) []string {
	t.Helper()
	nsFile, err := ns.GetNS(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer nsFile.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(nsFile.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyNetdev)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	slices.Sort(names)
	return names
}

func wantTables(t *testing.T, nsPath string, want ...string) {
	t.Helper()
	if got := impairTables(t, nsPath); !slices.Equal(got, want) {
		t.Fatalf("netdev tables %q, want %q", got, want)
	}
}

func mustImpair(t *testing.T, nsPath, ifName string, imp Impairment) {
	t.Helper()
	if err := Impair(nsPath, ifName, imp); err != nil {
		t.Fatalf("impair %s %+v: %v", ifName, imp, err)
	}
}

func mustClear(t *testing.T, nsPath, ifName string) {
	t.Helper()
	if err := ClearImpairment(nsPath, ifName); err != nil {
		t.Fatalf("clear %s: %v", ifName, err)
	}
}

// Loss without netem: an nftables egress rule drops the asked share,
// re-impairing replaces it, and Clear removes the table.
func TestImpairLossNftables(t *testing.T) {
	rootTest(t)
	withoutNetem(t)
	x, y, ya, _ := lossNets(t, 10)

	mustImpair(t, x, "xa", Impairment{LossPercent: 30})
	wantTables(t, x, "corebox_impair_xa")
	if q := rootQdiscOf(t, x, "xa"); q != nil {
		t.Fatalf("loss alone added qdisc %#v", q)
	}
	wantLossBetween(t, "loss 30%", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0.25, 0.35)

	// Nothing is lost on the way in: loss is egress only, like netem's.
	wantLossBetween(t, "loss 30%, Y to X", measureLoss(t, y, x, netip.MustParseAddr("10.235.10.1"), lossProbe, 64, time.Millisecond), 0, 0)

	mustImpair(t, x, "xa", Impairment{LossPercent: 100})
	wantTables(t, x, "corebox_impair_xa")
	wantLossBetween(t, "loss 100%", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 1, 1)
	// The sender cannot tell, as with netem: even a socket that asks for
	// local errors sees every datagram sent.
	if n := sendErrors(t, x, ya, 100); n != 0 {
		t.Fatalf("%d of 100 sends failed at 100%% loss: the sender can tell", n)
	}

	mustImpair(t, x, "xa", Impairment{LossPercent: 1})
	wantLossBetween(t, "loss 1%", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0.001, 0.025)

	mustClear(t, x, "xa")
	wantTables(t, x)
	wantLossBetween(t, "after Clear", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0, 0)
	mustClear(t, x, "xa") // clearing nothing is fine
	mustImpair(t, x, "xa", Impairment{})
	wantTables(t, x)
}

// Rate and loss together: tbf shapes what the nftables rule lets through.
func TestImpairLossAndRate(t *testing.T) {
	rootTest(t)
	withoutNetem(t)
	x, y, ya, _ := lossNets(t, 20)

	const rate = 8_000_000 // bits/s
	mustImpair(t, x, "xa", Impairment{LossPercent: 30, RateBitsPerSec: rate})
	wantTables(t, x, "corebox_impair_xa")
	if tbf, ok := rootQdiscOf(t, x, "xa").(*netlink.Tbf); !ok || tbf.Rate != rate/8 {
		t.Fatalf("root qdisc %#v: want tbf at %d bytes/s", rootQdiscOf(t, x, "xa"), rate/8)
	}
	// 20 datagrams of 64 bytes every 2ms is about 4 Mbit/s: under the
	// rate, so tbf drops nothing and the loss is the rule's alone.
	wantLossBetween(t, "loss 30% at 8 Mbit/s", measureLoss(t, x, y, ya, lossProbe, 64, 2*time.Millisecond), 0.25, 0.35)

	// TCP gets through, no faster than the rate.
	sink := sinkIn(t, y, ya)
	const size = 256 << 10
	took := timedSend(t, x, sink, size)
	t.Logf("256 KiB over TCP at 8 Mbit/s with 30%% loss: %v", took)
	if floor := time.Duration(float64(size*8) / rate * float64(time.Second) * 0.8); took < floor {
		t.Fatalf("256 KiB took %v, faster than the rate allows (%v)", took, floor)
	}

	mustClear(t, x, "xa")
	wantTables(t, x)
	if q := rootQdiscOf(t, x, "xa"); q != nil {
		t.Fatalf("root qdisc left after Clear: %#v", q)
	}
	if took := timedSend(t, x, sink, size); took > 250*time.Millisecond {
		t.Fatalf("256 KiB still took %v after Clear", took)
	}
	wantLossBetween(t, "after Clear", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0, 0)
}

// Interfaces of one namespace are impaired and cleared independently.
func TestImpairLossPerInterface(t *testing.T) {
	rootTest(t)
	withoutNetem(t)
	x, y, ya, yb := lossNets(t, 30)

	mustImpair(t, x, "xa", Impairment{LossPercent: 100})
	wantLossBetween(t, "xa at 100%", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 1, 1)
	wantLossBetween(t, "xb unimpaired", measureLoss(t, x, y, yb, lossProbe, 64, time.Millisecond), 0, 0)

	mustImpair(t, x, "xb", Impairment{LossPercent: 30})
	wantTables(t, x, "corebox_impair_xa", "corebox_impair_xb")
	wantLossBetween(t, "xb at 30%", measureLoss(t, x, y, yb, lossProbe, 64, time.Millisecond), 0.25, 0.35)

	mustClear(t, x, "xa")
	wantTables(t, x, "corebox_impair_xb")
	wantLossBetween(t, "xa cleared", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0, 0)
	wantLossBetween(t, "xb still at 30%", measureLoss(t, x, y, yb, lossProbe, 64, time.Millisecond), 0.25, 0.35)

	mustClear(t, x, "xb")
	wantTables(t, x)
	wantLossBetween(t, "xb cleared", measureLoss(t, x, y, yb, lossProbe, 64, time.Millisecond), 0, 0)
}

// Without netem, delay and jitter are refused with a typed error that
// names the missing kernel option, and the refusal changes nothing.
func TestImpairDelayWithoutNetem(t *testing.T) {
	rootTest(t)
	if kernelHasNetem(t) {
		t.Log("this kernel has netem: testing the refusal with netem hidden")
		withoutNetem(t)
	}
	x, y, ya, _ := lossNets(t, 40)
	mustImpair(t, x, "xa", Impairment{LossPercent: 30, RateBitsPerSec: 8_000_000})

	for _, imp := range []Impairment{
		{Delay: 20 * time.Millisecond},
		{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, LossPercent: 1, RateBitsPerSec: 100_000_000},
	} {
		err := Impair(x, "xa", imp)
		wantErrIs(t, err, ErrImpairmentUnsupported)
		for _, s := range []string{"CONFIG_NET_SCH_NETEM", "loss", "rate", "xa"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%+v: error %q does not mention %q", imp, err, s)
			}
		}
	}
	// The earlier impairment stands.
	wantTables(t, x, "corebox_impair_xa")
	if tbf, ok := rootQdiscOf(t, x, "xa").(*netlink.Tbf); !ok || tbf.Rate != 1_000_000 {
		t.Fatalf("root qdisc %#v: want the earlier tbf", rootQdiscOf(t, x, "xa"))
	}
	wantLossBetween(t, "earlier loss 30%", measureLoss(t, x, y, ya, lossProbe, 64, 2*time.Millisecond), 0.25, 0.35)
	mustClear(t, x, "xa")
	wantTables(t, x)
}

// When the probe cannot answer, Impair tries netem on the interface itself
// and falls back when the kernel has none.
func TestImpairNetemProbeFails(t *testing.T) {
	rootTest(t)
	if kernelHasNetem(t) {
		t.Skip("this kernel has netem: the fallback after a failed netem qdisc cannot happen")
	}
	saved := netemSupported
	netemSupported = func() (bool, error) { return false, errors.New("probe refused") }
	t.Cleanup(func() { netemSupported = saved })
	x, y, ya, _ := lossNets(t, 50)

	mustImpair(t, x, "xa", Impairment{LossPercent: 30})
	wantTables(t, x, "corebox_impair_xa")
	wantLossBetween(t, "loss 30% after a failed probe", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0.25, 0.35)

	// Here the netem attempt has already removed the old impairment: the
	// interface is left unimpaired.
	wantErrIs(t, Impair(x, "xa", Impairment{Delay: time.Millisecond}), ErrImpairmentUnsupported)
	wantTables(t, x)
	if q := rootQdiscOf(t, x, "xa"); q != nil {
		t.Fatalf("refused impairment left qdisc %#v", q)
	}
}

// Where the kernel has netem, loss stays in netem's qdisc with the delay.
func TestImpairLossNetem(t *testing.T) {
	rootTest(t)
	if !kernelHasNetem(t) {
		t.Skip("this kernel has no netem (CONFIG_NET_SCH_NETEM)")
	}
	x, y, ya, _ := lossNets(t, 60)
	mustImpair(t, x, "xa", Impairment{LossPercent: 30})
	if netem, ok := rootQdiscOf(t, x, "xa").(*netlink.Netem); !ok || netem.Loss == 0 {
		t.Fatalf("root qdisc %#v: want netem with loss", rootQdiscOf(t, x, "xa"))
	}
	wantTables(t, x)
	wantLossBetween(t, "netem loss 30%", measureLoss(t, x, y, ya, lossProbe, 64, time.Millisecond), 0.25, 0.35)

	// Switching to the nftables mechanism and back leaves only one.
	withoutNetem(t)
	mustImpair(t, x, "xa", Impairment{LossPercent: 30})
	wantTables(t, x, "corebox_impair_xa")
	if q := rootQdiscOf(t, x, "xa"); q != nil {
		t.Fatalf("netem qdisc left: %#v", q)
	}
	netemSupported = cachedNetemProbe
	mustImpair(t, x, "xa", Impairment{LossPercent: 30, Delay: time.Millisecond})
	wantTables(t, x)
	mustClear(t, x, "xa")
	if q := rootQdiscOf(t, x, "xa"); q != nil {
		t.Fatalf("root qdisc left after Clear: %#v", q)
	}
}

func TestImpairValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		imp   Impairment
		field string
	}{
		{"negative loss", Impairment{LossPercent: -0.1}, "loss"},
		{"loss over 100", Impairment{LossPercent: 100.01}, "loss"},
		{"NaN loss", Impairment{LossPercent: math.NaN()}, "loss"},
		{"infinite loss", Impairment{LossPercent: math.Inf(1)}, "loss"},
		{"negative infinite loss", Impairment{LossPercent: math.Inf(-1)}, "loss"},
		{"negative delay", Impairment{Delay: -time.Millisecond}, "delay"},
		{"delay too long", Impairment{Delay: maxDuration + time.Microsecond}, "delay"},
		{"negative jitter", Impairment{Delay: time.Millisecond, Jitter: -time.Millisecond}, "jitter"},
		{"jitter too long", Impairment{Delay: time.Millisecond, Jitter: maxDuration + time.Microsecond}, "jitter"},
		{"jitter without delay", Impairment{Jitter: time.Millisecond, LossPercent: 1}, "jitter"},
		{"rate under 8 bit/s", Impairment{RateBitsPerSec: 7, LossPercent: 1}, "rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Validation comes first: the namespace is never looked at.
			err := Impair("/nonexistent", "x", tc.imp)
			var ve *ValidationError
			if !errors.Is(err, ErrInvalidSpec) || !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("got %v, want an invalid %s", err, tc.field)
			}
		})
	}
	for _, imp := range []Impairment{
		{},
		{LossPercent: 100},
		{LossPercent: 0.0001},
		{RateBitsPerSec: 8},
		{Delay: maxDuration, Jitter: maxDuration},
	} {
		if err := imp.validate(); err != nil {
			t.Errorf("%+v refused: %v", imp, err)
		}
	}
}

func TestLossRule(t *testing.T) {
	for _, tc := range []struct {
		percent float64
		ppm     uint32
	}{
		{0, 0}, {1e-9, 1}, {0.0001, 1}, {0.5, 5000}, {30, 300_000}, {99.99995, 999_999}, {100, 1_000_000},
	} {
		if got := lossPPM(tc.percent); got != tc.ppm {
			t.Errorf("lossPPM(%v) = %d, want %d", tc.percent, got, tc.ppm)
		}
	}
	// All-out loss needs no random number.
	if ex := (nftLoss{ifName: "x", ppm: lossScale}).lossExprs(); len(ex) != 2 {
		t.Errorf("100%% loss rule %#v: want counter, immediate (and fwd)", ex)
	}
	ex := (nftLoss{ifName: "x", ppm: 300_000}).lossExprs()
	cmp, ok := ex[2].(*expr.Cmp)
	if len(ex) != 5 || !ok || cmp.Op != expr.CmpOpLt || binary.BigEndian.Uint32(cmp.Data) != 300_000 {
		t.Errorf("30%% loss rule %#v: want numgen, byteorder, cmp lt 300000 (big endian), counter, immediate (and fwd)", ex)
	}
	if txn := (nftLoss{ifName: "x", ppm: 1}).transaction(); txn.err != nil || len(txn.msgs) != 5 {
		t.Errorf("transaction: %d messages, %v; want 5: new, delete and new table, chain, rule", len(txn.msgs), txn.err)
	}
}
