package cni

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// hostAddrConflict refuses a subnet that overlaps an address configured on
// a host interface: routing to the network would break (or break the host).
func hostAddrConflict(subnet netip.Prefix) error {
	addrs, err := netlinksafe.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list host addresses: %w", err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP.To4())
		if !ok {
			continue
		}
		bits, _ := a.Mask.Size()
		onHost := netip.PrefixFrom(ip, bits)
		if onHost.Masked().Overlaps(subnet) {
			return errorf(ErrSubnetOverlap, "subnet %s overlaps %s on host interface %s: pick a subnet no host interface uses",
				subnet, onHost, linkNameByIndex(a.LinkIndex))
		}
	}
	return nil
}

func linkNameByIndex(index int) string {
	l, err := netlink.LinkByIndex(index)
	if err != nil {
		return fmt.Sprintf("#%d", index)
	}
	return l.Attrs().Name
}

// hostLinkNames lists host interfaces, for error messages.
func hostLinkNames() string {
	links, err := netlinksafe.LinkList()
	if err != nil {
		return "(cannot list: " + err.Error() + ")"
	}
	names := make([]string, 0, len(links))
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func checkMaster(master string) error {
	if _, err := netlinksafe.LinkByName(master); err != nil {
		if isLinkNotFound(err) {
			return invalid("master", master, "no such host interface; host interfaces are: %s", hostLinkNames())
		}
		return fmt.Errorf("look up macvlan master %s: %w", master, err)
	}
	return nil
}

func isLinkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// ensureBridge creates (or adopts, after an interrupted Create) the bridge,
// brings it up and gives it the gateway address when asked. The bridge
// plugin then only attaches ports: with isGateway off it never touches the
// host's forwarding sysctls.
func ensureBridge(name string, mtu int, gw netip.Prefix) error {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	if mtu > 0 {
		attrs.MTU = mtu
	}
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create bridge %s: %w", name, err)
	}
	link, err := netlinksafe.LinkByName(name)
	if err != nil {
		return fmt.Errorf("look up bridge %s: %w", name, err)
	}
	if link.Type() != "bridge" {
		return fmt.Errorf("host interface %s exists and is a %s, not our bridge: delete it or rename the network", name, link.Type())
	}
	if gw.IsValid() {
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: gw.Addr().AsSlice(), Mask: net.CIDRMask(gw.Bits(), 32)}}
		if err := netlink.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("give bridge %s the gateway address %s: %w", name, gw, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring bridge %s up: %w", name, err)
	}
	return nil
}

// deleteBridge removes the bridge and every port still enslaved to it
// (host veths of attachments that were never cleanly detached). A bridge
// already gone is not an error.
func deleteBridge(name string) error {
	br, err := netlinksafe.LinkByName(name)
	if isLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up bridge %s: %w", name, err)
	}
	links, err := netlinksafe.LinkList()
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	var errs []error
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			if err := netlink.LinkDel(l); err != nil && !isLinkNotFound(err) {
				errs = append(errs, fmt.Errorf("delete port %s of bridge %s: %w", l.Attrs().Name, name, err))
			}
		}
	}
	if err := netlink.LinkDel(br); err != nil && !isLinkNotFound(err) {
		errs = append(errs, fmt.Errorf("delete bridge %s: %w", name, err))
	}
	return errors.Join(errs...)
}
