package gtpgen

// Kernel mode is the baseline a UPF is measured against: the same
// sockets, veths and namespaces as a GTP run, with the UPF process left
// out. No PFCP and no GTP: uplink is plain UDP from our N3 socket to our
// own N6 address, sent out of our n3 interface to the UPF's N3 address;
// the kernel of the UPF's namespace forwards it (ip_forward) out of its
// n6, straight to our N6 socket on its subnet. Downlink mirrors it: from
// our N6 socket to our own N3 address via the UPF's N6 address.
//
// Two things make the kernel of our namespace play along. Sending: a
// packet to one of our own addresses is delivered locally unless the
// socket's output interface is pinned (IP_UNICAST_IF): the route lookup
// then skips the local route (its interface is the other one) and finds
// the /32 route we add via the UPF. Receiving: a packet whose source is
// one of our addresses is a martian unless the interface it arrives on
// has accept_local=1 and rp_filter=0. Those sysctls are not ours to set
// in a container (/proc/sys is read-only there): a run checks them and
// refuses, naming what is wrong; `corebox bench upf` sets them from the
// host for the run and restores them.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
)

// kernelLeg is one direction of a kernel run: from a socket on interface
// out to our own address on interface in, via gw (an address of the UPF).
type kernelLeg struct {
	name     string
	conn     *net.UDPConn
	from, to netip.AddrPort
	gw       netip.Addr
	out, in  netlink.Link
}

// kernelPath is what a kernel run changed in our namespace; close undoes
// it. The zero value is ready to use.
type kernelPath struct {
	legs   []string
	routes []*netlink.Route // added by us
	pinned []*net.UDPConn   // sockets whose output interface we pinned
}

// kernelSetup checks that kernel mode can work and sets up its routes and
// output interfaces. The returned path is never nil: close it also when
// the setup failed halfway.
func (g *Generator) kernelSetup(p Params) (*kernelPath, error) {
	kp := &kernelPath{}
	legs, err := g.kernelLegs(p.Direction)
	if err != nil {
		return kp, err
	}
	if err := g.checkAcceptLocal(legs); err != nil {
		return kp, err
	}
	for _, l := range legs {
		if err := kp.add(l); err != nil {
			return kp, err
		}
	}
	return kp, nil
}

// kernelRunState is a run state whose sessions are probe streams: every
// packet's peer is our N3 socket (the uplink source, the downlink
// destination).
func (g *Generator) kernelRunState(id uint32, p Params) *runState {
	sessions := make([]session, p.Sessions)
	for i := range sessions {
		sessions[i].ue = g.n3Addr.Addr()
	}
	st := newRunState(id, p, sessions, g.n6.LocalAddr(), g.n3Addr.Port())
	st.kernel = true
	return st
}

func (g *Generator) kernelLegs(d Direction) ([]kernelLeg, error) {
	u, ok := g.n6.(*udpN6)
	if !ok {
		return nil, fmt.Errorf("%w: n6 is not a UDP socket on an interface", ErrKernelPath)
	}
	var legs []kernelLeg
	if d.has(Uplink) {
		if !g.upfN3.IsValid() {
			return nil, fmt.Errorf("%w: upf.n3 is empty (the uplink's gateway, the UPF's N3 address)", ErrKernelPath)
		}
		legs = append(legs, kernelLeg{name: "uplink", conn: g.n3conn, from: g.n3Addr, to: u.local, gw: g.upfN3})
	}
	if d.has(Downlink) {
		if !g.upfN6.IsValid() {
			return nil, fmt.Errorf("%w: upf.n6 is empty (the downlink's gateway, the UPF's N6 address)", ErrKernelPath)
		}
		legs = append(legs, kernelLeg{name: "downlink", conn: u.conn, from: u.local, to: g.n3Addr, gw: g.upfN6})
	}
	for i := range legs {
		l := &legs[i]
		var err error
		if l.out, err = linkOf(l.from.Addr()); err != nil {
			return nil, err
		}
		if l.in, err = linkOf(l.to.Addr()); err != nil {
			return nil, err
		}
		if l.out.Attrs().Index == l.in.Attrs().Index {
			return nil, fmt.Errorf("%w: %s and %s are both on %s: n3 and n6 must be interfaces of their own",
				ErrKernelPath, l.from.Addr(), l.to.Addr(), l.out.Attrs().Name)
		}
	}
	return legs, nil
}

