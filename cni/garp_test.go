package cni

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

func TestGarpFrame(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}
	f := garpFrame(mac, netip.MustParseAddr("10.1.2.3"))
	want := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x42, 0x08, 0x06, // Ethernet, ARP
		0, 1, 0x08, 0, 6, 4, 0, 1, // Ethernet/IPv4, request
		0x02, 0, 0, 0, 0, 0x42, 10, 1, 2, 3, // sender
		0, 0, 0, 0, 0, 0, 10, 1, 2, 3, // target
	}
	if len(f) != 60 || string(f[:len(want)]) != string(want) {
		t.Fatalf("frame % x", f)
	}
}

// A replica re-created at its old address announces itself: a peer on
// the network moves its neighbour entry to the new interface's MAC at once
// instead of sending into the dead veth until the entry goes stale. (A
// peer, not the host: the bridge flushes the host's entries whenever a
// port change changes its own MAC, which would hide the difference.)
func TestReusedAddressIsAnnounced(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "ga", Subnet: "10.231.9.0/24", Gateway: true})
	ip := netip.MustParseAddr("10.231.9.5")
	peer := newNetNS(t)
	mustAttach(t, m, AttachRequest{ContainerID: "gapeer", NetNS: peer, Network: "ga"})
	reqA := AttachRequest{ContainerID: "ga1", NetNS: newNetNS(t), Network: "ga", IP: ip}
	attA := mustAttach(t, m, reqA)
	// The peer learns the first MAC: any packet to the address does it.
	if c, err := dialFrom(peer, &net.TCPAddr{IP: ip.AsSlice(), Port: 9}); err == nil {
		c.Close()
	}
	if got := neighbourIn(t, peer, "ga", ip); got != attA.MAC {
		t.Fatalf("the peer did not learn %s as %s (has %q)", ip, attA.MAC, got)
	}
	if err := m.Detach(ctx, reqA); err != nil {
		t.Fatal(err)
	}
	attB := mustAttach(t, m, AttachRequest{ContainerID: "ga2", NetNS: newNetNS(t), Network: "ga", IP: ip})
	// The announcement is processed asynchronously: poll.
	deadline := time.Now().Add(2 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		if got = neighbourIn(t, peer, "ga", ip); got == attB.MAC {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the peer's neighbour %s is %q (the replaced interface was %s), want the new %s", ip, got, attA.MAC, attB.MAC)
}

// neighbourIn reads the MAC a namespace's neighbour table holds for ip.
func neighbourIn(t *testing.T, nsPath, ifName string, ip netip.Addr) string {
	t.Helper()
	var mac string
	err := inNetNS(nsPath, func(h *netlink.Handle) error {
		link, err := h.LinkByName(ifName)
		if err != nil {
			return err
		}
		neighs, err := h.NeighList(link.Attrs().Index, netlink.FAMILY_V4)
		for _, nb := range neighs {
			if nb.IP.Equal(ip.AsSlice()) {
				mac = nb.HardwareAddr.String()
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mac
}
