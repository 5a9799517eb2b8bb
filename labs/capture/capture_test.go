package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"

	"github.com/corebox/corebox/internal/leakcheck"
)

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestBridgeTrafficBetweenNamespaces: two namespaces on one bridge send a
// UDP datagram to each other; the capture on the bridge holds it.
func TestBridgeTrafficBetweenNamespaces(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	defer snap.Check(t)
	br, a, b := "cbcaptest0", "cbcapa", "cbcapb"
	defer exec.Command("ip", "link", "del", br).Run()
	defer exec.Command("ip", "netns", "del", a).Run()
	defer exec.Command("ip", "netns", "del", b).Run()
	sh(t, "ip", "link", "add", br, "type", "bridge")
	sh(t, "ip", "link", "set", br, "up")
	for i, ns := range []string{a, b} {
		sh(t, "ip", "netns", "add", ns)
		sh(t, "ip", "link", "add", ns+"h", "type", "veth", "peer", "name", "eth0", "netns", ns)
		sh(t, "ip", "link", "set", ns+"h", "master", br, "up")
		sh(t, "ip", "-n", ns, "addr", "add", "10.250.77."+string(rune('1'+i))+"/24", "dev", "eth0")
		sh(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	var out bytes.Buffer
	c, err := Start(context.Background(), []string{br}, &out, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The datagram has crossed the bridge once b has read it.
	exchange(t, "/run/netns/"+a, "/run/netns/"+b, "10.250.77.2:9999")
	st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	frames := parsePcap(t, out.Bytes())
	if len(frames) != st.Frames {
		t.Fatalf("pcap holds %d frames, stats say %d", len(frames), st.Frames)
	}
	found := false
	for _, f := range frames {
		// Ethernet IPv4 (0x0800), UDP (17), payload after 14+20+8 bytes.
		if len(f) > 42 && binary.BigEndian.Uint16(f[12:]) == 0x0800 && f[23] == 17 && bytes.Contains(f[42:], []byte(payload)) {
			found = true
		}
	}
	if !found {
		t.Errorf("the UDP datagram between the namespaces is not among the %d captured frames", len(frames))
	}
}

const payload = "corebox capture test"

// exchange sends one UDP datagram from namespace from to dst in namespace to.
func exchange(t *testing.T, from, to, dst string) {
	t.Helper()
	var conn net.PacketConn
	inNS(t, to, func() (err error) { conn, err = net.ListenPacket("udp4", dst); return })
	defer conn.Close()
	inNS(t, from, func() error {
		c, err := net.Dial("udp4", dst)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte(payload))
		return err
	})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	if n, _, err := conn.ReadFrom(buf); err != nil || string(buf[:n]) != payload {
		t.Fatalf("datagram not received: %v %q", err, buf[:n])
	}
}

func inNS(t *testing.T, path string, fn func() error) {
	t.Helper()
	target, err := ns.GetNS(path)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := target.Do(func(ns.NetNS) error { return fn() }); err != nil {
		t.Fatalf("in %s: %v", path, err)
	}
}

func parsePcap(t *testing.T, data []byte) [][]byte {
	t.Helper()
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(data[20:]) != 1 {
		t.Fatalf("bad pcap header % x", data[:min(24, len(data))])
	}
	var frames [][]byte
	for p := data[24:]; len(p) > 0; {
		if len(p) < 16 {
			t.Fatalf("truncated record header")
		}
		n := int(binary.LittleEndian.Uint32(p[8:]))
		if len(p) < 16+n {
			t.Fatalf("truncated record")
		}
		frames = append(frames, p[16:16+n])
		p = p[16+n:]
	}
	return frames
}
