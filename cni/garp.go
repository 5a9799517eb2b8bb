package cni

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"golang.org/x/sys/unix"
)

// announce sends a gratuitous ARP for addr from the interface: when an
// address comes back on a new interface (a replaced replica keeps its
// address), the host and the other containers still hold the old MAC in
// their neighbour caches, and would send into a dead veth until the entry
// goes stale, tens of seconds later.
func announce(nsPath, ifName string, addr netip.Addr) error {
	if !addr.Is4() {
		return nil
	}
	return ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		ifc, err := carrierUp(ifName)
		if err != nil {
			return fmt.Errorf("gratuitous ARP: %w", err)
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			return fmt.Errorf("gratuitous ARP: socket: %w", err)
		}
		defer unix.Close(fd)
		to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifc.Index, Halen: 6}
		copy(to.Addr[:], ethBroadcast)
		if err := unix.Sendto(fd, garpFrame(ifc.HardwareAddr, addr), 0, to); err != nil {
			return fmt.Errorf("gratuitous ARP on %s: %w", ifName, err)
		}
		return nil
	})
}

// carrierUp waits until the interface has carrier, that is, until its
// peer on the host side is up and can forward the announcement; the plugin
// may return just before.
func carrierUp(ifName string) (*net.Interface, error) {
	deadline := time.Now().Add(time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		ifc, err := net.InterfaceByName(ifName)
		if err != nil {
			return nil, err
		}
		if ifc.Flags&net.FlagRunning != 0 {
			return ifc, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s has no carrier after 1s", ifName)
		}
		<-tick.C
	}
}

var ethBroadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// garpFrame is an Ethernet frame with an ARP request whose sender and
// target address are both addr, padded to the minimum frame size.
func garpFrame(mac net.HardwareAddr, addr netip.Addr) []byte {
	f := make([]byte, 60)
	copy(f[0:6], ethBroadcast)
	copy(f[6:12], mac)
	binary.BigEndian.PutUint16(f[12:14], unix.ETH_P_ARP)
	arp := f[14:]
	binary.BigEndian.PutUint16(arp[0:2], 1)      // Ethernet
	binary.BigEndian.PutUint16(arp[2:4], 0x0800) // IPv4
	arp[4], arp[5] = 6, 4
	binary.BigEndian.PutUint16(arp[6:8], 1) // request
	ip := addr.As4()
	copy(arp[8:14], mac)
	copy(arp[14:18], ip[:])
	copy(arp[24:28], ip[:]) // target hardware address stays zero
	return f
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
