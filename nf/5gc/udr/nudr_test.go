package udr_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

const supi1 = "imsi-" + imsi1

func provisioned(t *testing.T) (*udr.NF, *udr.Client) {
	t.Helper()
	n, _ := startUDR(t)
	udrtest.Provision(t, n, udr.Provision{IMSI: imsi1, K: testK, OPc: testOPc, SQN: "1f", MSISDN: "33612345678",
		DNNs: []udr.DNN{{DNN: "internet", SST: 1}, {DNN: "ims", SST: 1, Default: true}, {DNN: "iot", SST: 2, SD: "000001"}}})
	return n, udrClient(t, n)
}

func TestAuthSubscriptionAndSQNPatch(t *testing.T) {
	n, c := provisioned(t)
	as, err := c.AuthSubscription(bg, supi1)
	if err != nil {
		t.Fatal(err)
	}
	if as.EncPermanentKey != testK || as.EncOpcKey != testOPc || as.AuthenticationManagementField != "8000" ||
		as.SequenceNumber == nil || as.SequenceNumber.Sqn != "00000000001f" || as.Supi != supi1 ||
		as.AuthenticationMethod != models.Udr_DR_AuthMethod_5_G_AKA {
		t.Fatalf("authentication subscription %+v", as)
	}
	if err := c.UpdateSQN(bg, supi1, "00000000001f", "00000000003f"); err != nil {
		t.Fatal(err)
	}
	err = c.UpdateSQN(bg, supi1, "00000000001f", "00000000005f")
	if !errors.Is(err, udr.ErrSQNConflict) {
		t.Fatalf("stale update = %v, want ErrSQNConflict", err)
	}
	if as, _ = c.AuthSubscription(bg, supi1); as.SequenceNumber.Sqn != "00000000003f" {
		t.Errorf("sqn %s after a lost update, want 00000000003f", as.SequenceNumber.Sqn)
	}
	if !metric(t, n, "corebox_udr_sqn_conflicts_total 1") {
		t.Error("conflict not counted")
	}
}

func TestPatchRejects(t *testing.T) {
	n, _ := provisioned(t)
	url := n.SBIURL() + udr.APIRoot + "/subscription-data/" + supi1 + "/authentication-data/authentication-subscription"
	tests := []struct {
		name  string
		items []models.PatchItem
		code  int
		cause string
	}{
		{"other path", []models.PatchItem{{Op: "replace", Path: "/encPermanentKey", Value: testK}}, 403, sbi.CauseModificationNotAllowed},
		{"remove sqn", []models.PatchItem{{Op: "remove", Path: udr.PathSQN}}, 403, sbi.CauseModificationNotAllowed},
		{"sqn not hex", []models.PatchItem{{Op: "replace", Path: udr.PathSQN, Value: "zz"}}, 400, sbi.CauseMandatoryIEIncorrect},
		{"sqn number", []models.PatchItem{{Op: "replace", Path: udr.PathSQN, Value: 12}}, 400, sbi.CauseMandatoryIEIncorrect},
		{"sequenceNumber not object", []models.PatchItem{{Op: "replace", Path: udr.PathSequenceNumber, Value: "1"}}, 400, sbi.CauseMandatoryIEIncorrect},
		{"empty", []models.PatchItem{}, 400, sbi.CauseMandatoryIEMissing},
	}
	c := sbiClient(t)
	for _, tt := range tests {
		_, err := c.Do(bg, http.MethodPatch, url, tt.items, nil)
		if sbi.StatusOf(err) != tt.code || sbi.CauseOf(err) != tt.cause {
			t.Errorf("%s: %v, want %d %s", tt.name, err, tt.code, tt.cause)
		}
	}
	// The whole-object form of free5gc's UDM works.
	obj := []models.PatchItem{{Op: "replace", Path: udr.PathSequenceNumber, Value: map[string]any{"sqn": "000000000100"}}}
	if _, err := c.Do(bg, http.MethodPatch, url, obj, nil); err != nil {
		t.Fatal(err)
	}
	if s, _ := n.Store().Get(imsi1); s.SQN != "000000000100" {
		t.Errorf("sqn %s, want 000000000100", s.SQN)
	}
}

