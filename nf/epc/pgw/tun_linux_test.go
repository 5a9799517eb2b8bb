package pgw

import (
	"bytes"
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
)

// TestTUNDevice opens an APN's TUN device in a network namespace of its
// own (the host is untouched): the pool is routed into it, what is
// written egresses on the network's interface through the policy rule,
// and closing it removes the device, the rule and the table's routes.
func TestTUNDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for a network namespace, /dev/net/tun): run as root to test the TUN device")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun: %v", err)
	}
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
	if _, err := net.InterfaceByName("pgwt0"); err == nil {
		t.Fatal("pgwt0 exists in the host namespace")
	}
}

// tunRoundTrip runs on a thread inside a fresh network namespace.
func tunRoundTrip() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return err
	}
	local := netip.MustParseAddr("192.0.2.1")
	if err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: prefixNet(netip.PrefixFrom(local, 32))}); err != nil {
		return err
	}
	// The APN's network: an interface named after it, here a TUN device
	// the test reads what egresses from.
	sgi, err := openTUN(tunSpec{name: "sgi", network: "lo", mtu: 1500, pool: netip.MustParsePrefix("192.0.2.128/25"), table: 1235})
	if err != nil {
		return err
	}
	defer sgi.Close()
	pool := netip.MustParsePrefix("10.46.0.0/16")
	dev, err := openTUN(tunSpec{name: "pgwt0", network: "sgi", mtu: 1300, pool: pool, table: 1234})
	if err != nil {
		return err
	}
	defer dev.Close()
	for _, conf := range []string{"all", "pgwt0"} {
		// UE-to-UE packets leave by the device they came in by: no redirects.
		if b, err := os.ReadFile("/proc/sys/net/ipv4/conf/" + conf + "/send_redirects"); err != nil || string(b) != "0\n" {
			return fmt.Errorf("send_redirects of %s is %q (%v), want 0", conf, b, err)
		}
	}
	if err := tunDownlink(dev, local); err != nil {
		return err
	}
	if err := tunUplink(dev, sgi); err != nil {
		return err
	}
	if err := dev.Close(); err != nil {
		return err
	}
	return tunGone(pool)
}

// tunDownlink sends to a UE address and reads the packet from the device.
func tunDownlink(dev Device, local netip.Addr) error {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.WriteToUDPAddrPort([]byte("down"), netip.MustParseAddrPort("10.46.0.7:9")); err != nil {
		return err
	}
	bufs, sizes := [][]byte{make([]byte, 2000)}, []int{0}
	done := make(chan error, 1)
	go func() {
		for {
			n, err := dev.ReadBatch(bufs, sizes, 16)
			if err != nil || (n == 1 && bytes.HasSuffix(bufs[0][16:16+sizes[0]], []byte("down"))) {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("downlink packet never reached the device")
	}
}

// tunUplink writes a packet from the pool to a remote address: the rule
// sends it out of the network's interface, where the test reads it.
func tunUplink(dev, sgi Device) error {
	pkt := make([]byte, 28)
	pkt[0], pkt[2], pkt[3], pkt[8], pkt[9] = 0x45, 0, 28, 64, 17
	copy(pkt[12:], []byte{10, 46, 0, 7})
	copy(pkt[16:], []byte{198, 51, 100, 1})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(pkt[i])<<8 | uint32(pkt[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	pkt[10], pkt[11] = byte(^sum>>8), byte(^sum)
	if err := dev.WritePacket(pkt); err != nil {
		return err
	}
	bufs, sizes := [][]byte{make([]byte, 2000)}, []int{0}
	done := make(chan error, 1)
	go func() {
		for {
			_, err := sgi.ReadBatch(bufs, sizes, 0)
			got := bufs[0][:sizes[0]]
			if err != nil || (len(got) == len(pkt) && bytes.Equal(got[12:20], pkt[12:20])) {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("uplink packet did not leave through the network's interface")
	}
}

// tunGone checks that Close left no device, rule or table route behind.
func tunGone(pool netip.Prefix) error {
	if _, err := netlink.LinkByName("pgwt0"); err == nil {
		return errors.New("pgwt0 still exists")
	}
	rules, err := netlink.RuleList(unix.AF_INET)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Table == 1234 {
			return fmt.Errorf("rule %v still there", r)
		}
	}
	routes, err := netlink.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: 1234}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return err
	}
	if len(routes) != 0 {
		return fmt.Errorf("table 1234 still has %v", routes)
	}
	return nil
}
