package core5g

import (
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// TestSessionRejects asks for PDU sessions the network refuses. The SMF
// serves internet and iot in slice 1 and ims only in 1/010203; the
// subscriber has internet only. Through the NRF the AMF finds no SMF for
// a DNN no SMF serves in the slice and bounces the request itself (#90);
// with the SMF configured, the SMF's own causes come back.
func TestSessionRejects(t *testing.T) {
	type sessCase struct {
		dnn       string
		wantError string
		deltas    []delta
	}
	smfRejects := func(cause, result string) sessCase {
		return sessCase{wantError: "pdu session rejected: " + cause, deltas: []delta{
			{"smf", "corebox_smf_session_establishments_total", []string{"result", result}, 1},
			{"amf", "corebox_amf_pdu_session_requests_total", []string{"result", "rejected"}, 1},
			{"ue", "corebox_ue_session_establishments_total", nil, 1},
		}}
	}
	notForwarded := sessCase{wantError: "pdu session not forwarded: #90 payload was not forwarded", deltas: []delta{
		{"smf", "corebox_smf_session_establishments_total", nil, 0},
		{"amf", "corebox_amf_pdu_session_requests_total", []string{"result", "failed"}, 1},
	}}
	const missingDNN = "#27 missing or unknown DNN" // for unknown and unsubscribed DNNs alike
	with := func(c sessCase, dnn string) sessCase { c.dnn = dnn; return c }
	for _, mode := range []struct {
		name     string
		fixedSMF bool
		cases    []sessCase
	}{
		{"SMF found through the NRF", false, []sessCase{
			with(smfRejects(missingDNN, "not_subscribed"), "iot"),
			with(notForwarded, "nowhere"),
			with(notForwarded, "ims"),
		}},
		{"SMF configured at the AMF", true, []sessCase{
			with(smfRejects(missingDNN, "not_subscribed"), "iot"),
			with(smfRejects(missingDNN, "unknown_dnn"), "nowhere"),
			with(smfRejects("#70 missing or unknown DNN in a slice", "unknown_dnn"), "ims"),
		}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			c := startCore(t, coreOptions{fixedSMF: mode.fixedSMF})
			c.provision(1, 1, false, nil)
			sim := c.addUEs(ueSpec{imsi: imsi(1), count: 1})
			c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
			for _, tc := range mode.cases {
				before := c.read(tc.deltas, sim)
				res := c.step(sim, simapi.PathSessions, simapi.SessionRequest{DNN: tc.dnn, SST: 1})
				if len(res.UEs) != 1 || res.UEs[0].OK || res.UEs[0].Error != tc.wantError {
					t.Errorf("session for %s: %+v, want the error %q", tc.dnn, res.UEs, tc.wantError)
				}
				c.checkDeltas(tc.deltas, sim, before)
				if st := c.states(sim)[0]; len(st.Sessions) != 0 || st.State != "registered" {
					t.Errorf("after the %s reject: %+v, want registered without sessions", tc.dnn, st)
				}
			}
			c.expect(c.smf.Ops(), 0, "corebox_smf_sessions")
			c.expect(c.upf.Ops(), 0, "corebox_upf_sessions")
			// The refusals left nothing behind: the subscribed DNN still works.
			c.stepOK(sim, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, 1)
			c.waitGauge(c.smf.Ops(), 1, "corebox_smf_sessions")
		})
	}
}

