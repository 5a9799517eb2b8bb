//go:build linux

package ue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
)

// tunPlane puts every session address on one TUN device, with a source
// rule per address (from ADDR lookup TABLE) and a default route into the
// device in TABLE, so sockets bound to a session address use the session.
type tunPlane struct {
	sim *NF
	cfg DataPlaneConfig
	*routes
	dev  atomic.Pointer[os.File]
	link netlink.Link
	on   atomic.Bool

	mu    sync.Mutex
	addrs map[netip.Addr]bool // addresses configured on the device
}

func newTUNPlane(sim *NF) dataPlane {
	return &tunPlane{sim: sim, cfg: sim.cfg.DataPlane, routes: newRoutes(), addrs: map[netip.Addr]bool{}}
}

func (t *tunPlane) ready() bool { return t.on.Load() }

func (t *tunPlane) run(ctx context.Context) error {
	f, err := openTUN(t.cfg.TunName)
	if err != nil {
		return fmt.Errorf("data plane: %w (tun mode needs NET_ADMIN and /dev/net/tun; memory mode needs neither)", err)
	}
	if err := t.setUp(); err != nil {
		_ = f.Close()
		return fmt.Errorf("data plane: %w", err)
	}
	t.dev.Store(f)
	t.on.Store(true)
	t.sim.log.Info("tun device up", "name", t.cfg.TunName, "table", t.cfg.Table)
	stop := context.AfterFunc(ctx, func() { _ = f.Close() })
	defer stop()
	t.readLoop(ctx, f)
	t.on.Store(false)
	t.cleanUp()
	return nil
}

// openTUN creates (or attaches to) a TUN device without packet info.
func openTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err == nil {
		// Non-blocking, so the runtime poller serves it and Close ends Read.
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("create tun %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun"), nil
}

// setUp sets MTU, brings the link up, installs the table's default route
// and sets the device's sysctls.
func (t *tunPlane) setUp() error {
	link, err := netlink.LinkByName(t.cfg.TunName)
	if err != nil {
		return fmt.Errorf("find %s: %w", t.cfg.TunName, err)
	}
	if err := netlink.LinkSetMTU(link, t.cfg.MTU); err != nil {
		return fmt.Errorf("mtu of %s: %w", t.cfg.TunName, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", t.cfg.TunName, err)
	}
	if err := t.tableRoute(link); err != nil {
		return err
	}
	// Replies come in from addresses routed elsewhere: no reverse-path
	// check. No IPv6 either: sessions are IPv4 and the kernel's own
	// IPv6 chatter would only be dropped.
	for path, v := range map[string]string{
		"/proc/sys/net/ipv4/conf/" + t.cfg.TunName + "/rp_filter":    "0",
		"/proc/sys/net/ipv6/conf/" + t.cfg.TunName + "/disable_ipv6": "1",
	} {
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			t.sim.log.Warn("could not set a sysctl of the tun device", "path", path, "err", err)
		}
	}
	t.link = link
	return nil
}

// tableRoute (re)installs the sessions' default route. The kernel flushes
// a device's routes when its last IPv4 address goes (every UE
// deregistered), so each new address puts it back.
func (t *tunPlane) tableRoute(link netlink.Link) error {
	all := &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}
	r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: all, Table: t.cfg.Table, Scope: netlink.SCOPE_LINK}
	if err := netlink.RouteReplace(r); err != nil {
		return fmt.Errorf("default route of table %d: %w", t.cfg.Table, err)
	}
	return nil
}

func (t *tunPlane) rule(addr netip.Addr) *netlink.Rule {
	r := netlink.NewRule()
	r.Src = &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(32, 32)}
	r.Table = t.cfg.Table
	r.Priority = t.cfg.RulePriority
	return r
}

