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

// inNetnsLTE marks the re-executed test binary of TestTUNDataPlaneLTE.
const inNetnsLTE = "COREBOX_UE_LTE_TUN_TEST_NETNS"

// TestTUNDataPlaneLTE: in lte mode the default bearers' PDN addresses go
// on the TUN device with source rules, as 5G session addresses do, and
// kernel sockets bound to them reach the network; an idle UE comes back
// for the traffic step. Root only, in a network namespace of its own.
func TestTUNDataPlaneLTE(t *testing.T) {
	if os.Getenv(inNetnsLTE) == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root (a network namespace, a TUN device, ip rules)")
		}
		if _, err := os.Stat("/dev/net/tun"); err != nil {
			t.Skipf("no /dev/net/tun: %v", err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestTUNDataPlaneLTE$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), inNetnsLTE+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTUNDataPlaneLTE") {
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
	const n = 2
	l := startLTE(t, n, func(c *ue.Config) {
		c.DataPlane.Mode, c.DataPlane.TunName, c.DataPlane.Table = ue.ModeTUN, "uelte0", 124
		c.LTE.PDNs = []string{"ims"}
	})
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), n)
	tun, err := netlink.LinkByName("uelte0")
	if err != nil {
		t.Fatal(err)
	}
	if addrs, err := netlink.AddrList(tun, netlink.FAMILY_V4); err != nil || len(addrs) != 2*n {
		t.Fatalf("addresses on the tun device (internet and ims per UE): %v %v", addrs, err)
	}
	traffic := simapi.TrafficRequest{Target: "10.100.0.1:7", Count: 3, Interval: simapi.Duration(5 * time.Millisecond), Size: 200}
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 3)

	// A plain socket bound to the ims address, as a SIP client would.
	ims := pdns(t, l.ues)[0].PDNs[1]
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ims.Address)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteToUDP([]byte("REGISTER"), &net.UDPAddr{IP: net.ParseIP(ims.PCSCF[0]), Port: 7}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	k, _, err := c.ReadFromUDP(buf)
	if err != nil || string(buf[:k]) != "REGISTER" {
		t.Fatalf("echo on the ims pdn: %q, %v", buf[:k], err)
	}
	var onIMS bool
	for _, p := range l.net.Uplinks() {
		onIMS = onIMS || p.EBI == uint8(ims.EBI)
	}
	if !onIMS {
		t.Error("no uplink packet went on the ims default bearer")
	}

	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{}), n)
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 3)
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), n)
	if addrs, _ := netlink.AddrList(tun, netlink.FAMILY_V4); len(addrs) != 0 {
		t.Errorf("addresses left after detach: %v", addrs)
	}
}