func TestSubscriptionData(t *testing.T) {
	_, c := provisioned(t)
	am, err := c.AMData(bg, supi1, "00101")
	if err != nil {
		t.Fatal(err)
	}
	if am.Nssai == nil || len(am.Nssai.DefaultSingleNssais) != 2 || am.Nssai.DefaultSingleNssais[1].Sd != "000001" ||
		am.SubscribedUeAmbr.Uplink != "1 Gbps" || len(am.Gpsis) != 1 || am.Gpsis[0] != "msisdn-33612345678" ||
		fmt.Sprint(am.SubscribedDnnList) != "[internet ims iot]" {
		t.Errorf("am-data %+v nssai %+v", am, am.Nssai)
	}
	sel, err := c.SMFSelectionData(bg, supi1, "001001")
	if err != nil {
		t.Fatal(err)
	}
	s1 := sel.SubscribedSnssaiInfos[`{"sst":1}`].DnnInfos
	if len(s1) != 2 || s1[0].DefaultDnnIndicator || !s1[1].DefaultDnnIndicator ||
		len(sel.SubscribedSnssaiInfos[`{"sst":2,"sd":"000001"}`].DnnInfos) != 1 {
		t.Errorf("smf selection %+v", sel)
	}
	all, err := c.SMData(bg, supi1, "00101", nil, "")
	if err != nil || len(all) != 2 || len(all[0].DnnConfigurations) != 2 {
		t.Fatalf("sm-data %+v %v", all, err)
	}
	conf := all[0].DnnConfigurations["internet"]
	if conf.Var5gQosProfile.Var5qi != 9 || conf.SessionAmbr.Downlink != "2 Gbps" || conf.PduSessionTypes.DefaultSessionType != "IPV4" {
		t.Errorf("dnn config %+v", conf)
	}
	one, err := c.SMData(bg, supi1, "00101", &models.Snssai{Sst: 2, Sd: "000001"}, "iot")
	if err != nil || len(one) != 1 || one[0].SingleNssai.Sst != 2 || len(one[0].DnnConfigurations) != 1 {
		t.Errorf("sm-data of slice 2 = %+v %v", one, err)
	}
	none, err := c.SMData(bg, supi1, "00101", nil, "nope")
	if err != nil || len(none) != 0 {
		t.Errorf("sm-data of an unknown dnn = %+v %v", none, err)
	}
}

func TestUnknownAndMalformed(t *testing.T) {
	n, c := provisioned(t)
	for name, call := range map[string]func() error{
		"auth":    func() error { _, err := c.AuthSubscription(bg, "imsi-001019999999999"); return err },
		"nai":     func() error { _, err := c.AuthSubscription(bg, "nai-x@example.org"); return err },
		"am":      func() error { _, err := c.AMData(bg, "imsi-001019999999999", "00101"); return err },
		"sqn":     func() error { return c.UpdateSQN(bg, "imsi-001019999999999", "0", "1") },
		"amf get": func() error { _, err := c.AMF3GPP(bg, "imsi-001019999999999"); return err },
	} {
		if err := call(); sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != udr.CauseUserNotFound {
			t.Errorf("%s: %v, want 404 USER_NOT_FOUND", name, err)
		}
	}
	if _, err := c.AMData(bg, supi1, "0010x"); sbi.StatusOf(err) != 400 {
		t.Errorf("bad plmn: %v", err)
	}
	sc := sbiClient(t)
	_, err := sc.Do(bg, "GET", n.SBIURL()+udr.APIRoot+"/subscription-data/"+supi1+"/00101/provisioned-data/sm-data?single-nssai=x", nil, nil)
	if sbi.StatusOf(err) != 400 || sbi.CauseOf(err) != sbi.CauseInvalidQueryParam {
		t.Errorf("bad single-nssai: %v", err)
	}
	_, err = sc.Do(bg, "GET", n.SBIURL()+"/nudr-dr/v2/nothing", nil, nil)
	if sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != sbi.CauseResourceURIStructure {
		t.Errorf("unknown resource: %v", err)
	}
	if !metric(t, n, `corebox_udr_malformed_requests_total{service="nudr-dr"} 2`) {
		t.Error("malformed requests not counted")
	}
}

