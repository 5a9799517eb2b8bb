package mme

import (
	"context"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// A second PDN connection to ims after attach: the UE asks for a P-CSCF
// in its PCO, and the PGW's answer reaches it; packets flow on the new
// bearer; PDN disconnect closes it, and the last PDN connection cannot
// be disconnected.
func TestSecondPDN(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)
	var ask naseps.PCO
	ask.Add(naseps.PCOPCSCFIPv4, nil)
	ask.Add(naseps.PCODNSServerIPv4, nil)
	p, cause := u.pdnConnect("ims", &ask)
	if p == nil {
		t.Fatalf("PDN connectivity to ims refused with #%d", cause)
	}
	if p.ebi == firstEBI || !netip.MustParsePrefix("10.47.0.0/16").Contains(p.addr) {
		t.Errorf("ims PDN: EBI %d, address %v", p.ebi, p.addr)
	}
	if p.pco == nil || len(p.pco.IPv4s(naseps.PCOPCSCFIPv4)) != 1 || p.pco.IPv4s(naseps.PCOPCSCFIPv4)[0] != netip.MustParseAddr("10.47.0.10") {
		t.Fatalf("PCO from the network %+v, want P-CSCF 10.47.0.10", p.pco)
	}
	e.waitSynced(t, u)
	userPlane(t, e, u, "ims")
	waitMetric(t, e.mme, `corebox_mme_pdn_connections`, 2)

	if _, cause := u.pdnConnect("nosuch", nil); cause != naseps.ESMCauseUnknownAPN {
		t.Errorf("unknown APN refused with #%d, want #27", cause)
	}
	if _, cause := u.pdnConnect("ims", nil); cause != causeMultiplePDNForAPN {
		t.Errorf("second ims connection refused with #%d, want #55", cause)
	}

	if cause := u.pdnDisconnect("ims"); cause != 0 {
		t.Fatalf("PDN disconnect refused with #%d", cause)
	}
	waitMetric(t, e.mme, `corebox_mme_pdn_connections`, 1)
	nfkittest.Eventually(t, waitFor, "ims session gone at the PGW", func() bool { return e.pgw.Sessions() == 1 })
	if cause := u.pdnDisconnect("internet"); cause != causeLastPDNDisconnect {
		t.Errorf("disconnecting the last PDN: #%d, want #49", cause)
	}
	userPlane(t, e, u, "internet")
}

// A dedicated bearer the PGW creates (Create Bearer Request through the
// SGW): E-RAB Setup with the Activate Dedicated EPS Bearer Context
// Request to the UE, the answer back with the eNB's tunnel; then removed
// again (Delete Bearer Request, E-RAB Release).
func TestDedicatedBearer(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)
	rule := pgw.Rule{Name: "voice", Precedence: 10, Flows: []string{"permit out 17 from 10.0.0.5 5004 to assigned 6000"},
		QoS: pgw.QoS{QCI: 1, ARP: pgw.ARP{Priority: 2}, MBRUL: 128, MBRDL: 128, GBRUL: 64, GBRDL: 64}}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		done <- e.pgw.InstallRules(ctx, u.imsi, "internet", rule)
	}()
	req := u.acceptDedicated()
	if err := <-done; err != nil {
		t.Fatalf("install rule: %v", err)
	}
	if req.LinkedEBI != firstEBI || req.EBI <= firstEBI || req.QoS.QCI != 1 || req.QoS.Bitrates == nil ||
		req.QoS.Bitrates.GBRDownlink != 64 || len(req.TFT.Filters) == 0 {
		t.Fatalf("Activate Dedicated EPS Bearer Context Request %+v", req)
	}
	waitMetric(t, e.mme, `corebox_mme_messages_total{direction="tx",interface="s11",type="Create Bearer Response"}`, 1)
	if got := scrape(t, e.pgw.Ops())["corebox_pgw_bearers"]; got != 2 {
		t.Errorf("PGW bearers %v, want 2", got)
	}

	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		done <- e.pgw.RemoveRules(ctx, u.imsi, "internet", "voice")
	}()
	u.acceptDeactivation(req.EBI)
	if err := <-done; err != nil {
		t.Fatalf("remove rule: %v", err)
	}
	nfkittest.Eventually(t, waitFor, "dedicated bearer gone at the PGW", func() bool {
		return scrape(t, e.pgw.Ops())["corebox_pgw_bearers"] == 1
	})
	userPlane(t, e, u, "internet")
}

// A dedicated bearer for an ECM-IDLE UE waits for its Service Request
// after paging.
func TestDedicatedBearerIdle(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)
	u.releaseByENB()
	rule := pgw.Rule{Name: "video", Precedence: 20, Flows: []string{"permit out 17 from 10.0.0.6 to assigned 7000"},
		QoS: pgw.QoS{QCI: 2, ARP: pgw.ARP{Priority: 3}, MBRUL: 256, MBRDL: 256, GBRUL: 128, GBRDL: 128}}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		done <- e.pgw.InstallRules(ctx, u.imsi, "internet", rule)
	}()
	select {
	case <-e.enb.paging:
	case err := <-done:
		t.Fatalf("rule installed without paging: %v", err)
	}
	u.serviceRequest(e.enb)
	req := u.acceptDedicated()
	if err := <-done; err != nil {
		t.Fatalf("install rule: %v", err)
	}
	if req.QoS.QCI != 2 {
		t.Errorf("QCI %d, want 2", req.QoS.QCI)
	}
}
