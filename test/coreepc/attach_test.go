package coreepc

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
)

// internetPool and imsPool are the PGW's APN pools (its defaults).
var (
	internetPool = netip.MustParsePrefix("10.46.0.0/16")
	imsPool      = netip.MustParsePrefix("10.47.0.0/16")
)

// TestAttachEchoDetach: 10 UEs attach (EPS-AKA, EEA2/EIA2, the ESM
// information asked for APN internet), each gets a default bearer whose
// address, QoS and DNS came from the PGW and PCRF; UDP echoes go eNB ->
// SGW -> PGW -> SGi and all come back; the UEs detach and every session
// gauge on the way returns to 0.
func TestAttachEchoDetach(t *testing.T) {
	const n, count, size = 10, 5, 200
	const pktLen = 20 + 8 + size // inner IPv4 + UDP + payload
	c := startCore(t)
	c.provision(1, n, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n, apn: "internet"})

	res := c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	gutis := map[string]string{}
	for _, r := range res.UEs {
		if r.Detail == "" || gutis[r.Detail] != "" {
			t.Errorf("%s: GUTI %q missing or not unique", r.SUPI, r.Detail)
		}
		gutis[r.Detail] = r.SUPI
	}
	addrs := c.checkDefaultBearers(sim, gutis, n)

	c.waitGauge(c.mme.Ops(), n, "corebox_mme_ues", "state", "connected")
	c.waitGauge(c.mme.Ops(), n, "corebox_mme_pdn_connections")
	c.expect(c.sgw.Ops(), n, "corebox_sgw_sessions")
	c.expect(c.pgw.Ops(), n, "corebox_pgw_sessions", "apn", "internet")
	c.expect(c.pcrf.Ops(), n, "corebox_pcrf_gx_sessions")
	c.expect(c.enb.Ops(), n, "corebox_enb_erabs")
	// The UE is attached once the eNB says its bearer carries data; the
	// MME may take its Attach Complete a moment later.
	c.waitGauge(c.mme.Ops(), n, "corebox_mme_attaches_total", "result", "accepted")
	c.expect(c.mme.Ops(), n, "corebox_mme_authentications_total", "result", "success")
	c.expect(c.hss.Ops(), n, "corebox_hss_auth_vectors_total")
	c.expect(c.hss.Ops(), n, "corebox_hss_diameter_requests_total", "command", "ULR", "result", "2001")
	c.expect(c.pcrf.Ops(), n, "corebox_pcrf_diameter_requests_total", "command", "CCR", "result", "2001")
	c.expect(sim.Ops(), n, "corebox_ue_attaches_total", "result", "ok")
	// NAS security held both ways: nothing failed its integrity check.
	c.expect(c.mme.Ops(), 0, "corebox_mme_nas_mac_failures_total")
	c.expect(sim.Ops(), 0, "corebox_ue_nas_dropped_total")
	for _, st := range c.states(sim) {
		// One SQN claimed per authentication: SEQ 1 -> 2 (IND 0).
		if sqn := c.subscriber(st.SUPI[len("imsi-"):]).SQN; sqn != "000000000040" {
			t.Errorf("%s: SQN %s after one authentication, want 000000000040", st.SUPI, sqn)
		}
	}

	res = c.stepOK(sim, simapi.PathTraffic, simapi.TrafficRequest{Target: echoTarget, Count: count,
		Interval: simapi.Duration(10 * time.Millisecond), Size: size}, n)
	for _, r := range res.UEs {
		if r.Traffic == nil || r.Traffic.Sent != count || r.Traffic.Received != count {
			t.Errorf("%s: traffic %+v, want %d sent and received", r.SUPI, r.Traffic, count)
		}
	}
	dn := c.dataNets["internet"]
	for _, a := range addrs {
		if got := dn.from(a); got != count {
			t.Errorf("the DN got %d datagrams from %s, want %d", got, a, count)
		}
	}
	const total = n * count
	if dn.packets.Load() != total || dn.bytes.Load() != total*pktLen {
		t.Errorf("the DN got %d packets, %d bytes; want %d, %d", dn.packets.Load(), dn.bytes.Load(), total, total*pktLen)
	}
	for _, dir := range []string{"uplink", "downlink"} {
		for _, nf := range []string{"sgw", "pgw"} {
			o := c.opsOf(nf, sim)
			c.expect(o, total, "corebox_"+nf+"_rx_packets_total", "direction", dir)
			c.expect(o, total, "corebox_"+nf+"_tx_packets_total", "direction", dir)
		}
		c.expect(c.pgw.Ops(), total*pktLen, "corebox_pgw_rx_bytes_total", "direction", dir)
	}
	c.expect(c.pgw.Ops(), 0, "corebox_pgw_dropped_packets_total")
	c.expect(c.sgw.Ops(), 0, "corebox_sgw_dropped_packets_total")
	c.expect(c.enb.Ops(), total, "corebox_enb_uplink_packets_total")
	c.expect(c.enb.Ops(), total, "corebox_enb_downlink_packets_total")
	c.expect(sim.Ops(), total, "corebox_ue_uplink_packets_total")
	c.expect(sim.Ops(), total, "corebox_ue_downlink_packets_total")

	c.stepOK(sim, simapi.PathDeregister, simapi.DeregisterRequest{}, n)
	for _, st := range c.states(sim) {
		if st.State != "deregistered" || len(st.Sessions) != 0 || len(st.Addresses) != 0 {
			t.Errorf("%+v, want deregistered without PDN connections", st)
		}
	}
	c.waitGauge(c.mme.Ops(), 0, "corebox_mme_pdn_connections")
	c.waitGauge(c.sgw.Ops(), 0, "corebox_sgw_sessions")
	c.waitGauge(c.pgw.Ops(), 0, "corebox_pgw_sessions")
	c.waitGauge(c.pgw.Ops(), 0, "corebox_pgw_ue_addresses_in_use")
	c.waitGauge(c.pcrf.Ops(), 0, "corebox_pcrf_gx_sessions")
	c.waitGauge(c.mme.Ops(), 0, "corebox_mme_ues", "state", "connected")
	c.waitGauge(c.enb.Ops(), 0, "corebox_enb_connected_ues")
	c.expect(c.enb.Ops(), 0, "corebox_enb_erabs")
	c.expect(c.mme.Ops(), n, "corebox_mme_ues", "state", "deregistered")
	c.expect(c.sgw.Ops(), n, "corebox_sgw_sessions_deleted_total")
	c.expect(c.pgw.Ops(), n, "corebox_pgw_sessions_deleted_total")
	c.expect(sim.Ops(), n, "corebox_ue_detaches_total", "result", "ok")
	c.expect(sim.Ops(), 0, "corebox_ue_registered")
}

