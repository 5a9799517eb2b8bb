package cni

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
)

// impairPair attaches two namespaces to one network and returns X, Y's
// address, and a sink listening in Y.
func impairPair(t *testing.T, subnet string) (x string, sink net.Addr) {
	t.Helper()
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "imp", Subnet: subnet})
	x, y := newNetNS(t), newNetNS(t)
	mustAttach(t, m, AttachRequest{ContainerID: "ix", NetNS: x, Network: "imp"})
	ya := mustAttach(t, m, AttachRequest{ContainerID: "iy", NetNS: y, Network: "imp"})
	return x, sinkIn(t, y, ya.Address.Addr())
}

// A rate limit shapes X's egress: the same transfer takes measurably
// longer, the tbf qdisc reads back with the asked rate, and Clear restores.
func TestImpairRate(t *testing.T) {
	rootTest(t)
	x, sink := impairPair(t, "10.234.1.0/24")
	const size = 256 << 10
	before := timedSend(t, x, sink, size)

	const rate = 4_000_000 // bits/s: 256 KiB takes about 0.52 s
	if err := Impair(x, "imp", Impairment{RateBitsPerSec: rate}); err != nil {
		t.Fatal(err)
	}
	root := rootQdiscOf(t, x, "imp")
	tbf, ok := root.(*netlink.Tbf)
	if !ok || tbf.Rate != rate/8 || tbf.Attrs().Handle != impairHandle {
		t.Fatalf("root qdisc %#v: want tbf %d bytes/s with handle cb:", root, rate/8)
	}
	shaped := timedSend(t, x, sink, size)
	t.Logf("256 KiB X->Y: %v unshaped, %v at 4 Mbit/s", before, shaped)
	if shaped < 350*time.Millisecond || shaped < 5*before {
		t.Fatalf("rate limit not effective: %v unshaped, %v shaped (expected about 520ms)", before, shaped)
	}

	if err := ClearImpairment(x, "imp"); err != nil {
		t.Fatal(err)
	}
	if q := rootQdiscOf(t, x, "imp"); q != nil {
		t.Fatalf("root qdisc left after Clear: %#v", q)
	}
	if err := ClearImpairment(x, "imp"); err != nil {
		t.Fatalf("clearing twice: %v", err)
	}
	if after := timedSend(t, x, sink, size); after > 250*time.Millisecond {
		t.Fatalf("transfer still slow after Clear: %v", after)
	}
}

// Delay needs sch_netem; without it the error is typed and says why.
func TestImpairDelay(t *testing.T) {
	rootTest(t)
	x, sink := impairPair(t, "10.234.2.0/24")
	err := Impair(x, "imp", Impairment{Delay: 40 * time.Millisecond, Jitter: time.Millisecond, LossPercent: 0.5, RateBitsPerSec: 100_000_000})
	if errors.Is(err, ErrImpairmentUnsupported) {
		if q := rootQdiscOf(t, x, "imp"); q != nil {
			t.Fatalf("a refused impairment left qdisc %#v", q)
		}
		wantTables(t, x)
		t.Skipf("kernel lacks netem: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	netem, ok := rootQdiscOf(t, x, "imp").(*netlink.Netem)
	if !ok || netem.Rate64 != 100_000_000/8 || netem.Loss == 0 {
		t.Fatalf("root qdisc %#v: want netem with rate and loss", netem)
	}
	start := time.Now()
	c, err := dialFrom(x, sink)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if rtt := time.Since(start); rtt < 40*time.Millisecond {
		t.Fatalf("connect took %v, want at least the 40ms delay", rtt)
	}
	if err := ClearImpairment(x, "imp"); err != nil {
		t.Fatal(err)
	}
}

func rootQdiscOf(t *testing.T, nsPath, ifName string) netlink.Qdisc {
	t.Helper()
	var root netlink.Qdisc
	err := inNetNS(nsPath, func(h *netlink.Handle) error {
		l, err := h.LinkByName(ifName)
		if err != nil {
			return err
		}
		qs, err := h.QdiscList(l)
		for _, q := range qs {
			if q.Attrs().Parent == netlink.HANDLE_ROOT && q.Type() != "noqueue" {
				root = q
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sinkIn listens in a namespace; each connection is read to EOF and then
// answered with one byte, so the sender knows everything arrived.
func sinkIn(t *testing.T, nsPath string, addr netip.Addr) net.Addr {
	t.Helper()
	var ln net.Listener
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := io.Copy(io.Discard, c); err == nil {
					_, _ = c.Write([]byte{1})
				}
			}()
		}
	}()
	return ln.Addr()
}

// timedSend sends size bytes from nsPath and waits for the sink's ack.
func timedSend(t *testing.T, nsPath string, to net.Addr, size int) time.Duration {
	t.Helper()
	c, err := dialFrom(nsPath, to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 1)
	if _, err := io.ReadFull(c, ack); err != nil {
		t.Fatalf("waiting for the sink's ack: %v", err)
	}
	return time.Since(start)
}
