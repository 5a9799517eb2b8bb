package smf

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

func startNRF(t testing.TB) string {
	t.Helper()
	cfg := nrf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	n, err := nrf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, wait, "nrf listening", func() bool { return n.SBI().Addr() != nil })
	return n.SBI().URL()
}

// startRegisteredUPF runs the real UPF with its N4 on addr:8805 (the port
// SMFs assume), serving pool, registered with the NRF.
func startRegisteredUPF(t testing.TB, nrfURI string, addr netip.Addr, pool string) *upf.NF {
	t.Helper()
	cfg := upf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.PFCP.Listen = netip.AddrPortFrom(addr, pfcp.Port).String()
	cfg.GTPU.Listen = "127.0.0.1:0"
	cfg.N3Address = "127.0.0.1"
	cfg.N6.Mode = upf.N6ModeMemory
	cfg.UEPools = []upf.UEPool{{CIDR: pool, DNN: testDNN}}
	cfg.NRF.URI = nrfURI
	cfg.NRF.InstanceID = nrfc.InstanceIDFor("upf-" + addr.String())
	n, err := upf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, wait, "upf registered", func() bool { ok, _ := n.Ready(); return ok })
	return n
}

// TestNRFDiscoveryAndRegistration: the SMF finds the UPF through the NRF
// (its N4 address and its slice of the pool), registers with smfInfo so
// AMFs find it by S-NSSAI and DNN, and turns SUSPENDED when drained.
func TestNRFDiscoveryAndRegistration(t *testing.T) {
	nrfURI := startNRF(t)
	upfAddr := randomLoopback()
	u := startRegisteredUPF(t, nrfURI, upfAddr, "10.45.8.0/22")
	e := startEnv(t, envOpts{noUPF: true, stubUDM: stubUDM(testDNN), noPCF: true, mod: func(c *Config) {
		c.NRF.URI = nrfURI
		c.NRF.InstanceID = nrfc.InstanceIDFor("smf-under-test")
	}})
	nfkittest.Eventually(t, wait, "registered and associated", func() bool { ok, _ := e.smf.Ready(); return ok })
	if n := e.smf.upfs.get(netip.AddrPortFrom(upfAddr, pfcp.Port)); n == nil || !n.associated.Load() {
		t.Fatalf("UPF %v not associated through discovery", upfAddr)
	}

	// Sessions get addresses from the range the UPF registered; without a
	// PCF, the subscribed QoS.
	s := e.establish(t, testSUPI, 1)
	if !netip.MustParsePrefix("10.45.8.0/22").Contains(s.accept.Address) || u.Sessions() != 1 {
		t.Errorf("address %v (UPF sessions %d), want one of the UPF's 10.45.8.0/22", s.accept.Address, u.Sessions())
	}
	if s.accept.SessionAMBR.Uplink != 100e6 || s.accept.SessionAMBR.Downlink != 200e6 {
		t.Errorf("AMBR %+v, want the subscribed 100/200 Mbps", s.accept.SessionAMBR)
	}
	if got := metric(t, e.smf, "corebox_smf_policy_fallbacks_total", "reason", "no_pcf"); got != 1 {
		t.Errorf("no_pcf fallbacks %v", got)
	}

	// An AMF discovers us by slice and DNN.
	c := nrfClient(t, nrfURI)
	q := nrfc.Query{TargetNfType: models.Nrf_NFMgmt_NFType_SMF, RequesterNfType: models.Nrf_NFMgmt_NFType_AMF,
		Snssais: []models.Snssai{testSlice}, Dnn: testDNN}
	found := discover(t, c, q)
	if len(found) != 1 || found[0].SmfInfo == nil || apiRootOf(found[0], models.Nrf_NFMgmt_ServiceName_NSMF_PDUSESSION) != e.url {
		t.Fatalf("SMF discovery: %s", dump(found))
	}
	q.Dnn = "nosuch"
	if got := discover(t, c, q); len(got) != 0 {
		t.Errorf("discovered for an unserved DNN: %s", dump(got))
	}

	q.Dnn = testDNN
	e.smf.Ops().StartDrain()
	nfkittest.Eventually(t, wait, "SUSPENDED in the NRF", func() bool { return len(discover(t, c, q)) == 0 })
	res, err := e.create(t, e.createRequest(t, testSUPI, 2, testDNN))
	if err == nil || res.Status != http.StatusServiceUnavailable {
		t.Errorf("create while draining: %+v %v", res, err)
	}
}

// TestNRFNewUPF: a UPF registering later is used without waiting for the
// next discovery round (the NRF notifies the SMF).
func TestNRFNewUPF(t *testing.T) {
	nrfURI := startNRF(t)
	e := startEnv(t, envOpts{noUPF: true, stubUDM: stubUDM(testDNN), noPCF: true, mod: func(c *Config) {
		c.NRF.URI = nrfURI
		c.NRF.UPFDiscovery = time.Hour
		c.Readiness.RequireUPF = false
	}})
	nfkittest.Eventually(t, wait, "registered", func() bool { ok, _ := e.smf.Ready(); return ok })
	nfkittest.Eventually(t, wait, "subscribed to UPF changes", e.smf.subscribed.Load)
	addr := randomLoopback()
	startRegisteredUPF(t, nrfURI, addr, testPool)
	nfkittest.Eventually(t, wait, "new UPF associated", func() bool {
		n := e.smf.upfs.get(netip.AddrPortFrom(addr, pfcp.Port))
		return n != nil && n.associated.Load()
	})
}

func nrfClient(t testing.TB, uri string) *nrfc.Client {
	t.Helper()
	s, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.CloseIdleConnections)
	c, err := nrfc.New(s, uri, nrfc.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func discover(t testing.TB, c *nrfc.Client, q nrfc.Query) []models.Nrf_NFDisc_NFProfile {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c.InvalidateCache("", "")
	res, err := c.Discover(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return res.NfInstances
}
