package pcf_test

import (
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// startNRF runs a real NRF on loopback and returns its apiRoot.
func startNRF(t *testing.T) string {
	t.Helper()
	cfg := nrf.DefaultConfig()
	cfg.Ops.Listen, cfg.SBI.Listen = "127.0.0.1:0", "127.0.0.1:0"
	n, err := nrf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 5*time.Second, "nrf listening", func() bool { return n.SBI().Addr() != nil })
	return n.SBI().URL()
}

func discoverPCFs(t *testing.T, nrfURL string) []models.Nrf_NFDisc_NFProfile {
	t.Helper()
	c, err := nrfc.New(sbiClient(t), nrfURL, nrfc.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Discover(bg, nrfc.Query{TargetNfType: models.Nrf_NFMgmt_NFType_PCF,
		RequesterNfType: models.Nrf_NFMgmt_NFType_SMF, ServiceNames: []string{pcf.ServiceName}})
	if err != nil {
		t.Fatal(err)
	}
	return res.NfInstances
}

func TestRegistersWithNRFAndDrains(t *testing.T) {
	nrfURL := startNRF(t)
	cfg := labConfig()
	cfg.NRF.URI = nrfURL
	cfg.NRF.InstanceID = nrfc.NewInstanceID()
	e := start(t, cfg) // ready means registered

	found := discoverPCFs(t, nrfURL)
	if len(found) != 1 || found[0].NfInstanceId != cfg.NRF.InstanceID || len(found[0].NfServices) != 1 {
		t.Fatalf("discovered %+v, want our PCF with one service", found)
	}
	root := found[0].NfServices[0].ApiPrefix
	if root != e.url {
		t.Errorf("apiPrefix %q, want %q", root, e.url)
	}
	// An SMF can use what it discovered.
	if _, _, err := e.c.Create(bg, root, smContext("imsi-001010000000001", 1, "internet")); err != nil {
		t.Fatalf("create at the discovered apiPrefix: %v", err)
	}

	if code, _ := nfkittest.Do(t, "POST", "http://"+e.pcf.Ops().Addr().String()+"/drain", ""); code != 202 {
		t.Fatalf("POST /drain = %d", code)
	}
	nfkittest.Eventually(t, 5*time.Second, "drained PCF no longer discovered", func() bool {
		return len(discoverPCFs(t, nrfURL)) == 0
	})
}