// checkDefaultBearers checks GET /ues and /ues/pdns after an attach of n
// UEs: registered with the GUTI of the Attach Accept, one PDN connection
// to internet with a fresh pool address, the PCRF's QCI 9 and the PGW's
// DNS server. It returns the addresses.
func (c *core) checkDefaultBearers(sim *ue.NF, gutis map[string]string, n int) []netip.Addr {
	c.t.Helper()
	var addrs []netip.Addr
	for _, st := range c.states(sim) {
		if st.State != "registered" || gutis[st.GUTI] != st.SUPI {
			c.t.Errorf("%+v, want registered with the GUTI of its Attach Accept", st)
		}
	}
	for _, u := range c.pdns(sim) {
		if len(u.PDNs) != 1 {
			c.t.Fatalf("%s: PDN connections %+v, want one", u.SUPI, u.PDNs)
		}
		p := u.PDNs[0]
		a, err := netip.ParseAddr(p.Address)
		if err != nil || !internetPool.Contains(a) || slices.Contains(addrs, a) {
			c.t.Fatalf("%s: address %q not a fresh one of %s", u.SUPI, p.Address, internetPool)
		}
		addrs = append(addrs, a)
		if p.APN != "internet" || len(p.Bearers) != 1 || p.Bearers[0].EBI != p.EBI || p.Bearers[0].QCI != 9 ||
			p.Bearers[0].Dedicated || !slices.Equal(p.DNS, []string{internetDNS.String()}) || len(p.PCSCF) != 0 {
			c.t.Errorf("%s: PDN connection %+v, want internet with one default bearer, QCI 9, DNS %v", u.SUPI, p, internetDNS)
		}
	}
	if len(addrs) != n {
		c.t.Fatalf("%d UEs with addresses, want %d", len(addrs), n)
	}
	return addrs
}

