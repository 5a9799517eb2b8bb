package coreepc

import (
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// TestIdlePaging: UEs go idle (UE Context Release, Release Access
// Bearers); downlink data for one of them reaches the PGW's SGi; the SGW
// buffers it and sends a Downlink Data Notification, the MME pages, the
// eNB pages on the radio, that UE answers with a Service Request, the
// bearers come back (Initial Context Setup, Modify Bearer) and the SGW
// delivers the buffered packet. The other idle UEs are left alone.
func TestIdlePaging(t *testing.T) {
	const n = 3
	c := startCore(t)
	c.provision(1, n, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	c.stepOK(sim, simapi.PathIdle, simapi.IdleRequest{}, n)
	c.waitGauge(c.mme.Ops(), n, "corebox_mme_ues", "state", "idle")
	c.waitGauge(c.enb.Ops(), 0, "corebox_enb_connected_ues")
	c.expect(c.mme.Ops(), n, "corebox_mme_pdn_connections")
	c.expect(c.sgw.Ops(), n, "corebox_sgw_sessions")
	for _, st := range c.states(sim) {
		if st.State != "idle" || len(st.Addresses) != 1 {
			t.Fatalf("%+v, want idle with its PDN connection kept", st)
		}
	}

	woken := c.states(sim)[0]
	paging := []delta{
		{"pgw", "corebox_pgw_tx_packets_total", []string{"direction", "downlink"}, 1},
		{"sgw", "corebox_sgw_downlink_data_notifications_total", []string{"result", "sent"}, 1},
		{"sgw", "corebox_sgw_downlink_data_notifications_total", []string{"result", "acknowledged"}, 1},
		{"mme", "corebox_mme_paging_total", nil, 1},
		{"enb", "corebox_enb_s1ap_messages_total", []string{"direction", "rx", "message", "paging"}, 1},
		{"ue", "corebox_ue_pagings_total", nil, 1},
		{"ue", "corebox_ue_service_requests_total", []string{"result", "ok"}, 1},
		{"sgw", "corebox_sgw_tx_packets_total", []string{"direction", "downlink"}, 1},
		{"enb", "corebox_enb_downlink_packets_total", nil, 1},
		{"ue", "corebox_ue_downlink_packets_total", nil, 1},
		{"sgw", "corebox_sgw_dropped_packets_total", nil, 0},
	}
	before := c.read(paging, sim)
	c.downlink("internet", netip.MustParseAddr(woken.Addresses[0]), "wake up")
	c.checkDeltas(paging, sim, before)
	c.waitGauge(c.sgw.Ops(), 0, "corebox_sgw_buffered_packets")
	c.waitGauge(c.mme.Ops(), 1, "corebox_mme_ues", "state", "connected")
	c.expect(c.mme.Ops(), n-1, "corebox_mme_ues", "state", "idle")
	for i, st := range c.states(sim) {
		if want := map[bool]string{true: "registered", false: "idle"}[i == 0]; st.State != want {
			t.Errorf("%s is %s, want %s", st.SUPI, st.State, want)
		}
	}
	// Both directions work on the paged UE; an idle one sending uplink data
	// comes back by itself with a Service Request.
	traffic := simapi.TrafficRequest{Target: echoTarget, Count: 3, Interval: simapi.Duration(5 * time.Millisecond), Size: 64}
	for _, ue := range []string{woken.SUPI, c.states(sim)[1].SUPI} {
		traffic.UEs = []string{ue}
		res := c.stepOK(sim, simapi.PathTraffic, traffic, 1)
		if tr := res.UEs[0].Traffic; tr == nil || tr.Received != 3 {
			t.Errorf("%s: traffic %+v, want 3 echoes", ue, tr)
		}
	}
	c.expect(sim.Ops(), 2, "corebox_ue_service_requests_total", "result", "ok")
	c.expect(c.mme.Ops(), 1, "corebox_mme_paging_total")
}
