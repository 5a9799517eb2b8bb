package coreepc

import (
	"strconv"
	"testing"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
)

// TestAttachRefused covers what makes an attach fail at authentication
// or subscription: the network's answer as the UE simulator reports it,
// and the counters of every NF involved. With Milenage a K that differs
// breaks MAC-A (f1 takes K), so the USIM refuses the challenge with #20
// and the MME answers Authentication Reject.
func TestAttachRefused(t *testing.T) {
	c := startCore(t)
	const otherKey = "000102030405060708090a0b0c0d0e0f"
	for _, tc := range []struct {
		name      string
		sub       *udr.Provision
		ue        ueSpec
		wantError string
		deltas    []delta
	}{
		{name: "K differs: MAC failure at the USIM, Authentication Reject",
			sub:       &udr.Provision{IMSI: imsi(1), K: testK, OPc: testOPc, DNNs: internetOnly},
			ue:        ueSpec{imsi: imsi(1), k: otherKey},
			wantError: "authentication rejected", deltas: []delta{
				{"ue", "corebox_ue_authentication_failures_total", []string{"cause", "20"}, 1},
				{"ue", "corebox_ue_attaches_total", []string{"result", "auth_rejected"}, 1},
				{"mme", "corebox_mme_authentications_total", []string{"result", "mac_failure"}, 1},
				{"mme", "corebox_mme_authentications_total", []string{"result", "success"}, 0},
				{"mme", "corebox_mme_attaches_total", []string{"result", "auth_rejected"}, 1},
				{"mme", "corebox_mme_messages_total", []string{"interface", "nas", "direction", "tx", "type", "Authentication Reject"}, 1},
				{"hss", "corebox_hss_auth_vectors_total", nil, 1},
				{"hss", "corebox_hss_diameter_requests_total", []string{"command", "ULR"}, 0},
			}},
		{name: "unknown IMSI: Attach Reject #8",
			ue:        ueSpec{imsi: imsi(2)},
			wantError: "attach rejected: #8 EPS and non-EPS services not allowed", deltas: []delta{
				{"ue", "corebox_ue_attaches_total", []string{"result", "rejected"}, 1},
				{"ue", "corebox_ue_authentication_failures_total", nil, 0},
				{"mme", "corebox_mme_authentications_total", []string{"result", "error"}, 1},
				{"mme", "corebox_mme_attaches_total", []string{"result", "rejected"}, 1},
				{"hss", "corebox_hss_diameter_requests_total", []string{"command", "AIR", "result", "exp-5001"}, 1},
				{"hss", "corebox_hss_auth_vectors_total", nil, 0},
			}},
		{name: "APN not subscribed: Attach Reject #19 with ESM #27",
			sub:       &udr.Provision{IMSI: imsi(3), K: testK, OPc: testOPc, DNNs: internetOnly},
			ue:        ueSpec{imsi: imsi(3), apn: "ims"},
			wantError: "attach rejected: #19 ESM failure (pdn connectivity: #27 missing or unknown APN)", deltas: []delta{
				{"ue", "corebox_ue_attaches_total", []string{"result", "rejected"}, 1},
				{"mme", "corebox_mme_authentications_total", []string{"result", "success"}, 1},
				{"mme", "corebox_mme_attaches_total", []string{"result", "rejected"}, 1},
				// Refused at the MME from the subscription: no session was tried.
				{"sgw", "corebox_sgw_sessions_created_total", nil, 0},
				{"sgw", "corebox_sgw_sessions_rejected_total", nil, 0},
			}},
		{name: "APN subscribed but not served by the PGW: Attach Reject #19 with ESM #27",
			sub: &udr.Provision{IMSI: imsi(4), K: testK, OPc: testOPc,
				DNNs: []udr.DNN{{DNN: "iot", SST: 1, Default: true}, {DNN: "internet", SST: 1}}},
			ue:        ueSpec{imsi: imsi(4)},
			wantError: "attach rejected: #19 ESM failure (pdn connectivity: #27 missing or unknown APN)", deltas: []delta{
				{"ue", "corebox_ue_attaches_total", []string{"result", "rejected"}, 1},
				{"mme", "corebox_mme_attaches_total", []string{"result", "rejected"}, 1},
				{"pgw", "corebox_pgw_sessions_rejected_total", []string{"cause", "78"}, 1},
				{"sgw", "corebox_sgw_sessions_rejected_total", nil, 1},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.on(t)
			if tc.sub != nil {
				c.provisionOne(*tc.sub, false)
			}
			tc.ue.count = 1
			sim := c.addUEs(tc.ue)
			before := c.read(tc.deltas, sim)
			c.stepFails(sim, simapi.PathRegister, simapi.RegisterRequest{}, tc.wantError)
			if st := c.states(sim); st[0].State != "deregistered" || len(st[0].Addresses) != 0 {
				t.Errorf("UE state %+v, want deregistered without a PDN connection", st[0])
			}
			c.checkDeltas(tc.deltas, sim, before)
			c.waitGauge(c.enb.Ops(), 0, "corebox_enb_connected_ues")
			c.waitGauge(c.mme.Ops(), 0, "corebox_mme_ues", "state", "connected")
			c.waitGauge(c.mme.Ops(), 0, "corebox_mme_pdn_connections")
			c.waitGauge(c.sgw.Ops(), 0, "corebox_sgw_sessions")
			c.waitGauge(c.pgw.Ops(), 0, "corebox_pgw_sessions")
		})
	}
}