func TestAMF3GPPRegistration(t *testing.T) {
	_, c := provisioned(t)
	if _, err := c.AMF3GPP(bg, supi1); sbi.CauseOf(err) != udr.CauseContextNotFound {
		t.Fatalf("before PUT: %v", err)
	}
	reg := models.Udr_DR_Amf3GppAccessRegistration{AmfInstanceId: "amf-1", DeregCallbackUri: "http://amf/dereg", RatType: "NR"}
	if created, err := c.PutAMF3GPP(bg, supi1, reg); err != nil || !created {
		t.Fatalf("first PUT: created %v err %v", created, err)
	}
	reg.AmfInstanceId = "amf-2"
	if created, err := c.PutAMF3GPP(bg, supi1, reg); err != nil || created {
		t.Fatalf("second PUT: created %v err %v", created, err)
	}
	got, err := c.AMF3GPP(bg, supi1)
	if err != nil || got.AmfInstanceId != "amf-2" || got.RatType != "NR" {
		t.Errorf("GET = %+v %v", got, err)
	}
	if _, err := c.PutAMF3GPP(bg, supi1, models.Udr_DR_Amf3GppAccessRegistration{}); sbi.StatusOf(err) != 400 {
		t.Errorf("PUT without amfInstanceId: %v", err)
	}
}

// Concurrent writers each read the SQN and move it by one with a
// conditional patch, retrying when they lose: every step is taken once.
func TestConcurrentSQNUpdates(t *testing.T) {
	n, c := provisioned(t)
	const writers, each = 6, 8
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				for {
					as, err := c.AuthSubscription(bg, supi1)
					if err != nil {
						t.Error(err)
						return
					}
					var cur uint64
					fmt.Sscanf(as.SequenceNumber.Sqn, "%x", &cur)
					next := fmt.Sprintf("%012x", cur+1)
					err = c.UpdateSQN(bg, supi1, as.SequenceNumber.Sqn, next)
					if errors.Is(err, udr.ErrSQNConflict) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[next] {
						t.Errorf("sqn %s taken twice", next)
					}
					seen[next] = true
					mu.Unlock()
					break
				}
			}
		})
	}
	wg.Wait()
	if s, _ := n.Store().Get(imsi1); s.SQN != fmt.Sprintf("%012x", 0x1f+writers*each) || len(seen) != writers*each {
		t.Errorf("final sqn %s, %d distinct steps; want %x and %d", s.SQN, len(seen), 0x1f+writers*each, writers*each)
	}
}

