package ue_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/sim/ue/ltefake"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// TestLTEAttachByIMSI: attach with EEA2/EIA2 and with EEA0/EIA2, the
// default bearer's address on the data plane, traffic through it, detach.
func TestLTEAttachByIMSI(t *testing.T) {
	nfkittest.NoLeaks(t)
	for _, tc := range []struct {
		name string
		enc  uint8
	}{{"eea2", naseps.EEA2}, {"eea0", naseps.EEA0}} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 3
			f := startFake(t, testK, func(c *ltefake.Config) { c.EncAlg, c.IntAlg = tc.enc, naseps.EIA2 })
			u := startLTEUEs(t, f, n)
			res := step(t, u, simapi.PathRegister, simapi.RegisterRequest{})
			allOK(t, res, n)
			for _, r := range res.UEs {
				if len(r.Detail) != 5+4+2+8 || !strings.HasPrefix(r.Detail, "00101010101") {
					t.Errorf("%s: guti %q", r.SUPI, r.Detail)
				}
			}
			// The UE is attached once its bearer is up; the network counts
			// the attach when the Attach Complete arrives.
			nfkittest.Eventually(t, 5*time.Second, "network completes every attach", func() bool { return f.Stats().Attaches == n })
			if s := f.Stats(); s.AttachesByGUTI != 0 || s.LastIMEISV != "3569380356438091" && s.LastIMEISV != "3569380356438092" &&
				s.LastIMEISV != "3569380356438093" {
				t.Errorf("network stats %+v", s)
			}
			seen := map[string]bool{}
			for _, s := range states(t, u) {
				a, err := netip.ParseAddr(strings.Join(s.Addresses, ","))
				if s.State != "registered" || err != nil || !netip.MustParsePrefix("10.46.0.0/16").Contains(a) || seen[a.String()] ||
					!slices.Equal(s.Sessions, []int{5}) {
					t.Errorf("state %+v", s)
				}
				seen[a.String()] = true
			}
			reg := u.Ops().Registry()
			if got := metric(t, reg, "corebox_ue_attaches_total", "result", "ok"); got != n {
				t.Errorf("attaches ok = %v", got)
			}
			if got := metric(t, reg, "corebox_ue_pdn_connections"); got != n {
				t.Errorf("pdn connections gauge = %v", got)
			}
			traffic := simapi.TrafficRequest{Target: "10.100.0.1:7", Count: 3, Interval: simapi.Duration(2 * time.Millisecond), Size: 64}
			checkTraffic(t, step(t, u, simapi.PathTraffic, traffic), n, 3)
			allOK(t, step(t, u, simapi.PathDeregister, simapi.DeregisterRequest{}), n)
			if s := f.Stats(); s.Detaches != n {
				t.Errorf("network saw %d detaches", s.Detaches)
			}
			for _, s := range states(t, u) {
				if s.State != "deregistered" || len(s.Addresses) != 0 {
					t.Errorf("after detach: %+v", s)
				}
			}
		})
	}
}

// TestLTEWrongKey: the network's K differs, MAC-A fails (#20), the network
// rejects the authentication and the UE stops with that outcome.
func TestLTEWrongKey(t *testing.T) {
	nfkittest.NoLeaks(t)
	const n = 2
	f := startFake(t, "00112233445566778899AABBCCDDEEFF")
	u := startLTEUEs(t, f, n)
	res := step(t, u, simapi.PathRegister, simapi.RegisterRequest{})
	for _, r := range res.UEs {
		if r.OK || r.Error != "authentication rejected" {
			t.Errorf("%s: ok=%v error=%q", r.SUPI, r.OK, r.Error)
		}
	}
	reg := u.Ops().Registry()
	if got := metric(t, reg, "corebox_ue_authentication_failures_total", "cause", "20"); got != n {
		t.Errorf("MAC failures sent = %v", got)
	}
	if got := metric(t, reg, "corebox_ue_attaches_total", "result", "auth_rejected"); got != n {
		t.Errorf("auth_rejected attaches = %v", got)
	}
	if s := f.Stats(); s.AuthRejects != n || s.Attaches != 0 {
		t.Errorf("network stats %+v", s)
	}
	for _, s := range states(t, u) {
		if s.State != "deregistered" {
			t.Errorf("%s is %s", s.SUPI, s.State)
		}
	}
}

