package nssf_test

import (
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/nssf"
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

func discoverNSSFs(t *testing.T, nrfURL string, slices ...models.Snssai) []models.Nrf_NFDisc_NFProfile {
	t.Helper()
	c, err := nrfc.New(sbiClient(t), nrfURL, nrfc.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Discover(bg, nrfc.Query{TargetNfType: models.Nrf_NFMgmt_NFType_NSSF,
		RequesterNfType: models.Nrf_NFMgmt_NFType_AMF, ServiceNames: []string{nssf.ServiceName}, Snssais: slices})
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

	found := discoverNSSFs(t, nrfURL, sn(2, "000001"))
	if len(found) != 1 || found[0].NfInstanceId != cfg.NRF.InstanceID || len(found[0].NfServices) != 1 {
		t.Fatalf("discovered %+v, want our NSSF with one service", found)
	}
	svc := found[0].NfServices[0]
	if svc.ApiPrefix != e.url || len(svc.Versions) != 1 || svc.Versions[0].ApiVersionInUri != "v2" {
		t.Errorf("service %+v, want v2 at %s", svc, e.url)
	}
	if len(discoverNSSFs(t, nrfURL, sn(3, ""))) != 0 {
		t.Error("discovered for a slice it does not support")
	}
	// Slices without nrf_uri name the NRF we registered with.
	s := sn(2, "000001")
	info, err := e.c.ForPDUSession(bg, svc.ApiPrefix, amf,
		models.Nssf_NSSel_SliceInfoForPDUSession{SNssai: &s, RoamingIndication: models.Nssf_NSSel_RoamingIndication_NON_ROAMING})
	if err != nil || info.NsiInformation == nil || info.NsiInformation.NrfId != nrfURL+"/nnrf-disc/v1" {
		t.Errorf("pdu session answer %+v, %v; want nrfId %s/nnrf-disc/v1", info.NsiInformation, err, nrfURL)
	}

	if code, _ := nfkittest.Do(t, "POST", "http://"+e.nssf.Ops().Addr().String()+"/drain", ""); code != 202 {
		t.Fatalf("POST /drain = %d", code)
	}
	nfkittest.Eventually(t, 5*time.Second, "drained NSSF no longer discovered", func() bool {
		return len(discoverNSSFs(t, nrfURL)) == 0
	})
}
