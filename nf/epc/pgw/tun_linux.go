package pgw

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// tunSpec is what an APN's TUN device needs.
type tunSpec struct {
	name, network string
	mtu           int
	pool          netip.Prefix
	gateway       netip.Addr // invalid: the network is on-link
	table         int        // routing table of the pool's egress
}

// tunDevice is an APN's SGi side as a single-queue TUN device. The kernel
// routes the pool into it (downlink); what we write (uplink) egresses on
// the APN's own network through a policy rule "from POOL lookup TABLE",
// whose table has the pool back into the device and a default route out
// of the network's interface. The UPF's multi-queue TUN device is not
// exported; this is the small single-queue equivalent.
type tunDevice struct {
	name   string
	file   *os.File
	closed atomic.Bool
	rule   *netlink.Rule
	routes []*netlink.Route // in table, removed on close
}

// openTUN creates and configures the device (needs CAP_NET_ADMIN and
// /dev/net/tun, in the instance's network namespace).
func openTUN(s tunSpec) (Device, error) {
	if s.table == 0 {
		s.table = 1000
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sgi tun: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(s.name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sgi tun %q: %w", s.name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sgi tun %q: TUNSETIFF: %w (the pgw needs NET_ADMIN)", s.name, err)
	}
	// Non-blocking: the file goes to Go's poller, so Close wakes a read.
	t := &tunDevice{name: ifr.Name(), file: os.NewFile(uintptr(fd), "/dev/net/tun")}
	if err := t.configure(s); err != nil {
		return nil, errors.Join(err, t.Close())
	}
	return t, nil
}

func (t *tunDevice) configure(s tunSpec) error {
	link, err := netlink.LinkByName(t.name)
	if err != nil {
		return fmt.Errorf("sgi tun %s: %w", t.name, err)
	}
	// IPv4 PDN connections only: no router solicitations into the device.
	_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+t.name+"/disable_ipv6", []byte("1\n"), 0o644) // absent without IPv6
	if err := netlink.LinkSetMTU(link, s.mtu); err != nil {
		return fmt.Errorf("sgi tun %s: mtu %d: %w", t.name, s.mtu, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("sgi tun %s: up: %w", t.name, err)
	}
	into := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: prefixNet(s.pool), Scope: netlink.SCOPE_LINK}
	if err := netlink.RouteReplace(into); err != nil {
		return fmt.Errorf("sgi tun %s: route %s: %w", t.name, s.pool, err)
	}
	if err := t.egress(s, link.Attrs().Index); err != nil {
		return err
	}
	if err := noRedirects(t.name); err != nil {
		return err
	}
	return enableForwarding()
}

// noRedirects stops ICMP redirects for UE-to-UE packets, which leave
// through the device they came in by: a UE's kernel would take the
// redirect and send that peer's packets off its bearer. The kernel
// sends them when "all" or the device says so, hence both.
func noRedirects(dev string) error {
	for _, conf := range []string{"all", dev} {
		path := "/proc/sys/net/ipv4/conf/" + conf + "/send_redirects"
		if cur, err := os.ReadFile(path); err == nil && bytes.Equal(bytes.TrimSpace(cur), []byte("0")) {
			continue
		}
		if err := os.WriteFile(path, []byte("0\n"), 0o644); err != nil {
			return fmt.Errorf("sgi tun %s: turn off ICMP redirects (set sysctls net.ipv4.conf.all.send_redirects and net.ipv4.conf.default.send_redirects to 0; %s is 1): %w", dev, conf, err)
		}
	}
	return nil
}

// egress routes the pool's traffic out of the network's interface.
func (t *tunDevice) egress(s tunSpec, tunIndex int) error {
	out, err := netlink.LinkByName(s.network)
	if err != nil {
		return fmt.Errorf("sgi tun %s: egress interface %q (named after the network): %w", t.name, s.network, err)
	}
	back := &netlink.Route{LinkIndex: tunIndex, Dst: prefixNet(s.pool), Scope: netlink.SCOPE_LINK, Table: s.table}
	def := &netlink.Route{LinkIndex: out.Attrs().Index, Dst: prefixNet(netip.MustParsePrefix("0.0.0.0/0")), Table: s.table}
	if s.gateway.IsValid() {
		def.Gw = s.gateway.AsSlice()
	} else {
		def.Scope = netlink.SCOPE_LINK
	}
	for _, r := range []*netlink.Route{back, def} {
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("sgi tun %s: route %s in table %d: %w", t.name, r.Dst, s.table, err)
		}
		t.routes = append(t.routes, r)
	}
	rule := netlink.NewRule()
	rule.Src = prefixNet(s.pool)
	rule.Table = s.table
	rule.Priority = s.table
	if err := netlink.RuleAdd(rule); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("sgi tun %s: rule from %s lookup %d: %w", t.name, s.pool, s.table, err)
	}
	t.rule = rule
	return nil
}

// enableForwarding turns on IPv4 forwarding unless it is on already.
func enableForwarding() error {
	if cur, err := os.ReadFile(ipForwardPath); err == nil && bytes.Equal(bytes.TrimSpace(cur), []byte("1")) {
		return nil
	}
	if err := os.WriteFile(ipForwardPath, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("sgi: enable IPv4 forwarding: %w", err)
	}
	return nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Name implements Device.
func (t *tunDevice) Name() string { return t.name }

// ReadBatch implements Device: one packet per call (a TUN device has no
// batch read).
func (t *tunDevice) ReadBatch(bufs [][]byte, sizes []int, off int) (int, error) {
	n, err := t.file.Read(bufs[0][off:])
	if err != nil {
		if t.closed.Load() || errors.Is(err, os.ErrClosed) {
			return 0, fmt.Errorf("sgi tun %s: %w", t.name, net.ErrClosed)
		}
		return 0, fmt.Errorf("sgi tun %s: read: %w", t.name, err)
	}
	sizes[0] = n
	return 1, nil
}

// WritePacket implements Device.
func (t *tunDevice) WritePacket(pkt []byte) error {
	if _, err := t.file.Write(pkt); err != nil {
		if t.closed.Load() {
			return fmt.Errorf("sgi tun %s: write: %w", t.name, net.ErrClosed)
		}
		return fmt.Errorf("sgi tun %s: write: %w", t.name, err)
	}
	return nil
}

// Close implements Device: the rule and the table's routes go, and the
// kernel deletes the interface (and the routes through it) with its fd.
func (t *tunDevice) Close() error {
	t.closed.Store(true)
	var errs []error
	if t.rule != nil {
		if err := netlink.RuleDel(t.rule); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("sgi tun %s: delete rule: %w", t.name, err))
		}
	}
	for _, r := range t.routes {
		if err := netlink.RouteDel(r); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("sgi tun %s: delete route %s: %w", t.name, r.Dst, err))
		}
	}
	if err := t.file.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		errs = append(errs, fmt.Errorf("sgi tun %s: close: %w", t.name, err))
	}
	return errors.Join(errs...)
}