// TestLTEResync: the network's SQN is behind the USIM's; the UE answers
// #21 with AUTS, the network resynchronises and challenges again.
func TestLTEResync(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLTE(t, 1)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), 1)
	supi := states(t, l.ues)[0].SUPI
	l.net.SetSQN(imsiOf(supi), 0x21) // the SQN the USIM already took
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	nfkittest.Eventually(t, 5*time.Second, "second attach completes", func() bool { return l.net.Stats().Attaches == 2 })
	if s := l.net.Stats(); s.Resyncs != 1 {
		t.Errorf("network stats %+v", s)
	}
	if got := metric(t, l.ues.Ops().Registry(), "corebox_ue_authentication_failures_total", "cause", "21"); got != 1 {
		t.Errorf("synch failures sent = %v", got)
	}
}

// TestLTEAttachByGUTI: after a detach the UE attaches with the kept GUTI
// (integrity protected with the kept context); a network that forgot the
// GUTI asks for the IMSI.
func TestLTEAttachByGUTI(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLTE(t, 1)
	first := step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{})
	allOK(t, first, 1)
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), 1)
	second := step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{})
	allOK(t, second, 1)
	if s := l.net.Stats(); s.AttachesByGUTI != 1 || s.IdentityRequests != 0 {
		t.Errorf("after attach by guti: %+v", s)
	}
	if second.UEs[0].Detail == first.UEs[0].Detail {
		t.Errorf("network gave the same GUTI twice: %s", first.UEs[0].Detail)
	}
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), 1)
	l.net.ForgetGUTIs()
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	nfkittest.Eventually(t, 5*time.Second, "third attach completes", func() bool { return l.net.Stats().Attaches == 3 })
	if s := l.net.Stats(); s.IdentityRequests != 1 || s.AttachesByGUTI != 1 {
		t.Errorf("after attach with an unknown guti: %+v", s)
	}
}

// TestLTEIMSPDN: lte.pdns connects ims after attach; its P-CSCF and DNS
// from the PCO are in GET /ues/pdns. The sessions step connects further
// APNs and refuses unknown ones with the ESM cause.
func TestLTEIMSPDN(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLTE(t, 2, func(c *ue.Config) { c.LTE.PDNs = []string{"ims"} })
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 2)
	for _, p := range pdns(t, l.ues) {
		if p.State != "registered" || len(p.PDNs) != 2 {
			t.Fatalf("pdns %+v", p)
		}
		inet, ims := p.PDNs[0], p.PDNs[1]
		if inet.APN != "internet" || inet.EBI != 5 || !slices.Equal(inet.DNS, []string{"10.46.255.53"}) || len(inet.PCSCF) != 0 {
			t.Errorf("internet pdn %+v", inet)
		}
		if ims.APN != "ims" || ims.EBI != 6 || !strings.HasPrefix(ims.Address, "10.47.") ||
			!slices.Equal(ims.PCSCF, []string{"10.47.255.10"}) || !slices.Equal(ims.DNS, []string{"10.47.255.53"}) {
			t.Errorf("ims pdn %+v", ims)
		}
	}
	if got := metric(t, l.ues.Ops().Registry(), "corebox_ue_pdn_connections"); got != 4 {
		t.Errorf("pdn connections gauge = %v", got)
	}
	res := step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{DNN: "ims"})
	if r := res.UEs[0]; r.OK || !strings.Contains(r.Error, "already established") {
		t.Errorf("second ims: %+v", r)
	}
	res = step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{DNN: "nowhere"})
	if r := res.UEs[0]; r.OK || r.Error != "pdn connectivity rejected: #27 missing or unknown APN" {
		t.Errorf("unknown apn: %+v", r)
	}
	code, out := nfkittest.Do(t, "POST", "http://"+l.ues.Ops().Addr().String()+simapi.PathSessions, `{"dnn": "ims", "id": 6}`)
	if code != 400 || !strings.Contains(out, "assigns the EPS bearer identity") {
		t.Errorf("session with an id = %d %s", code, out)
	}
}

