package ue_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TestLifecycle walks UEs through every procedure against the fake core:
// register, session, traffic, idle, traffic again (service request for
// uplink data), paging on downlink data, deregister.
func TestLifecycle(t *testing.T) {
	nfkittest.NoLeaks(t)
	const n = 3
	l := startLab(t, n)
	reg := l.ues.Ops().Registry()

	res := step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{})
	allOK(t, res, n)
	for _, r := range res.UEs {
		if len(r.Detail) != 5+6+8 || !hasPrefix(r.Detail, "00101") {
			t.Errorf("%s: guti %q", r.SUPI, r.Detail)
		}
	}
	nfkittest.Eventually(t, 5*time.Second, "core sees every registration complete", func() bool {
		return l.core.Stats().Registered == n
	})
	if got := metric(t, reg, "corebox_ue_registrations_total", "result", "ok"); got != n {
		t.Errorf("registrations ok = %v", got)
	}
	if got := metric(t, reg, "corebox_ue_registration_seconds"); got != n {
		t.Errorf("registration histogram has %v samples", got)
	}

	res = step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1})
	allOK(t, res, n)
	addrs := map[string]bool{}
	for _, r := range res.UEs {
		a, err := netip.ParseAddr(r.Detail)
		if err != nil || !netip.MustParsePrefix("10.45.0.0/16").Contains(a) || addrs[r.Detail] {
			t.Errorf("%s: session address %q", r.SUPI, r.Detail)
		}
		addrs[r.Detail] = true
	}
	if got := l.gnb.ConnectedUEs(); got != n {
		t.Errorf("gnb holds %d UE contexts, want %d", got, n)
	}

	traffic := simapi.TrafficRequest{Target: "10.100.0.1:7", Count: 5, Interval: simapi.Duration(5 * time.Millisecond), Size: 100}
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)

	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{}), n)
	for _, s := range states(t, l.ues) {
		if s.State != "idle" || len(s.Sessions) != 1 {
			t.Errorf("after idle: %+v", s)
		}
	}
	nfkittest.Eventually(t, 5*time.Second, "gnb releases every UE", func() bool { return l.gnb.ConnectedUEs() == 0 })

	// Uplink data from idle: the UE runs a Service Request first.
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)
	if got := l.core.Stats().ServiceRequests; got != n {
		t.Errorf("core saw %d service requests, want %d", got, n)
	}

	// Downlink data for an idle UE: paging, Service Request, delivery.
	first := states(t, l.ues)[0]
	released := l.core.Stats().ContextReleases
	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{Selector: simapi.Selector{UEs: []string{first.SUPI}}}), 1)
	nfkittest.Eventually(t, 5*time.Second, "core sees the UE idle", func() bool {
		return l.core.Stats().ContextReleases == released+1
	})
	before := metric(t, reg, "corebox_ue_downlink_packets_total")
	pkt, err := ippkt.AppendUDP4(nil, netip.MustParseAddrPort("10.100.0.1:7"),
		netip.AddrPortFrom(netip.MustParseAddr(first.Addresses[0]), 9), 1, []byte("ping"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.core.Downlink(netip.MustParseAddr(first.Addresses[0]), pkt); err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "paged UE gets the packet", func() bool {
		return metric(t, reg, "corebox_ue_downlink_packets_total") == before+1
	})
	if s := states(t, l.ues)[0]; s.State != "registered" {
		t.Errorf("paged UE is %s, want registered", s.State)
	}
	if l.core.Stats().Pagings != 1 || metric(t, reg, "corebox_ue_pagings_total") != 1 {
		t.Errorf("pagings: core %d, ue %v", l.core.Stats().Pagings, metric(t, reg, "corebox_ue_pagings_total"))
	}

	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), n)
	for _, s := range states(t, l.ues) {
		if s.State != "deregistered" || len(s.Sessions) != 0 {
			t.Errorf("after deregister: %+v", s)
		}
	}
	if got := l.core.Stats().Deregistered; got != n {
		t.Errorf("core saw %d deregistrations", got)
	}
	nfkittest.Eventually(t, 5*time.Second, "gnb releases every UE", func() bool { return l.gnb.ConnectedUEs() == 0 })

	// And again, switched off this time.
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), n)
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{SwitchOff: true}), n)
	if got := l.core.Stats().Deregistered; got != 2*n {
		t.Errorf("core saw %d deregistrations, want %d", got, 2*n)
	}
}

func checkTraffic(t *testing.T, res simapi.Results, ues, count int) {
	t.Helper()
	allOK(t, res, ues)
	for _, r := range res.UEs {
		tr := r.Traffic
		if tr == nil || tr.Sent != count || tr.Received != count || len(tr.RTTMs) != count {
			t.Errorf("%s: traffic %+v", r.SUPI, tr)
			continue
		}
		for _, rtt := range tr.RTTMs {
			if rtt <= 0 || rtt > 1000 {
				t.Errorf("%s: rtt %v ms", r.SUPI, rtt)
			}
		}
	}
}