func (t *tunPlane) add(u *UE, session uint8, addr netip.Addr) error {
	if !t.on.Load() {
		return errors.New("tun device not up")
	}
	if err := t.routes.add(u, session, addr); err != nil {
		return err
	}
	ipn := &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(32, 32)}
	if err := netlink.AddrReplace(t.link, &netlink.Addr{IPNet: ipn}); err != nil {
		t.routes.remove(addr)
		return fmt.Errorf("add %s to %s: %w", addr, t.cfg.TunName, err)
	}
	if err := netlink.RuleAdd(t.rule(addr)); err != nil && !errors.Is(err, syscall.EEXIST) {
		t.routes.remove(addr)
		_ = netlink.AddrDel(t.link, &netlink.Addr{IPNet: ipn})
		return fmt.Errorf("rule from %s lookup %d: %w", addr, t.cfg.Table, err)
	}
	if err := t.tableRoute(t.link); err != nil {
		t.routes.remove(addr)
		t.unconfigure(addr)
		return err
	}
	t.mu.Lock()
	t.addrs[addr] = true
	t.mu.Unlock()
	return nil
}

func (t *tunPlane) remove(addr netip.Addr) {
	t.routes.remove(addr)
	t.mu.Lock()
	had := t.addrs[addr]
	delete(t.addrs, addr)
	t.mu.Unlock()
	if had {
		t.unconfigure(addr)
	}
}

func (t *tunPlane) unconfigure(addr netip.Addr) {
	if err := netlink.RuleDel(t.rule(addr)); err != nil && !errors.Is(err, syscall.ENOENT) {
		t.sim.log.Warn("delete rule", "addr", addr.String(), "err", err)
	}
	ipn := &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(32, 32)}
	if err := netlink.AddrDel(t.link, &netlink.Addr{IPNet: ipn}); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) &&
		!errors.Is(err, syscall.ENODEV) {
		t.sim.log.Debug("delete address", "addr", addr.String(), "err", err)
	}
}

// cleanUp removes the rules the device's end does not take with it.
func (t *tunPlane) cleanUp() {
	t.mu.Lock()
	addrs := t.addrs
	t.addrs = map[netip.Addr]bool{}
	t.mu.Unlock()
	for a := range addrs {
		t.unconfigure(a)
	}
}

// readLoop takes packets programs sent from session addresses and sends
// them up their session; an idle UE is asked for a Service Request.
func (t *tunPlane) readLoop(ctx context.Context, f *os.File) {
	buf := make([]byte, 65536)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, os.ErrClosed) {
				t.sim.log.Error("tun read", "err", err)
			}
			return
		}
		src, ok := ippkt.Source4(buf[:n])
		rt := t.routes.get(src)
		if !ok || rt == nil {
			t.sim.m.dropped.WithLabelValues("no_session").Inc()
			continue
		}
		if !rt.up.Load() {
			t.sim.m.dropped.WithLabelValues("idle").Inc()
			rt.ue.post(event{kind: evUplinkData})
			continue
		}
		if err := t.sim.uplink(rt.ue, rt.session, buf[:n]); err != nil {
			t.sim.log.Debug("uplink", "err", err)
		}
	}
}

func (t *tunPlane) deliver(pkt []byte) {
	f := t.dev.Load()
	if f == nil {
		t.sim.m.dropped.WithLabelValues("no_device").Inc()
		return
	}
	if _, err := f.Write(pkt); err != nil {
		t.sim.m.dropped.WithLabelValues("device_error").Inc()
		t.sim.log.Debug("tun write", "err", err)
	}
}

// echo sends through a real UDP socket bound to the session address.
func (t *tunPlane) echo(ctx context.Context, _ *UE, _ uint8, addr netip.Addr, p echoParams) (simapi.TrafficOutcome, error) {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return simapi.TrafficOutcome{}, fmt.Errorf("bind %s: %w", addr, err)
	}
	replies := make(chan echoReply, min(p.count, 1024))
	var wg sync.WaitGroup
	wg.Go(func() { readReplies(c, p.target, replies) })
	out, sendErr := measure(ctx, p, func(payload []byte) error {
		_, err := c.WriteToUDPAddrPort(payload, p.target)
		return err
	}, replies)
	_ = c.Close() // ends readReplies; a close error changes nothing measured
	wg.Wait()
	return out, sendErr
}

func readReplies(c *net.UDPConn, from netip.AddrPort, replies chan<- echoReply) {
	buf := make([]byte, 65536)
	for {
		n, src, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if netip.AddrPortFrom(src.Addr().Unmap(), src.Port()) != from {
			continue
		}
		select {
		case replies <- echoReply{payload: append([]byte(nil), buf[:n]...), at: time.Now()}:
		default:
		}
	}
}
