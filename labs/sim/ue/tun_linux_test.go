//go:build linux

package ue_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
)

// inNetns marks the re-executed test binary running in its own network
// namespace.
const inNetns = "COREBOX_UE_TUN_TEST_NETNS"

// TestTUNDataPlane runs the tun data plane for real: UE addresses on a TUN
// device with source rules, echo traffic through kernel UDP sockets bound
// to them, via the gNB and the fake core. It needs root and /dev/net/tun,
// and runs in a network namespace of its own (the test re-executes itself
// there), so the host's routes and rules are never touched.
func TestTUNDataPlane(t *testing.T) {
	if os.Getenv(inNetns) == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root (a network namespace, a TUN device, ip rules)")
		}
		if _, err := os.Stat("/dev/net/tun"); err != nil {
			t.Skipf("no /dev/net/tun: %v", err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestTUNDataPlane$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), inNetns+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTUNDataPlane") {
			t.Fatalf("in a new network namespace: %v\n%s", err, out)
		}
		return
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	const n = 3
	l := startLab(t, n, func(c *ue.Config) {
		c.DataPlane.Mode, c.DataPlane.TunName, c.DataPlane.Table = ue.ModeTUN, "uetest0", 123
	})
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), n)
	allOK(t, step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{}), n)
	tun, err := netlink.LinkByName("uetest0")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(tun, netlink.FAMILY_V4)
	if err != nil || len(addrs) != n {
		t.Fatalf("addresses on the tun device: %v %v", addrs, err)
	}
	rules, err := netlink.RuleList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, r := range rules {
		if r.Table == 123 && r.Src != nil {
			ours++
		}
	}
	if ours != n {
		t.Errorf("%d source rules into table 123, want %d", ours, n)
	}
	traffic := simapi.TrafficRequest{Target: "10.100.0.1:7", Count: 5, Interval: simapi.Duration(5 * time.Millisecond), Size: 300}
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)

	// An ordinary socket bound to a session address gets its echo too.
	addr := states(t, l.ues)[0].Addresses[0]
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(addr)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteToUDP([]byte("plain socket"), &net.UDPAddr{IP: net.ParseIP("10.100.0.9"), Port: 9}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	k, from, err := c.ReadFromUDP(buf)
	if err != nil || string(buf[:k]) != "plain socket" || from.String() != "10.100.0.9:9" {
		t.Fatalf("echo to a plain socket: %q from %v, %v", buf[:k], from, err)
	}

	// Idle, then data from a program: the UE comes back by itself.
	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{}), n)
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)

	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), n)
	if addrs, _ := netlink.AddrList(tun, netlink.FAMILY_V4); len(addrs) != 0 {
		t.Errorf("addresses left after deregistration: %v", addrs)
	}

	// The kernel flushed the device's routes with its last address: a
	// second round in the same process must still carry traffic.
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), n)
	allOK(t, step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{}), n)
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)
}