// linkOf is the interface holding address a, which must not be loopback.
func linkOf(a netip.Addr) (netlink.Link, error) {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("kernel mode: list addresses: %w", err)
	}
	for _, x := range addrs {
		if ip, ok := netip.AddrFromSlice(x.IP); !ok || ip.Unmap() != a {
			continue
		}
		l, err := netlink.LinkByIndex(x.LinkIndex)
		if err != nil {
			return nil, fmt.Errorf("kernel mode: interface of %s: %w", a, err)
		}
		if l.Attrs().Flags&net.FlagLoopback != 0 {
			return nil, fmt.Errorf("%w: %s is on %s: kernel mode needs n3 and n6 on interfaces toward the UPF", ErrKernelPath, a, l.Attrs().Name)
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w: no interface holds %s", ErrKernelPath, a)
}

// checkAcceptLocal checks that each leg's packets, whose source is one of
// our addresses, are accepted where they come back in.
func (g *Generator) checkAcceptLocal(legs []kernelLeg) error {
	var errs []error
	for _, l := range legs {
		in := l.in.Attrs().Name
		vals := map[string]int{}
		for _, k := range []string{"all/accept_local", in + "/accept_local", "all/rp_filter", in + "/rp_filter"} {
			v, err := readSysctl(filepath.Join(g.sysctlDir, k))
			if err != nil {
				return fmt.Errorf("%w: %w", ErrKernelPath, err)
			}
			vals[k] = v
		}
		if vals["all/accept_local"] == 0 && vals[in+"/accept_local"] == 0 {
			errs = append(errs, fmt.Errorf("net.ipv4.conf.%s.accept_local is 0 (and all's too): %s packets from our own %s would be dropped as martians",
				in, l.name, l.from.Addr()))
		}
		if rp := max(vals["all/rp_filter"], vals[in+"/rp_filter"]); rp != 0 {
			errs = append(errs, fmt.Errorf("rp_filter on %s is %d (the larger of net.ipv4.conf.all and .%s): want 0", in, rp, in))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w (set them in this network namespace for the run; corebox bench upf does it from the host)",
			ErrKernelPath, errors.Join(errs...))
	}
	return nil
}

func readSysctl(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read sysctl: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("sysctl %s: %w", path, err)
	}
	return v, nil
}

// add routes leg l's destination via its gateway out of its interface,
// unless exactly that route is there, and pins its socket's output
// interface.
func (kp *kernelPath) add(l kernelLeg) error {
	dst := &net.IPNet{IP: l.to.Addr().AsSlice(), Mask: net.CIDRMask(32, 32)}
	r := &netlink.Route{Dst: dst, Gw: l.gw.AsSlice(), LinkIndex: l.out.Attrs().Index}
	how := "added"
	have, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST)
	switch {
	case err != nil:
		return fmt.Errorf("kernel mode: %s: list routes to %s: %w", l.name, dst, err)
	case len(have) == 0:
		if err := netlink.RouteAdd(r); err != nil {
			return fmt.Errorf("kernel mode: %s: route %s via %s dev %s: %w (needs NET_ADMIN; the gateway must be on that interface's subnet)",
				l.name, dst, l.gw, l.out.Attrs().Name, err)
		}
		kp.routes = append(kp.routes, r)
	case len(have) == 1 && have[0].Gw.Equal(r.Gw) && have[0].LinkIndex == r.LinkIndex:
		how = "already there, left alone"
	default:
		return fmt.Errorf("%w: %s: %s is already routed otherwise (%v)", ErrKernelPath, l.name, dst, have[0])
	}
	if err := setUnicastIf(l.conn, l.out.Attrs().Index); err != nil {
		return fmt.Errorf("kernel mode: %s: pin the output interface of %s to %s: %w", l.name, l.from, l.out.Attrs().Name, err)
	}
	kp.pinned = append(kp.pinned, l.conn)
	kp.legs = append(kp.legs, fmt.Sprintf("%s: UDP %s -> %s, out of %s (IP_UNICAST_IF) via %s (route %s: %s), back in on %s",
		l.name, l.from, l.to, l.out.Attrs().Name, l.gw, dst, how, l.in.Attrs().Name))
	return nil
}

// describe is the legs as set up, for the result.
func (kp *kernelPath) describe() []string { return kp.legs }

// close unpins the sockets and removes the routes we added.
func (kp *kernelPath) close() error {
	var errs []error
	for _, c := range kp.pinned {
		if err := setUnicastIf(c, 0); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("unpin the output interface of %s: %w", c.LocalAddr(), err))
		}
	}
	for _, r := range kp.routes {
		if err := netlink.RouteDel(r); err != nil {
			errs = append(errs, fmt.Errorf("remove route %s via %s: %w", r.Dst, r.Gw, err))
		}
	}
	kp.pinned, kp.routes = nil, nil
	return errors.Join(errs...)
}
