package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/platform/container"
)

// SetRoutes implements Backend. The instance's network namespace is found
// through its process; the routes go in its main table.
func (l *Local) SetRoutes(ctx context.Context, instance string, routes []Route) error {
	want, err := routeTable(routes)
	if err != nil {
		return fmt.Errorf("routes of %s: %w", instance, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := l.Node.Inspect(instance)
	if err != nil {
		return notFound(err)
	}
	if c.Status != container.StatusRunning || c.Pid <= 0 {
		return fmt.Errorf("routes of %s: it is not running (status %s)", instance, c.Status)
	}
	// The pid is checked again once its namespace is held open: a process
	// that ended meanwhile may have left its number to another.
	still := func() error {
		again, err := l.Node.Inspect(instance)
		if err != nil || again.Pid != c.Pid || again.Status != container.StatusRunning {
			return fmt.Errorf("it stopped or restarted meanwhile (was pid %d)", c.Pid)
		}
		return nil
	}
	if _, err := setRoutesOfPid(c.Pid, still, want); err != nil {
		return fmt.Errorf("routes of %s: %w", instance, err)
	}
	return nil
}

// routeTable checks routes and indexes them by destination (masked).
func routeTable(routes []Route) (map[netip.Prefix]netip.Addr, error) {
	want := make(map[netip.Prefix]netip.Addr, len(routes))
	for _, r := range routes {
		dst := r.Dst.Masked()
		switch {
		case !dst.IsValid() || !r.Via.IsValid():
			return nil, fmt.Errorf("route %s: destination and gateway are required", r)
		case dst.Addr().Is4() != r.Via.Unmap().Is4():
			return nil, fmt.Errorf("route %s: destination and gateway are of different IP versions", r)
		}
		if via, dup := want[dst]; dup && via != r.Via.Unmap() {
			return nil, fmt.Errorf("route %s: %s is routed twice (also via %s)", r, dst, via)
		}
		want[dst] = r.Via.Unmap()
	}
	return want, nil
}

// setRoutesOfPid syncs the routes of the network namespace process pid is
// in, once still confirms pid is still the instance's. It refuses the
// daemon's own namespace: the host's routes are never ours to change.
// It returns the number of routes written.
func setRoutesOfPid(pid int, still func() error, want map[netip.Prefix]netip.Addr) (int, error) {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return 0, fmt.Errorf("network namespace of pid %d: %w", pid, err)
	}
	defer ns.Close()
	// An unlocked goroutine's thread is always in the daemon's namespace:
	// threads that entered another one are locked to their goroutine.
	self, err := netns.Get()
	if err != nil {
		return 0, fmt.Errorf("own network namespace: %w", err)
	}
	defer self.Close()
	if ns.Equal(self) {
		return 0, fmt.Errorf("pid %d is in the daemon's own network namespace", pid)
	}
	if still != nil {
		if err := still(); err != nil {
			return 0, err
		}
	}
	return syncRoutes(ns, want)
}

// syncRoutes makes the main table of namespace ns hold exactly want among
// its RouteProtocol routes, writing only what differs, and returns how
// many routes it wrote. Every difference is tried; the errors are joined.
func syncRoutes(ns netns.NsHandle, want map[netip.Prefix]netip.Addr) (int, error) {
	nh, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, fmt.Errorf("netlink: %w", err)
	}
	defer nh.Close()
	h := netlinksafe.Handle{Handle: nh}
	owned, err := h.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: RouteProtocol},
		netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return 0, fmt.Errorf("list routes: %w", err)
	}
	writes := 0
	var errs []error
	have := map[netip.Prefix]bool{}
	for _, r := range owned {
		dst, via, ok := routeOf(r)
		switch {
		case ok && !have[dst] && want[dst] == via:
			have[dst] = true // already right
			continue
		case ok && !have[dst] && want[dst].IsValid():
			// Same destination, another gateway: replace in place.
			have[dst] = true
			writes++
			if err := h.RouteReplace(netlinkRoute(dst, want[dst])); err != nil {
				errs = append(errs, fmt.Errorf("replace %s via %s: %w", dst, want[dst], err))
			}
			continue
		}
		// Unwanted, a repeat, or of a shape we never write (multipath).
		writes++
		if err := h.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("delete %s: %w", describeRoute(r), err))
		}
	}
	for dst, via := range want {
		if have[dst] {
			continue
		}
		writes++
		if err := h.RouteAdd(netlinkRoute(dst, via)); err != nil {
			if errors.Is(err, unix.EEXIST) {
				err = fmt.Errorf("%w: a route corebox does not own holds %s", err, dst)
			}
			errs = append(errs, fmt.Errorf("add %s via %s: %w", dst, via, err))
		}
	}
	return writes, errors.Join(errs...)
}

// routeOf reads a route we own; ok is false for a shape we never write.
func routeOf(r netlink.Route) (dst netip.Prefix, via netip.Addr, ok bool) {
	if r.Dst == nil || len(r.MultiPath) > 0 || r.Gw == nil {
		return netip.Prefix{}, netip.Addr{}, false
	}
	a, okA := netip.AddrFromSlice(r.Dst.IP)
	g, okG := netip.AddrFromSlice(r.Gw)
	bits, _ := r.Dst.Mask.Size()
	if !okA || !okG {
		return netip.Prefix{}, netip.Addr{}, false
	}
	return netip.PrefixFrom(a.Unmap(), bits).Masked(), g.Unmap(), true
}

func netlinkRoute(dst netip.Prefix, via netip.Addr) *netlink.Route {
	return &netlink.Route{
		Dst:      &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), dst.Addr().BitLen())},
		Gw:       via.AsSlice(),
		Protocol: RouteProtocol,
		Table:    unix.RT_TABLE_MAIN,
	}
}

func describeRoute(r netlink.Route) string {
	if dst, via, ok := routeOf(r); ok {
		return Route{Dst: dst, Via: via}.String()
	}
	return r.String()
}