// TestLTEDedicatedBearer: a dedicated bearer's TFT (UDP to port 7) takes
// matching uplink packets; others stay on the default bearer; after
// deactivation everything goes on the default bearer again.
func TestLTEDedicatedBearer(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLTE(t, 1)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	imsi := imsiOf(states(t, l.ues)[0].SUPI)
	udp := uint8(17)
	tft := naseps.TFT{Op: naseps.TFTCreate, Filters: []naseps.PacketFilter{{ID: 1, Direction: naseps.FilterBidirectional,
		Precedence: 10, Protocol: &udp, RemotePorts: &naseps.PortRange{Low: 7, High: 7},
		RemoteAddress: netip.MustParsePrefix("10.100.0.0/16")}}}
	ebi, err := l.net.ActivateDedicated(imsi, 5, 1, tft)
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "dedicated bearer accepted", func() bool { return l.net.Stats().DedicatedActivated == 1 })
	bearers := pdns(t, l.ues)[0].PDNs[0].Bearers
	if len(bearers) != 2 || bearers[1].EBI != int(ebi) || !bearers[1].Dedicated || bearers[1].QCI != 1 ||
		len(bearers[1].Filters) != 1 || !strings.Contains(bearers[1].Filters[0], "rport 7") {
		t.Fatalf("bearers %+v", bearers)
	}

	onEBI := func(port uint16) map[uint8]int {
		before := len(l.net.Uplinks())
		tr := simapi.TrafficRequest{Target: netip.AddrPortFrom(netip.MustParseAddr("10.100.0.1"), port).String(), Count: 2,
			Size: 32, Wait: simapi.Duration(20 * time.Millisecond)}
		allOK(t, step(t, l.ues, simapi.PathTraffic, tr), 1)
		out := map[uint8]int{}
		for _, p := range l.net.Uplinks()[before:] {
			out[p.EBI]++
		}
		return out
	}
	if got := onEBI(7); got[ebi] != 2 || len(got) != 1 {
		t.Errorf("uplink to port 7 by EBI: %v, want 2 on %d", got, ebi)
	}
	if got := onEBI(9); got[5] != 2 || len(got) != 1 {
		t.Errorf("uplink to port 9 by EBI: %v, want 2 on 5", got)
	}
	if err := l.net.DeactivateBearer(imsi, ebi); err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "bearer deactivated", func() bool { return l.net.Stats().BearersDeactivated == 1 })
	if got := onEBI(7); got[5] != 2 || len(got) != 1 {
		t.Errorf("after deactivation, uplink to port 7 by EBI: %v", got)
	}
	if got := metric(t, l.ues.Ops().Registry(), "corebox_ue_dedicated_bearers_total", "event", "deactivated"); got != 1 {
		t.Errorf("dedicated deactivations = %v", got)
	}
}

// TestLTEIdlePagingServiceRequest: an idle UE is paged for downlink data,
// answers with a Service Request and gets the packet; uplink data from
// idle runs a Service Request too.
func TestLTEIdlePagingServiceRequest(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLTE(t, 2)
	reg := l.ues.Ops().Registry()
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 2)
	// The first goes idle on request (radio Inactive), the second when the
	// network releases it.
	first, second := states(t, l.ues)[0], states(t, l.ues)[1]
	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{Selector: simapi.Selector{UEs: []string{first.SUPI}}}), 1)
	if err := l.net.Release(imsiOf(second.SUPI)); err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "both idle", func() bool {
		st := states(t, l.ues)
		return st[0].State == "idle" && st[1].State == "idle"
	})
	for _, s := range states(t, l.ues) {
		if len(s.Addresses) != 1 {
			t.Errorf("after idle: %+v", s)
		}
	}
	first = states(t, l.ues)[0]
	pkt, err := ippkt.AppendUDP4(nil, netip.MustParseAddrPort("10.100.0.1:7"),
		netip.AddrPortFrom(netip.MustParseAddr(first.Addresses[0]), 9), 1, []byte("ping"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.net.Downlink(netip.MustParseAddr(first.Addresses[0]), pkt); err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "paged UE gets the packet", func() bool {
		return metric(t, reg, "corebox_ue_downlink_packets_total") == 1
	})
	st := states(t, l.ues)
	if st[0].State != "registered" || st[1].State != "idle" {
		t.Errorf("after paging: %+v", st)
	}
	if s := l.net.Stats(); s.Pagings != 1 || s.ServiceRequests != 1 || metric(t, reg, "corebox_ue_pagings_total") != 1 {
		t.Errorf("network stats %+v", s)
	}
	traffic := simapi.TrafficRequest{Target: "10.100.0.1:7", Count: 2, Size: 16}
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), 2, 2)
	if s := l.net.Stats(); s.ServiceRequests != 2 {
		t.Errorf("service requests %d, want 2 (one paged, one for uplink)", s.ServiceRequests)
	}
	if got := metric(t, reg, "corebox_ue_service_requests_total", "result", "ok"); got != 2 {
		t.Errorf("service requests ok = %v", got)
	}
}