// TestSQNResync: the HSS's next SQN is one the USIM does not accept; the
// UE answers Synch failure (#21) with AUTS, the MME asks the HSS again
// with Re-Synchronization-Info, the HSS checks MAC-S and restarts from
// the USIM's SQN, and the attach succeeds.
func TestSQNResync(t *testing.T) {
	c := startCore(t)
	resync := []delta{
		{"ue", "corebox_ue_authentication_failures_total", []string{"cause", "21"}, 1},
		{"ue", "corebox_ue_attaches_total", []string{"result", "ok"}, 1},
		{"mme", "corebox_mme_authentications_total", []string{"result", "resync"}, 1},
		{"mme", "corebox_mme_authentications_total", []string{"result", "success"}, 1},
		{"mme", "corebox_mme_attaches_total", []string{"result", "accepted"}, 1},
		{"hss", "corebox_hss_resyncs_total", []string{"result", "ok"}, 1},
		{"hss", "corebox_hss_auth_vectors_total", nil, 2},
	}
	t.Run("USIM ahead of the HSS", func(t *testing.T) {
		c := c.on(t)
		c.provision(1, 1, false, nil)
		first := c.addUEs(ueSpec{imsi: imsi(1), count: 1})
		c.stepOK(first, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		used := sqnOf(t, c.subscriber(imsi(1)))
		c.stepOK(first, simapi.PathDeregister, simapi.DeregisterRequest{}, 1)
		// The MME keeps the first UE's context after the detach, and a
		// verified attach by GUTI would skip AKA. The subscriber's USIM
		// authenticating in another device replaces that context, so the
		// first UE's next attach names a GUTI the MME no longer knows.
		second := c.addUEs(ueSpec{imsi: imsi(1), count: 1})
		c.stepOK(second, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		c.stepOK(second, simapi.PathDeregister, simapi.DeregisterRequest{}, 1)
		// The operator restores the subscriber with SQN 0: its next vector
		// carries an SQN the first USIM has already seen.
		c.provision(1, 1, true, func(p *udr.Provision) { p.SQN = "0" })
		before := c.read(resync, first)
		identity := c.metric(c.mme.Ops(), "corebox_mme_messages_total", "interface", "nas", "direction", "tx", "type", "Identity Request")
		c.stepOK(first, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		c.checkDeltas(resync, first, before)
		c.expect(c.mme.Ops(), identity+1, "corebox_mme_messages_total", "interface", "nas", "direction", "tx", "type", "Identity Request")
		if now := sqnOf(t, c.subscriber(imsi(1))); now <= used {
			t.Errorf("SQN after resync %#x, want past the first USIM's %#x", now, used)
		}
	})
	t.Run("HSS beyond the USIM's window", func(t *testing.T) {
		c := c.on(t)
		// 2^28 SEQs and more ahead of a fresh USIM: refused as out of range.
		c.provision(2, 1, false, func(p *udr.Provision) { p.SQN = "100000000000" })
		sim := c.addUEs(ueSpec{imsi: imsi(2), count: 1})
		before := c.read(resync, sim)
		c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		c.checkDeltas(resync, sim, before)
		if now := sqnOf(t, c.subscriber(imsi(2))); now >= 0x100000000000 {
			t.Errorf("SQN after resync %#x, want restarted from the USIM's", now)
		}
	})
	c.waitGauge(c.mme.Ops(), 2, "corebox_mme_pdn_connections")
}

func sqnOf(t *testing.T, v udr.View) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(v.SQN, 16, 48)
	if err != nil {
		t.Fatalf("SQN %q of %s: %v", v.SQN, v.IMSI, err)
	}
	return n
}
