package cni

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// Create's checks against other networks and the host.
func TestCreateRefusals(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "n3", Subnet: "10.232.0.0/16"})
	for _, tc := range []struct {
		name string
		spec NetworkSpec
		kind error
		msg  string
	}{
		{"overlap inside", NetworkSpec{Name: "n3b", Subnet: "10.232.3.0/24"}, ErrSubnetOverlap,
			"subnet 10.232.3.0/24 of n3b overlaps 10.232.0.0/16 of n3"},
		{"overlap around", NetworkSpec{Name: "big", Subnet: "10.0.0.0/8"}, ErrSubnetOverlap,
			"subnet 10.0.0.0/8 of big overlaps 10.232.0.0/16 of n3"},
		{"duplicate", NetworkSpec{Name: "n3", Subnet: "10.233.0.0/24"}, ErrNetworkExists,
			`network "n3" already exists`},
		{"host interface", NetworkSpec{Name: "lonet", Subnet: "127.1.0.0/16"}, ErrSubnetOverlap,
			"overlaps 127.0.0.1/8 on host interface lo"},
		{"missing master", NetworkSpec{Name: "ran", Subnet: "10.233.1.0/24", Type: TypeMacvlan, Master: "nosuchnic0"}, ErrInvalidSpec,
			"no such host interface; host interfaces are: "},
		{"static check first", NetworkSpec{Name: "Bad", Subnet: "10.233.2.0/24"}, ErrInvalidSpec, "[a-z0-9][a-z0-9-]*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Create(ctx, tc.spec)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v; want errors.Is %v and a message containing %q", err, tc.kind, tc.msg)
			}
		})
	}
	// The master error lists what exists.
	_, err := m.Create(ctx, NetworkSpec{Name: "ran", Subnet: "10.233.1.0/24", Type: TypeMacvlan, Master: "nosuchnic0"})
	if !strings.Contains(err.Error(), "lo") {
		t.Fatalf("master error should list host interfaces: %v", err)
	}
	if nets, _ := m.List(); len(nets) != 1 {
		t.Fatalf("refused creates must store nothing; have %+v", nets)
	}
}

// Attach's checks of the request, each naming what to fix.
func TestAttachRefusals(t *testing.T) {
	rootTest(t)
	ctx := context.Background()
	m := newTestManager(t)
	mustCreate(t, m, NetworkSpec{Name: "v", Subnet: "10.233.8.0/24", Gateway: true})
	x := newNetNS(t)
	mustAttach(t, m, AttachRequest{ContainerID: "held", NetNS: x, Network: "v", IfName: "v", IP: netip.MustParseAddr("10.233.8.9")})
	base := AttachRequest{ContainerID: "c1", NetNS: x, Network: "v", IfName: "v2"}
	with := func(f func(*AttachRequest)) AttachRequest { r := base; f(&r); return r }
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		name string
		req  AttachRequest
		kind error
		msg  string
	}{
		{"outside", with(func(r *AttachRequest) { r.IP = ip("10.233.9.5") }), ErrInvalidSpec, "is not inside subnet 10.233.8.0/24 of network v"},
		{"network address", with(func(r *AttachRequest) { r.IP = ip("10.233.8.0") }), ErrInvalidSpec, "network address of subnet 10.233.8.0/24"},
		{"broadcast", with(func(r *AttachRequest) { r.IP = ip("10.233.8.255") }), ErrInvalidSpec, "broadcast address of subnet 10.233.8.0/24"},
		{"gateway", with(func(r *AttachRequest) { r.IP = ip("10.233.8.1") }), ErrInvalidSpec, "gateway address (reserved) of subnet 10.233.8.0/24"},
		{"ipv6", with(func(r *AttachRequest) { r.IP = ip("fd00::5") }), ErrInvalidSpec, "pick an address from 10.233.8.2 to 10.233.8.254"},
		{"taken", with(func(r *AttachRequest) { r.IP = ip("10.233.8.9") }), ErrAddressUnavailable, "already taken by container held (v)"},
		{"unknown network", with(func(r *AttachRequest) { r.Network = "nope" }), ErrNetworkNotFound, "known networks: v (see `corebox net ls`)"},
		{"container id", with(func(r *AttachRequest) { r.ContainerID = "bad id" }), ErrInvalidSpec, `invalid container ID "bad id"`},
		{"ifname long", with(func(r *AttachRequest) { r.IfName = "a234567890123456" }), ErrInvalidSpec, "at most 15 characters"},
		{"ifname lo", with(func(r *AttachRequest) { r.IfName = "lo" }), ErrInvalidSpec, `not "lo"`},
		{"no netns", with(func(r *AttachRequest) { r.NetNS = "" }), ErrInvalidSpec, "path of the container's network namespace"},
		{"ifname taken", with(func(r *AttachRequest) { r.IfName = "v" }), ErrAlreadyAttached, "already has an interface named v"},
		{"twice", with(func(r *AttachRequest) { r.ContainerID, r.IfName = "held", "v" }), ErrAlreadyAttached, "already attached to network v as v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Attach(ctx, tc.req)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v; want errors.Is %v and a message containing %q", err, tc.kind, tc.msg)
			}
		})
	}
	if _, err := m.Attach(ctx, with(func(r *AttachRequest) { r.NetNS = "/nonexistent/netns" })); err == nil || !strings.Contains(err.Error(), "/nonexistent/netns") {
		t.Fatalf("missing netns: %v", err)
	}
	// Detaching the name from a network it is not on must not touch it.
	mustCreate(t, m, NetworkSpec{Name: "w", Subnet: "10.233.9.0/24"})
	if err := m.Detach(ctx, AttachRequest{ContainerID: "held", NetNS: x, Network: "w", IfName: "v"}); err != nil {
		t.Fatalf("detach from a network the interface is not on: %v", err)
	}
	// None of the refusals disturbed the existing attachment.
	atts, err := m.Attachments("v")
	if err != nil || len(atts) != 1 || atts[0].ContainerID != "held" {
		t.Fatalf("attachments after refusals: %+v %v", atts, err)
	}
	checkLinkInNS(t, x, "v", 0)
}

func TestGetNotFoundWithoutNetworks(t *testing.T) {
	m, err := New(Config{StateRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Get("n3")
	if !errors.Is(err, ErrNetworkNotFound) || !strings.Contains(err.Error(), "no networks exist") || !strings.Contains(err.Error(), "corebox net ls") {
		t.Fatalf("got %v", err)
	}
	if err := m.Remove(context.Background(), "n3"); !errors.Is(err, ErrNetworkNotFound) {
		t.Fatalf("Remove of an unknown network: %v", err)
	}
	if err := m.Detach(context.Background(), AttachRequest{ContainerID: "c", Network: "n3"}); err != nil {
		t.Fatalf("Detach from an unknown network must be a no-op: %v", err)
	}
}
