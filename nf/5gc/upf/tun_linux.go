package upf

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// tunDevice is N6 as a kernel TUN device: the kernel routes the UE pools
// into it (downlink) and forwards what we write out of the N6 interface
// (uplink). Closing it deletes the interface and its routes.
type tunDevice struct {
	name string
	file *os.File
}

// openTUN creates the TUN device name, sets its MTU, brings it up, routes
// the UE pools into it and turns on IPv4 forwarding (in the instance's
// network namespace). Needs CAP_NET_ADMIN and /dev/net/tun.
func openTUN(name string, mtu int, pools []netip.Prefix) (*tunDevice, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("n6 tun: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("n6 tun %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("n6 tun %q: TUNSETIFF: %w (the upf needs NET_ADMIN)", name, err)
	}
	// A non-blocking fd goes to Go's poller, so Close wakes a blocked Read.
	t := &tunDevice{name: ifr.Name(), file: os.NewFile(uintptr(fd), "/dev/net/tun")}
	if err := t.configure(mtu, pools); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *tunDevice) configure(mtu int, pools []netip.Prefix) error {
	link, err := netlink.LinkByName(t.name)
	if err != nil {
		return fmt.Errorf("n6 tun %s: %w", t.name, err)
	}
	if err := netlink.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("n6 tun %s: mtu %d: %w", t.name, mtu, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("n6 tun %s: up: %w", t.name, err)
	}
	for _, p := range pools {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: prefixNet(p), Scope: netlink.SCOPE_LINK}
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("n6 tun %s: route %s: %w", t.name, p, err)
		}
	}
	return enableForwarding()
}

// enableForwarding turns on IPv4 forwarding unless it is on already.
func enableForwarding() error {
	if cur, err := os.ReadFile(ipForwardPath); err == nil && bytes.Equal(bytes.TrimSpace(cur), []byte("1")) {
		return nil
	}
	if err := os.WriteFile(ipForwardPath, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("n6: enable IPv4 forwarding: %w", err)
	}
	return nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Name implements n6Device.
func (t *tunDevice) Name() string { return t.name }

// ReadPacket implements n6Device.
func (t *tunDevice) ReadPacket(buf []byte) (int, error) {
	n, err := t.file.Read(buf)
	if errors.Is(err, os.ErrClosed) {
		return 0, fmt.Errorf("n6 tun %s: %w", t.name, net.ErrClosed)
	}
	if err != nil {
		return 0, fmt.Errorf("n6 tun %s: read: %w", t.name, err)
	}
	return n, nil
}

// WritePacket implements n6Device.
func (t *tunDevice) WritePacket(pkt []byte) error {
	if _, err := t.file.Write(pkt); err != nil {
		return fmt.Errorf("n6 tun %s: write: %w", t.name, err)
	}
	return nil
}

// Close implements n6Device; the kernel deletes the interface.
func (t *tunDevice) Close() error {
	if err := t.file.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("n6 tun %s: close: %w", t.name, err)
	}
	return nil
}