// TestDetachAndReattach: UEs with internet and ims PDN connections go
// idle; one detaches normally and one switched off, each from idle (an
// Initial UE Message carrying the Detach Request): their sessions go all
// the way to the PGW and PCRF, the idle third UE keeps its own. The two
// attach again by GUTI with the security context both sides kept: no
// Identity Request, no new vector. All three then echo through the core.
func TestDetachAndReattach(t *testing.T) {
	const n = 3
	c := startCore(t)
	c.provision(1, n, false, func(p *udr.Provision) { p.DNNs = withIMS })
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n, pdns: []string{"ims"}})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	c.waitGauge(c.mme.Ops(), 2*n, "corebox_mme_pdn_connections")
	c.stepOK(sim, simapi.PathIdle, simapi.IdleRequest{}, n)
	c.waitGauge(c.mme.Ops(), n, "corebox_mme_ues", "state", "idle")

	one := simapi.Selector{UEs: []string{supi(1)}}
	c.stepOK(sim, simapi.PathDeregister, simapi.DeregisterRequest{Selector: one}, 1)
	two := simapi.Selector{UEs: []string{supi(2)}}
	c.stepOK(sim, simapi.PathDeregister, simapi.DeregisterRequest{Selector: two, SwitchOff: true}, 1)
	for i, st := range c.states(sim) {
		if want := map[bool]string{true: "deregistered", false: "idle"}[i < 2]; st.State != want {
			t.Errorf("%s is %s, want %s", st.SUPI, st.State, want)
		}
	}
	for _, g := range []struct{ nf, name string }{{"mme", "corebox_mme_pdn_connections"}, {"sgw", "corebox_sgw_sessions"},
		{"pgw", "corebox_pgw_sessions"}, {"pcrf", "corebox_pcrf_gx_sessions"}} {
		c.waitGauge(c.opsOf(g.nf, sim), 2, g.name)
	}
	c.expect(c.mme.Ops(), 2, "corebox_mme_ues", "state", "deregistered")
	c.expect(c.mme.Ops(), 1, "corebox_mme_ues", "state", "idle")

	byGUTI := []delta{
		{"ue", "corebox_ue_attaches_total", []string{"result", "ok"}, 2},
		{"mme", "corebox_mme_attaches_total", []string{"result", "accepted"}, 2},
		{"mme", "corebox_mme_authentications_total", nil, 0},
		{"mme", "corebox_mme_messages_total", []string{"interface", "nas", "direction", "tx", "type", "Identity Request"}, 0},
		{"hss", "corebox_hss_auth_vectors_total", nil, 0},
	}
	before := c.read(byGUTI, sim)
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{Selector: simapi.Selector{UEs: []string{supi(1), supi(2)}}}, 2)
	c.checkDeltas(byGUTI, sim, before)
	c.waitGauge(c.pgw.Ops(), 2*n, "corebox_pgw_sessions")
	res := c.stepOK(sim, simapi.PathTraffic, simapi.TrafficRequest{Target: echoTarget, Count: 3,
		Interval: simapi.Duration(5 * time.Millisecond), Size: 64}, n)
	for _, r := range res.UEs {
		if r.Traffic == nil || r.Traffic.Received != 3 {
			t.Errorf("%s: traffic %+v, want 3 echoes", r.SUPI, r.Traffic)
		}
	}
	c.stepOK(sim, simapi.PathDeregister, simapi.DeregisterRequest{}, n)
	for _, g := range []struct{ nf, name string }{{"mme", "corebox_mme_pdn_connections"}, {"sgw", "corebox_sgw_sessions"},
		{"pgw", "corebox_pgw_sessions"}, {"pcrf", "corebox_pcrf_gx_sessions"}, {"enb", "corebox_enb_connected_ues"}} {
		c.waitGauge(c.opsOf(g.nf, sim), 0, g.name)
	}
}
