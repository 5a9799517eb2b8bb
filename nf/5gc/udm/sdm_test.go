package udm_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func TestSDM(t *testing.T) {
	e := setup(t, nil)
	am, err := e.c.AMData(bg, supi, nil)
	if err != nil || am.Nssai == nil || len(am.Nssai.DefaultSingleNssais) != 1 || am.SubscribedUeAmbr == nil {
		t.Fatalf("am-data %+v %v", am, err)
	}
	if _, err := e.c.AMData(bg, supi, &models.PlmnId{Mcc: "208", Mnc: "93"}); err != nil {
		t.Errorf("am-data for a visited PLMN: %v", err)
	}
	sel, err := e.c.SMFSelectData(bg, supi, nil)
	if info := sel.SubscribedSnssaiInfos[`{"sst":1}`]; err != nil || len(info.DnnInfos) != 1 ||
		info.DnnInfos[0].Dnn != "internet" || !info.DnnInfos[0].DefaultDnnIndicator {
		t.Errorf("smf-select-data %+v %v", sel, err)
	}
	sm, err := e.c.SMData(bg, supi, nil, &models.Snssai{Sst: 1}, "internet")
	if err != nil || len(sm) != 1 || sm[0].DnnConfigurations["internet"].SessionAmbr == nil {
		t.Errorf("sm-data %+v %v", sm, err)
	}
	if _, err := e.c.AMData(bg, "imsi-001019999999999", nil); sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != udm.CauseUserNotFound {
		t.Errorf("unknown: %v", err)
	}
	sc := sbiClient(t)
	for _, q := range []string{"/am-data?plmn-id=00101", "/sm-data?single-nssai=1"} {
		if _, err := sc.Do(bg, "GET", e.udm.SBIURL()+"/nudm-sdm/v2/"+supi+q, nil, nil); sbi.StatusOf(err) != 400 {
			t.Errorf("%s: %v, want 400", q, err)
		}
	}
}

func TestUECM(t *testing.T) {
	e := setup(t, nil)
	reg := models.Udm_UECM_Amf3GppAccessRegistration{AmfInstanceId: "amf-1", DeregCallbackUri: "http://amf/dereg",
		Guami: &models.Guami{AmfId: "cafe00", PlmnId: &models.PlmnIdNid{Mcc: "001", Mnc: "01"}}, RatType: models.RatType_NR}
	if created, err := e.c.RegisterAMF3GPP(bg, supi, reg); err != nil || !created {
		t.Fatalf("first registration: created %v, %v", created, err)
	}
	reg.AmfInstanceId = "amf-2"
	if created, err := e.c.RegisterAMF3GPP(bg, supi, reg); err != nil || created {
		t.Fatalf("second registration: created %v, %v", created, err)
	}
	got, err := e.c.AMF3GPPRegistration(bg, supi)
	if err != nil || got.AmfInstanceId != "amf-2" || got.Guami == nil || got.Guami.AmfId != "cafe00" {
		t.Errorf("registration %+v %v", got, err)
	}
	_, err = e.c.RegisterAMF3GPP(bg, supi, models.Udm_UECM_Amf3GppAccessRegistration{AmfInstanceId: "a"})
	if sbi.StatusOf(err) != 400 || !strings.Contains(err.Error(), "deregCallbackUri guami ratType") {
		t.Errorf("incomplete registration: %v", err)
	}
	if _, err := e.c.RegisterAMF3GPP(bg, "imsi-001019999999999", reg); sbi.CauseOf(err) != udm.CauseUserNotFound {
		t.Errorf("unknown UE: %v", err)
	}
}

// With only an NRF configured, the UDM registers itself and finds the UDR
// by discovery.
func TestNRFDiscovery(t *testing.T) {
	nfkittest.NoLeaks(t)
	nrf := udrtest.StartFakeNRF(t)
	ucfg := udrtest.Config(t)
	ucfg.NRF.URI = nrf.URL
	u, _ := udrtest.Start(t, ucfg)
	udrtest.Provision(t, u, udr.Provision{IMSI: imsi, K: testK, OPc: testOPc})
	cfg := udmtest.Config("")
	cfg.NRF.URI = nrf.URL
	cfg.NRF.InstanceID = "5d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	m, _ := udmtest.Start(t, cfg)
	p, ok := nrf.Profile(cfg.NRF.InstanceID)
	if !ok || p.NfType != models.Nrf_NFMgmt_NFType_UDM || len(p.NfServices) != 3 {
		t.Fatalf("UDM profile %+v", p)
	}
	c := udm.NewClient(sbiClient(t), nfsbi.FixedLocator(m.SBIURL()))
	res, err := c.GenerateAuthData(bg, supi, authReq())
	if err != nil || res.Supi != supi {
		t.Fatalf("through a discovered UDR: %+v %v", res, err)
	}
	// A suspended UDR is not used: the UDM answers 504.
	if code, _ := nfkittest.Do(t, "POST", udrtest.OpsURL(u)+"/drain", ""); code != 202 {
		t.Fatal("drain refused")
	}
	nfkittest.Eventually(t, 5*time.Second, "UDR suspended", func() bool {
		p := nrf.ProfilesOf(models.Nrf_NFMgmt_NFType_UDR)
		return len(p) == 1 && p[0].NfStatus == models.Nrf_NFMgmt_NFStatus_SUSPENDED
	})
	if _, err := c.GenerateAuthData(bg, supi, authReq()); sbi.StatusOf(err) != http.StatusGatewayTimeout {
		t.Errorf("with the only UDR suspended: %v, want 504", err)
	}
}

func TestDrain(t *testing.T) {
	e := setup(t, nil)
	if code, _ := nfkittest.Do(t, "POST", "http://"+e.udm.Ops().Addr().String()+"/drain", ""); code != 202 {
		t.Fatal("drain refused")
	}
	if _, err := e.c.GenerateAuthData(bg, supi, authReq()); sbi.StatusOf(err) != 503 || sbi.CauseOf(err) != nfsbi.CauseNFServiceFailover {
		t.Errorf("while draining: %v", err)
	}
	if ok, _ := e.udm.Ready(); !ok {
		t.Error("Ready (before the drain) should still be true; nfkit reports draining itself")
	}
}
