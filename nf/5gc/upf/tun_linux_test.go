package upf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TestTUNDevice creates the N6 TUN device in a network namespace of its
// own (so the host is untouched), sends a packet through it both ways via
// the UE pool route, closes it and checks nothing is left.
func TestTUNDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for a network namespace, /dev/net/tun): run as root to test the TUN device")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun: %v", err)
	}
	hostForward, _ := os.ReadFile(ipForwardPath)
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, and its namespace, die with the goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		errc <- tunRoundTrip()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(ipForwardPath); !bytes.Equal(now, hostForward) {
		t.Fatalf("host ip_forward changed from %q to %q", hostForward, now)
	}
	if _, err := net.InterfaceByName("upft0"); err == nil {
		t.Fatal("upft0 exists in the host namespace")
	}
}

// tunQueues is how many queues the device tests open.
const tunQueues = 2

// tunRoundTrip runs on a thread inside a fresh network namespace.
func tunRoundTrip() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return err
	}
	dn := netip.MustParseAddr("192.0.2.1")
	if err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: prefixNet(netip.PrefixFrom(dn, 32))}); err != nil {
		return err
	}
	pool := netip.MustParsePrefix("10.45.0.0/16")
	dev, err := openTUN("upft0", 1300, tunQueues, []netip.Prefix{pool})
	if err != nil {
		return err
	}
	defer dev.Close()
	if dev.Queues() != tunQueues {
		return fmt.Errorf("%d queues, want %d", dev.Queues(), tunQueues)
	}
	if err := checkTUN(pool); err != nil {
		return err
	}
	sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: dn.AsSlice(), Port: 7})
	if err != nil {
		return err
	}
	defer sock.Close()
	ue := netip.MustParseAddr("10.45.0.7")
	// Uplink: a packet written to any queue is routed to its destination.
	if err := dev.Queue(tunQueues - 1).WritePacket(ipv4UDP(ue, dn, 100, 1)); err != nil {
		return err
	}
	if err := sock.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	buf := make([]byte, 200)
	k, from, err := sock.ReadFromUDPAddrPort(buf)
	if err != nil {
		return fmt.Errorf("uplink packet not delivered: %w", err)
	}
	if from.Addr() != ue || k != 72 {
		return fmt.Errorf("uplink packet from %s, %d octets", from, k)
	}
	// Downlink: packets the namespace routes to the UE pool come out of
	// the device, the kernel spreading the flows over the queues.
	const flows = 32
	for i := range flows {
		to := netip.AddrPortFrom(ue, uint16(41000+i))
		if _, err := sock.WriteToUDPAddrPort([]byte("downlink"), to); err != nil {
			return err
		}
	}
	byQueue, err := readQueues(dev, flows, 5*time.Second) // closes dev
	if err != nil {
		return err
	}
	got := 0
	for q, pkts := range byQueue {
		if len(pkts) == 0 {
			return fmt.Errorf("queue %d got none of %d flows: %v", q, flows, byQueue)
		}
		for _, pkt := range pkts {
			if len(pkt) < 28 || netip.AddrFrom4([4]byte(pkt[16:20])) != ue || string(pkt[28:]) != "downlink" {
				return fmt.Errorf("read from queue %d: %x", q, pkt)
			}
			got++
		}
	}
	if got != flows {
		return fmt.Errorf("%d packets read, want %d", got, flows)
	}
	ring := newPacketRing(1)
	if _, err := dev.Queue(0).ReadBatch(ring.bufs, ring.sizes, 0); !isClosed(err) {
		return fmt.Errorf("read after close: %v", err)
	}
	return checkGone(pool)
}

// readQueues reads IPv4 packets from every queue of dev, one reader each,
// until want have come or d has passed, then closes dev (which ends the
// readers) and returns the packets by queue.
func readQueues(dev *tunDevice, want int, d time.Duration) ([][][]byte, error) {
	type pkt struct {
		queue int
		b     []byte
	}
	ch := make(chan pkt, want)
	done := make(chan struct{})
	errc := make(chan error, dev.Queues())
	for q := range dev.Queues() {
		go func() {
			ring := newPacketRing(8)
			for {
				k, err := dev.Queue(q).ReadBatch(ring.bufs, ring.sizes, 0)
				if err != nil {
					errc <- err
					return
				}
				for i := range k {
					b := ring.bufs[i][:ring.sizes[i]]
					// Skip what the kernel sends on its own (IPv6 router solicitations).
					if len(b) < 20 || b[0]>>4 != 4 {
						continue
					}
					select {
					case ch <- pkt{q, append([]byte(nil), b...)}:
					case <-done:
					}
				}
			}
		}()
	}
	out := make([][][]byte, dev.Queues())
	timeout := time.After(d)
	var err error
	for n := 0; n < want && err == nil; n++ {
		select {
		case p := <-ch:
			out[p.queue] = append(out[p.queue], p.b)
		case <-timeout:
			err = fmt.Errorf("%d of %d packets read from the TUN device", n, want)
		}
	}
	close(done)
	if cerr := dev.Close(); cerr != nil && err == nil {
		err = cerr
	}
	for range dev.Queues() {
		if rerr := <-errc; !isClosed(rerr) && err == nil {
			err = fmt.Errorf("reader: %w", rerr)
		}
	}
	return out, err
}