// TestUserPlaneEcho opens a PDU session for each of 10 UEs and echoes UDP
// through gNB, UPF and the memory N6: every datagram comes back, and the
// UPF, the gNB, the UEs and the data network count exactly what was sent.
func TestUserPlaneEcho(t *testing.T) {
	const n, count, size = 10, 5, 200
	const pktLen = 20 + 8 + size // inner IPv4 + UDP + payload
	c := startCore(t, coreOptions{})
	c.provision(1, n, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	res := c.stepOK(sim, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, n)
	pool := netip.MustParsePrefix("10.45.0.0/16")
	addrs := map[netip.Addr]bool{}
	for _, r := range res.UEs {
		a, err := netip.ParseAddr(r.Detail)
		if err != nil || !pool.Contains(a) || addrs[a] {
			t.Fatalf("%s: session address %q not a fresh one of %s", r.SUPI, r.Detail, pool)
		}
		addrs[a] = true
	}
	c.waitGauge(c.smf.Ops(), n, "corebox_smf_sessions")
	c.expect(c.upf.Ops(), n, "corebox_upf_sessions")
	// The policy came from the PCF, not the SMF's fallback.
	c.expect(c.pcf.Ops(), n, "corebox_pcf_sm_policies")
	c.expect(c.smf.Ops(), 0, "corebox_smf_policy_fallbacks_total")

	res = c.stepOK(sim, simapi.PathTraffic, simapi.TrafficRequest{Target: echoTarget, Count: count,
		Interval: simapi.Duration(10 * time.Millisecond), Size: size}, n)
	for _, r := range res.UEs {
		if r.Traffic == nil || r.Traffic.Sent != count || r.Traffic.Received != count {
			t.Errorf("%s: traffic %+v, want %d sent and received", r.SUPI, r.Traffic, count)
		}
	}
	for a := range addrs {
		if got := c.dn.from(a); got != count {
			t.Errorf("the DN got %d datagrams from %s, want %d", got, a, count)
		}
	}
	const total = n * count
	if c.dn.packets.Load() != total || c.dn.bytes.Load() != total*pktLen {
		t.Errorf("the DN got %d packets, %d bytes; want %d, %d", c.dn.packets.Load(), c.dn.bytes.Load(), total, total*pktLen)
	}
	for _, dir := range []string{"uplink", "downlink"} {
		c.expect(c.upf.Ops(), total, "corebox_upf_rx_packets_total", "direction", dir)
		c.expect(c.upf.Ops(), total, "corebox_upf_tx_packets_total", "direction", dir)
		c.expect(c.upf.Ops(), total*pktLen, "corebox_upf_rx_bytes_total", "direction", dir)
		c.expect(c.upf.Ops(), total*pktLen, "corebox_upf_tx_bytes_total", "direction", dir)
	}
	c.expect(c.upf.Ops(), 0, "corebox_upf_dropped_packets_total")
	c.expect(c.gnb.Ops(), total, "corebox_gnb_uplink_packets_total")
	c.expect(c.gnb.Ops(), total, "corebox_gnb_downlink_packets_total")
	c.expect(sim.Ops(), total, "corebox_ue_uplink_packets_total")
	c.expect(sim.Ops(), total, "corebox_ue_downlink_packets_total")
}

// TestIdlePaging: UEs go idle (UE Context Release), downlink data for one
// of them arrives on N6; the UPF buffers it and reports, the SMF asks the
// AMF, the AMF pages through the gNB, that UE answers with a Service
// Request and gets the packet. The other idle UEs are left alone.
func TestIdlePaging(t *testing.T) {
	const n = 3
	c := startCore(t, coreOptions{})
	c.provision(1, n, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	c.stepOK(sim, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, n)
	c.stepOK(sim, simapi.PathIdle, simapi.IdleRequest{}, n)
	c.waitGauge(c.amf.Ops(), 0, "corebox_amf_connected_ues")
	c.waitGauge(c.gnb.Ops(), 0, "corebox_gnb_connected_ues")
	c.expect(c.amf.Ops(), n, "corebox_amf_registered_ues")
	c.expect(c.smf.Ops(), n, "corebox_smf_sessions")
	for _, st := range c.states(sim) {
		if st.State != "idle" || len(st.Addresses) != 1 {
			t.Fatalf("%+v, want idle with its session kept", st)
		}
	}

	woken := c.states(sim)[0]
	paging := []delta{
		{"upf", "corebox_upf_session_reports_total", []string{"result", "accepted"}, 1},
		{"smf", "corebox_smf_pfcp_session_reports_total", []string{"type", "downlink_data"}, 1},
		{"smf", "corebox_smf_n1n2_transfers_total", []string{"purpose", "paging", "result", "attempting_to_reach_ue"}, 1},
		{"amf", "corebox_amf_paging_total", nil, 1},
		{"ue", "corebox_ue_pagings_total", nil, 1},
		{"ue", "corebox_ue_service_requests_total", []string{"result", "ok"}, 1},
		{"upf", "corebox_upf_tx_packets_total", []string{"direction", "downlink"}, 1},
		{"ue", "corebox_ue_downlink_packets_total", nil, 1},
	}
	before := c.read(paging, sim)
	c.downlink(netip.MustParseAddr(woken.Addresses[0]), "wake up")
	c.checkDeltas(paging, sim, before)
	c.expect(c.upf.Ops(), 0, "corebox_upf_buffered_packets")
	c.waitGauge(c.amf.Ops(), 1, "corebox_amf_connected_ues")
	for i, st := range c.states(sim) {
		if want := map[bool]string{true: "registered", false: "idle"}[i == 0]; st.State != want {
			t.Errorf("%s is %s, want %s", st.SUPI, st.State, want)
		}
	}
	// Both directions work on the paged UE; an idle one sending uplink data
	// comes back by itself with a Service Request.
	traffic := simapi.TrafficRequest{Target: echoTarget, Count: 3, Interval: simapi.Duration(5 * time.Millisecond), Size: 64}
	for _, supi := range []string{woken.SUPI, c.states(sim)[1].SUPI} {
		traffic.UEs = []string{supi}
		res := c.stepOK(sim, simapi.PathTraffic, traffic, 1)
		if tr := res.UEs[0].Traffic; tr == nil || tr.Received != 3 {
			t.Errorf("%s: traffic %+v, want 3 echoes", supi, tr)
		}
	}
	c.expect(sim.Ops(), 2, "corebox_ue_service_requests_total", "result", "ok")
	c.expect(c.amf.Ops(), 1, "corebox_amf_paging_total")
}

// TestDeregistration: UEs with sessions deregister (normal); the network
// forgets them and releases their sessions down to the UPF.
func TestDeregistration(t *testing.T) {
	const n = 10
	c := startCore(t, coreOptions{})
	c.provision(1, n, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	c.stepOK(sim, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, n)
	c.waitGauge(c.amf.Ops(), n, "corebox_amf_registered_ues")
	c.waitGauge(c.upf.Ops(), n, "corebox_upf_sessions")

	c.stepOK(sim, simapi.PathDeregister, simapi.DeregisterRequest{}, n)
	for _, st := range c.states(sim) {
		if st.State != "deregistered" || st.GUTI != "" || len(st.Sessions) != 0 {
			t.Errorf("%+v, want deregistered without a 5G-GUTI or sessions", st)
		}
	}
	c.waitGauge(c.amf.Ops(), 0, "corebox_amf_registered_ues")
	c.waitGauge(c.amf.Ops(), 0, "corebox_amf_connected_ues")
	c.waitGauge(c.smf.Ops(), 0, "corebox_smf_sessions")
	c.waitGauge(c.upf.Ops(), 0, "corebox_upf_sessions")
	c.waitGauge(c.gnb.Ops(), 0, "corebox_gnb_connected_ues")
	c.expect(c.upf.Ops(), n, "corebox_upf_pfcp_sessions_deleted_total")
	c.expect(c.smf.Ops(), n, "corebox_smf_session_releases_total", "reason", "amf_release")
	c.expect(c.smf.Ops(), 0, "corebox_smf_pool_addresses_in_use", "dnn", "internet")
	c.expect(c.pcf.Ops(), 0, "corebox_pcf_sm_policies")
	c.expect(sim.Ops(), n, "corebox_ue_deregistrations_total", "result", "ok")
	c.expect(sim.Ops(), 0, "corebox_ue_registered")
}