// TestLTEDetachSwitchOff: a switched-off UE detaches without waiting for
// an answer, from connected and from idle.
func TestLTEDetachSwitchOff(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLTE(t, 2)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 2)
	second := states(t, l.ues)[1].SUPI
	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{Selector: simapi.Selector{UEs: []string{second}}}), 1)
	res := step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{SwitchOff: true})
	allOK(t, res, 2)
	for _, r := range res.UEs {
		if r.Millis > 1500 {
			t.Errorf("%s: switch-off took %v ms", r.SUPI, r.Millis)
		}
	}
	nfkittest.Eventually(t, 5*time.Second, "network sees both switch-offs", func() bool { return l.net.Stats().SwitchOffs == 2 })
	for _, s := range states(t, l.ues) {
		if s.State != "deregistered" {
			t.Errorf("%+v", s)
		}
	}
	if got := metric(t, l.ues.Ops().Registry(), "corebox_ue_detaches_total", "result", "ok"); got != 2 {
		t.Errorf("detaches ok = %v", got)
	}
}

// TestLTETrackingAreaUpdate: a TAU on request, and periodic ones on
// T3412 while idle.
func TestLTETrackingAreaUpdate(t *testing.T) {
	nfkittest.NoLeaks(t)
	f := startFake(t, testK, func(c *ltefake.Config) { c.T3412 = 2 * time.Second })
	u := startLTEUEs(t, f, 1)
	allOK(t, step(t, u, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	allOK(t, step(t, u, ue.PathTAU, ue.TAURequest{}), 1)
	if s := f.Stats(); s.TAUs != 1 {
		t.Errorf("network saw %d TAUs", s.TAUs)
	}
	allOK(t, step(t, u, simapi.PathIdle, simapi.IdleRequest{}), 1)
	reg := u.Ops().Registry()
	nfkittest.Eventually(t, 10*time.Second, "periodic TAU while idle", func() bool {
		return metric(t, reg, "corebox_ue_tracking_area_updates_total", "result", "ok") >= 2
	})
	nfkittest.Eventually(t, 5*time.Second, "released after the TAU", func() bool { return f.Stats().Releases >= 2 })
	nfkittest.Eventually(t, 5*time.Second, "idle again", func() bool { return states(t, u)[0].State == "idle" })
	if s := f.Stats(); s.TAUs < 2 {
		t.Errorf("network saw %d TAUs", s.TAUs)
	}
}

// TestLTEAttachAPN: with lte.apn set the APN goes in the ESM Information
// Response once ciphering is on; an APN the network does not serve gets
// an Attach Reject naming the ESM cause.
func TestLTEAttachAPN(t *testing.T) {
	nfkittest.NoLeaks(t)
	f := startFake(t, testK)
	u := startLTEUEs(t, f, 1, func(c *ue.Config) { c.LTE.APN = "ims" })
	allOK(t, step(t, u, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	p := pdns(t, u)[0]
	if len(p.PDNs) != 1 || p.PDNs[0].APN != "ims" || !slices.Equal(p.PDNs[0].PCSCF, []string{"10.47.255.10"}) {
		t.Errorf("pdns %+v", p)
	}
	allOK(t, step(t, u, simapi.PathDeregister, simapi.DeregisterRequest{}), 1)

	other := startLTEUEs(t, f, 1, func(c *ue.Config) { c.LTE.APN = "nowhere"; c.UEs.IMSI = "001010000000099" })
	res := step(t, other, simapi.PathRegister, simapi.RegisterRequest{})
	want := "attach rejected: #19 ESM failure (pdn connectivity: #27 missing or unknown APN)"
	if r := res.UEs[0]; r.OK || r.Error != want {
		t.Errorf("attach to an unknown APN: ok=%v error=%q, want %q", r.OK, r.Error, want)
	}
	if got := metric(t, other.Ops().Registry(), "corebox_ue_attaches_total", "result", "rejected"); got != 1 {
		t.Errorf("rejected attaches = %v", got)
	}
}