func checkTUN(pool netip.Prefix) error {
	link, err := netlink.LinkByName("upft0")
	if err != nil {
		return err
	}
	if a := link.Attrs(); a.MTU != 1300 || a.Flags&net.FlagUp == 0 {
		return fmt.Errorf("upft0: mtu %d flags %v", a.MTU, a.Flags)
	}
	routes, err := netlink.RouteList(link, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	found := false
	for _, r := range routes {
		found = found || (r.Dst != nil && r.Dst.String() == pool.String())
	}
	if !found {
		return fmt.Errorf("no route %s dev upft0 in %v", pool, routes)
	}
	if fwd, err := os.ReadFile(ipForwardPath); err != nil || string(bytes.TrimSpace(fwd)) != "1" {
		return fmt.Errorf("ip_forward %q %v", fwd, err)
	}
	return nil
}

func checkGone(pool netip.Prefix) error {
	if _, err := netlink.LinkByName("upft0"); err == nil {
		return errors.New("upft0 still exists after Close")
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if r.Dst != nil && r.Dst.String() == pool.String() {
			return fmt.Errorf("route %v left behind", r)
		}
	}
	return nil
}

// netnsLab is what TestTUNEndToEnd builds inside its namespace.
type netnsLab struct {
	gnb *gnb
	smf *smf
	dn  *net.UDPConn
	upf *NF
}

// TestTUNEndToEnd runs the whole UPF with a real TUN N6 in a network
// namespace of its own: a gNB's uplink packet reaches a data-network
// socket through the kernel, and its reply comes back to the gNB.
func TestTUNEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for a network namespace, /dev/net/tun): run as root to test N6 over TUN")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun: %v", err)
	}
	built := make(chan netnsLab, 1)
	runErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		runtime.LockOSThread() // never unlocked: see TestTUNDevice
		l, err := buildNetnsLab()
		if err != nil {
			runErr <- err
			return
		}
		built <- l
		runErr <- l.upf.Run(ctx) // binds N4 and N3 and opens the TUN in the namespace
	}()
	var l netnsLab
	select {
	case l = <-built:
	case err := <-runErr:
		t.Fatal(err)
	}
	defer l.dn.Close()
	runEndpoint(t, l.gnb.ep)
	l.smf.run(t)
	nfkittest.Eventually(t, wait, "upf ready", func() bool { ok, _ := l.upf.Ready(); return ok })
	l.smf.associate(t, l.upf.Addrs().PFCP)
	lab := &lab{upf: l.upf, gnb: l.gnb, n3: l.upf.Addrs().GTPU, smf: l.smf}
	// UEs of consecutive addresses, all behind the one gNB: their uplink
	// goes to alternate TUN queues, so their downlink comes back on both.
	ues := []netip.Addr{ueAddr, ueAddr.Next(), ueAddr.Next().Next(), ueAddr.Next().Next().Next()}
	teids := make([]uint32, len(ues))
	for i, ue := range ues {
		l.gnb.listen(t, gnbTEID+uint32(i))
		s := pduSession(ue)
		s.FARs[1].Forwarding = towardGNB(gnbTEID + uint32(i))
		_, teids[i] = lab.establish(t, s)
	}
	dn := netip.MustParseAddr("192.0.2.1")
	for i, ue := range ues {
		lab.uplink(t, teids[i], ipv4UDP(ue, dn, 100, uint16(i)))
	}
	if err := l.dn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 200)
	for range ues {
		k, from, err := l.dn.ReadFromUDPAddrPort(buf)
		if err != nil || k != 72 {
			t.Fatalf("DN got %d octets from %s: %v", k, from, err)
		}
		if _, err := l.dn.WriteToUDPAddrPort([]byte("reply"), from); err != nil {
			t.Fatal(err)
		}
	}
	got := map[uint32]bool{}
	for range ues {
		g := recv(t, l.gnb.rx, "reply at the gNB")
		if g.pdu.QFI != qfi || len(g.payload) != 33 || string(g.payload[28:]) != "reply" {
			t.Fatalf("gNB got TEID %#x %+v %x", g.teid, g.pdu, g.payload)
		}
		got[g.teid] = true
	}
	if len(got) != len(ues) {
		t.Fatalf("replies on TEIDs %v", got)
	}
	for i, dl := range l.upf.dlLanes { // counted just after the send
		nfkittest.Eventually(t, wait, fmt.Sprintf("downlink worker %d sending", i), func() bool {
			return dl.st.dir[dirDL].txPackets.Load() > 0
		})
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// buildNetnsLab enters a new network namespace (on the calling, locked
// thread) and binds a gNB, a DN socket and the UPF's config in it.
func buildNetnsLab() (l netnsLab, err error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return netnsLab{}, fmt.Errorf("unshare: %w", err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return netnsLab{}, err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return netnsLab{}, err
	}
	dnAddr := netip.MustParseAddr("192.0.2.1")
	if err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: prefixNet(netip.PrefixFrom(dnAddr, 32))}); err != nil {
		return netnsLab{}, err
	}
	cfg := testConfig()
	cfg.N6 = N6Config{Mode: N6ModeTUN, TUNName: "upft1", MTU: 1400, Network: "n6"}
	cfg.Workers = tunQueues
	if l.upf, err = New(cfg, nfkit.WithLogger(nfkittest.Quiet())); err != nil {
		return l, err
	}
	if l.dn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: dnAddr.AsSlice(), Port: 7}); err != nil {
		return l, err
	}
	if l.gnb, err = newGNB(); err != nil {
		l.dn.Close()
		return l, err
	}
	if l.smf, err = newSMF(); err != nil {
		l.dn.Close()
		l.gnb.ep.Close()
		return l, err
	}
	l.upf.peerPort = l.gnb.port()
	return l, nil
}