func TestSurvivesRestart(t *testing.T) {
	nfkittest.NoLeaks(t)
	cfg := udrtest.Config(t)
	n, run := udrtest.Start(t, cfg)
	udrtest.Provision(t, n, udr.Provision{IMSI: imsi1, K: testK, OPc: testOPc})
	if err := udrClient(t, n).UpdateSQN(bg, supi1, udr.DefaultSQN, "000000000021"); err != nil {
		t.Fatal(err)
	}
	if _, err := udrClient(t, n).PutAMF3GPP(bg, supi1, models.Udr_DR_Amf3GppAccessRegistration{AmfInstanceId: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := run.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if ok, why := n.Ready(); ok || why != "database not open" {
		t.Errorf("stopped UDR ready = %v %q", ok, why)
	}
	n2, _ := udrtest.Start(t, cfg)
	c := udrClient(t, n2)
	as, err := c.AuthSubscription(bg, supi1)
	if err != nil || as.SequenceNumber.Sqn != "000000000021" || as.EncOpcKey != testOPc {
		t.Fatalf("after restart: %+v %v", as, err)
	}
	if reg, err := c.AMF3GPP(bg, supi1); err != nil || reg.AmfInstanceId != "a" {
		t.Errorf("amf registration after restart: %+v %v", reg, err)
	}
	if !metric(t, n2, "corebox_udr_subscribers 1") {
		t.Error("gauge not restored from the file")
	}
}

func TestDrainRefusesNewSBIWork(t *testing.T) {
	n, c := provisioned(t)
	ops := udrtest.OpsURL(n)
	if code, _ := nfkittest.Do(t, "POST", ops+"/drain", ""); code != 202 {
		t.Fatalf("POST /drain = %d", code)
	}
	_, err := c.AuthSubscription(bg, supi1)
	if sbi.StatusOf(err) != 503 || sbi.CauseOf(err) != nfsbi.CauseNFServiceFailover {
		t.Errorf("while draining: %v, want 503 NF_SERVICE_FAILOVER", err)
	}
	if _, body := nfkittest.Do(t, "GET", ops+"/drain", ""); strings.TrimSpace(body) != `{"draining":true,"remaining":0}` {
		t.Errorf("GET /drain = %s", body)
	}
	if code, _ := send(t, "GET", ops+udr.ProvisioningPath, "", ""); code != 200 {
		t.Errorf("provisioning while draining = %d", code)
	}
}

func TestNRFRegistration(t *testing.T) {
	nrf := udrtest.StartFakeNRF(t)
	cfg := udrtest.Config(t)
	cfg.NRF.URI = nrf.URL
	cfg.NRF.InstanceID = "0b9d4e1c-2f7a-4c55-9e0b-6a1d3c5e7f90"
	n, _ := udrtest.Start(t, cfg)
	p, ok := nrf.Profile(cfg.NRF.InstanceID)
	if !ok || p.NfType != models.Nrf_NFMgmt_NFType_UDR || len(p.NfServices) != 1 ||
		p.NfServices[0].ApiPrefix != n.SBIURL() || p.NfServices[0].ServiceName != "nudr-dr" {
		t.Fatalf("registered %+v", p)
	}
	if code, _ := nfkittest.Do(t, "POST", udrtest.OpsURL(n)+"/drain", ""); code != 202 {
		t.Fatal("drain refused")
	}
	nfkittest.Eventually(t, 5*time.Second, "SUSPENDED in the NRF", func() bool {
		p, _ := nrf.Profile(cfg.NRF.InstanceID)
		return p.NfStatus == models.Nrf_NFMgmt_NFStatus_SUSPENDED
	})
}

func TestConfigValidate(t *testing.T) {
	if err := udr.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := map[string]func(*udr.Config){
		"relative db path":    func(c *udr.Config) { c.DB.Path = "udr.db" },
		"no lock timeout":     func(c *udr.Config) { c.DB.LockTimeout = 0 },
		"bad nrf uri":         func(c *udr.Config) { c.NRF.URI = "nrf:8000" },
		"nrf without address": func(c *udr.Config) { c.NRF.URI = "http://nrf:8000" },
		"bad advertise":       func(c *udr.Config) { c.AdvertiseURI = "10.0.0.1" },
		"bad default dnn":     func(c *udr.Config) { c.Defaults.DNNs = nil },
		"bad ambr":            func(c *udr.Config) { c.Session.AMBR.Uplink = "x" },
		"bad 5qi":             func(c *udr.Config) { c.Session.FiveQI = 0 },
		"bad arp":             func(c *udr.Config) { c.Session.ARPPriority = 16 },
		"bad sbi listen":      func(c *udr.Config) { c.SBI.Listen = "8000" },
	}
	for name, mod := range tests {
		cfg := udr.DefaultConfig()
		mod(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cfg := udr.DefaultConfig()
	cfg.NRF.URI, cfg.AdvertiseURI = "http://nrf:8000", "http://10.0.0.1:8000"
	if err := cfg.Validate(); err != nil {
		t.Errorf("nrf with advertise_uri: %v", err)
	}
}
