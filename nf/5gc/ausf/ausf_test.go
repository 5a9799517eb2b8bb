package ausf_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// The whole 5G AKA from the AUSF down to the UDR, against a USIM.
func TestFull5GAKA(t *testing.T) {
	nfkittest.NoLeaks(t)
	ch := startChain(t, 1, nil, nil)
	ch5, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch5.Location, ch.ausf.SBIURL()+ausf.PathAuthentications+"/") ||
		ch5.ConfirmURL != ch5.Location+"/5g-aka-confirmation" {
		t.Errorf("location %q confirm %q", ch5.Location, ch5.ConfirmURL)
	}
	ue := newUE(t, 1, testK, 0)
	res, err := ue.Authenticate(ch5.RAND, ch5.AUTN, snn, nil)
	if err != nil {
		t.Fatalf("USIM: %v", err)
	}
	if !aka.VerifyHRESStar(ch5.RAND, res.RESStar, ch5.HXRESStar) {
		t.Error("SEAF check HRES* == HXRES* fails")
	}
	conf, err := ch.c.Confirm(bg, ch5.ConfirmURL, res.RESStar)
	if err != nil {
		t.Fatal(err)
	}
	if conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS || conf.Supi != "imsi-"+imsiN(1) || conf.Kseaf != res.KSEAF.String() {
		t.Errorf("confirmation %+v, want success with the UE's KSEAF %v", conf, res.KSEAF)
	}
	// A context confirms once.
	if _, err := ch.c.Confirm(bg, ch5.ConfirmURL, res.RESStar); sbi.StatusOf(err) != 404 {
		t.Errorf("second confirmation: %v, want 404", err)
	}
	// The next run uses the next SQN and the same USIM accepts it.
	ch6, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := ue.Authenticate(ch6.RAND, ch6.AUTN, snn, nil); err != nil || r2.SQN <= res.SQN {
		t.Errorf("second run: SQN %v after %v, err %v", r2.SQN, res.SQN, err)
	}
	if !metric(t, ch.ausf, `corebox_ausf_authentications_total{result="success"} 1`) ||
		!metric(t, ch.ausf, "corebox_ausf_auth_contexts 1") {
		t.Error("metrics do not show one success and one held context")
	}
}

func TestWrongRESStar(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	c5, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	res, err := newUE(t, 1, testK, 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
	if err != nil {
		t.Fatal(err)
	}
	res.RESStar[0] ^= 0x80
	conf, err := ch.c.Confirm(bg, c5.ConfirmURL, res.RESStar)
	if err != nil {
		t.Fatal(err)
	}
	if conf.AuthResult != models.Ausf_UEAU_AuthResult_FAILURE || conf.Kseaf != "" || conf.Supi != "" {
		t.Errorf("confirmation %+v, want a bare AUTHENTICATION_FAILURE", conf)
	}
	if !metric(t, ch.ausf, `corebox_ausf_authentications_total{result="failure"} 1`) {
		t.Error("failure not counted")
	}
}

// A UE with another K finds MAC-A wrong: 5GMM cause #20.
func TestWrongKOnUE(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	c5, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = newUE(t, 1, strings.Repeat("0f", 16), 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
	if cause, ok := aka.CauseOf(err); !errors.Is(err, aka.ErrMACFailure) || !ok || cause != aka.CauseMACFailure {
		t.Errorf("UE with a wrong K: %v (cause %d), want a MAC failure", err, cause)
	}
}

// A UE whose SQN runs ahead answers AUTS; the AMF sends it with the RAND
// in a new POST, and the fresh vector succeeds.
func TestResyncThroughTheChain(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	ue := newUE(t, 1, testK, aka.NewSQN(5000, 0))
	c5, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ue.Authenticate(c5.RAND, c5.AUTN, snn, nil)
	var sf *aka.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("UE: %v, want a synch failure", err)
	}
	again := info(1)
	again.ResynchronizationInfo = &models.Udm_UEAU_ResynchronizationInfo{Rand: c5.RAND.String(), Auts: sf.AUTS.String()}
	c6, err := ch.c.Authenticate(bg, again)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ue.Authenticate(c6.RAND, c6.AUTN, snn, nil)
	if err != nil || res.SQN != aka.NewSQN(5001, 0) {
		t.Fatalf("after resync: SQN %v, %v", res.SQN, err)
	}
	conf, err := ch.c.Confirm(bg, c6.ConfirmURL, res.RESStar)
	if err != nil || conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS {
		t.Errorf("confirmation %+v %v", conf, err)
	}
	// An AUTS that does not verify is refused by the UDM, through the AUSF.
	bad := sf.AUTS
	bad[0] ^= 1
	again.ResynchronizationInfo.Auts = bad.String()
	if _, err := ch.c.Authenticate(bg, again); sbi.StatusOf(err) != 403 || sbi.CauseOf(err) != udm.CauseAuthenticationRejected {
		t.Errorf("bad AUTS: %v, want 403 AUTHENTICATION_REJECTED", err)
	}
}

func TestUnknownSubscriberThroughTheChain(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	_, err := ch.c.Authenticate(bg, info(99))
	if sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != udm.CauseUserNotFound {
		t.Errorf("%v, want 404 USER_NOT_FOUND", err)
	}
	if !metric(t, ch.ausf, `corebox_ausf_authentications_total{result="rejected"} 1`) {
		t.Error("rejection not counted")
	}
}

func TestSUCIProfileAThroughTheChain(t *testing.T) {
	key, err := aka.GenerateHNKey(aka.SchemeProfileA)
	if err != nil {
		t.Fatal(err)
	}
	ch := startChain(t, 1, func(c *udm.Config) {
		c.SUCI.Keys = []udm.SUCIKey{{ID: 3, Scheme: "A", PrivateKey: hexOf(key.Bytes())}}
	}, nil)
	imsi, err := aka.ParseSUPI("imsi-"+imsiN(1), 2)
	if err != nil {
		t.Fatal(err)
	}
	suci, err := aka.Conceal(imsi, "0", aka.SchemeProfileA, 3, key.PublicKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := info(1)
	in.SupiOrSuci = suci.String()
	c5, err := ch.c.Authenticate(bg, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newUE(t, 1, testK, 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := ch.c.Confirm(bg, c5.ConfirmURL, res.RESStar)
	if err != nil || conf.Supi != "imsi-"+imsiN(1) {
		t.Errorf("confirmation %+v %v: want the de-concealed SUPI", conf, err)
	}
}

// Concurrent authentications of one subscriber get distinct SQNs, and
// each one confirms.
func TestConcurrentAuthsKeepSQNsUnique(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	const n = 20
	var mu sync.Mutex
	seen := map[aka.SQN]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c5, err := ch.c.Authenticate(bg, info(1))
			if err != nil {
				t.Error(err)
				return
			}
			// A fresh card accepts any SQN, so each challenge is judged alone.
			res, err := newUE(t, 1, testK, 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
			if err != nil {
				t.Error(err)
				return
			}
			conf, err := ch.c.Confirm(bg, c5.ConfirmURL, res.RESStar)
			if err != nil || conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS {
				t.Errorf("confirm: %+v %v", conf, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[res.SQN] {
				t.Errorf("SQN %v used twice", res.SQN)
			}
			seen[res.SQN] = true
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct SQNs, want %d", len(seen), n)
	}
}

func TestContextsExpire(t *testing.T) {
	ch := startChain(t, 1, nil, func(c *ausf.Config) { c.AuthContextTTL = 50 * time.Millisecond })
	c5, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "context swept", func() bool {
		return metric(t, ch.ausf, "corebox_ausf_auth_contexts 0")
	})
	res, _ := newUE(t, 1, testK, 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
	if _, err := ch.c.Confirm(bg, c5.ConfirmURL, res.RESStar); sbi.StatusOf(err) != 404 {
		t.Errorf("late confirmation: %v, want 404", err)
	}
	if !metric(t, ch.ausf, `corebox_ausf_authentications_total{result="expired"} 1`) {
		t.Error("expiry not counted")
	}
}

// Draining refuses new authentications but lets held contexts confirm;
// then nothing remains.
func TestDrain(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	c5, err := ch.c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	ops := "http://" + ch.ausf.Ops().Addr().String()
	if code, body := nfkittest.Do(t, "POST", ops+"/drain", ""); code != 202 || strings.TrimSpace(body) != `{"draining":true,"remaining":1}` {
		t.Fatalf("POST /drain = %d %s", code, body)
	}
	if _, err := ch.c.Authenticate(bg, info(1)); sbi.StatusOf(err) != 503 || sbi.CauseOf(err) != nfsbi.CauseNFServiceFailover {
		t.Errorf("new authentication while draining: %v", err)
	}
	res, _ := newUE(t, 1, testK, 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
	if conf, err := ch.c.Confirm(bg, c5.ConfirmURL, res.RESStar); err != nil || conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS {
		t.Errorf("confirmation while draining: %+v %v", conf, err)
	}
	var st struct {
		Draining  bool
		Remaining int
	}
	_, body := nfkittest.Do(t, "GET", ops+"/drain", "")
	if err := json.Unmarshal([]byte(body), &st); err != nil || !st.Draining || st.Remaining != 0 {
		t.Errorf("GET /drain = %s", body)
	}
}

func TestBadRequests(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	base := ch.ausf.SBIURL() + ausf.PathAuthentications
	rs := "00"
	tests := []struct {
		name, method, url string
		body              any
		code              int
		cause             string
	}{
		{"no supiOrSuci", "POST", base, models.Ausf_UEAU_AuthenticationInfo{ServingNetworkName: snn}, 400, sbi.CauseMandatoryIEMissing},
		{"bad snn", "POST", base, models.Ausf_UEAU_AuthenticationInfo{SupiOrSuci: "imsi-" + imsiN(1), ServingNetworkName: "x"}, 400, sbi.CauseMandatoryIEIncorrect},
		{"bad supi", "POST", base, models.Ausf_UEAU_AuthenticationInfo{SupiOrSuci: "imsi-1x", ServingNetworkName: snn}, 400, sbi.CauseMandatoryIEIncorrect},
		{"not json", "POST", base, []byte("{"), 400, sbi.CauseInvalidMsgFormat},
		{"no resStar", "PUT", base + "/x/5g-aka-confirmation", map[string]any{}, 400, sbi.CauseMandatoryIEMissing},
		{"short resStar", "PUT", base + "/x/5g-aka-confirmation", models.Ausf_UEAU_ConfirmationData{ResStar: &rs}, 400, sbi.CauseMandatoryIEIncorrect},
		{"unknown context", "PUT", base + "/x/5g-aka-confirmation", map[string]string{"resStar": strings.Repeat("0", 32)}, 404, "CONTEXT_NOT_FOUND"},
		{"unknown resource", "GET", base, nil, 404, sbi.CauseResourceURIStructure},
	}
	for _, tt := range tests {
		_, err := ch.sbi.Do(bg, tt.method, tt.url, tt.body, nil)
		if sbi.StatusOf(err) != tt.code || sbi.CauseOf(err) != tt.cause {
			t.Errorf("%s: %v, want %d %s", tt.name, err, tt.code, tt.cause)
		}
	}
	if !metric(t, ch.ausf, `corebox_ausf_malformed_requests_total{service="nausf-auth"} 5`) {
		t.Error("malformed requests not counted")
	}
}

func TestUDMUnreachable(t *testing.T) {
	ch := startChain(t, 1, nil, nil)
	a := startAUSF(t, ausfConfig("http://127.0.0.1:1"))
	c := ausf.NewClient(ch.sbi, nfsbi.FixedLocator(a.SBIURL()))
	if _, err := c.Authenticate(bg, info(1)); sbi.StatusOf(err) != http.StatusGatewayTimeout {
		t.Errorf("%v, want 504", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := ausfConfig("http://10.0.0.7:8000")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*ausf.Config){
		"no udm nor nrf": func(c *ausf.Config) { c.UDM.URI = "" },
		"bad udm":        func(c *ausf.Config) { c.UDM.URI = "udm" },
		"ttl 0":          func(c *ausf.Config) { c.AuthContextTTL = 0 },
		"no contexts":    func(c *ausf.Config) { c.MaxAuthContexts = 0 },
	} {
		c := cfg
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// With only the NRF configured, UDR, UDM and AUSF register and find each
// other by discovery; 5G AKA works across them.
func TestDiscoveryThroughNRF(t *testing.T) {
	nfkittest.NoLeaks(t)
	nrf := udrtest.StartFakeNRF(t)
	ucfg := udrtest.Config(t)
	ucfg.NRF.URI = nrf.URL
	// One process, one hostname: give each NF its own instance id.
	ucfg.NRF.InstanceID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
	u, _ := udrtest.Start(t, ucfg)
	udrtest.Provision(t, u, udr.Provision{IMSI: imsiN(1), K: testK, OPc: testOPc})
	mcfg := udmtest.Config("")
	mcfg.NRF.URI = nrf.URL
	mcfg.NRF.InstanceID = "6fa459ea-ee8a-4ca4-894e-db77e160355e"
	udmtest.Start(t, mcfg)
	acfg := ausfConfig("")
	acfg.NRF.URI = nrf.URL
	acfg.NRF.InstanceID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	a := startAUSF(t, acfg)
	if p, ok := nrf.Profile(acfg.NRF.InstanceID); !ok || p.NfType != models.Nrf_NFMgmt_NFType_AUSF ||
		p.NfServices[0].ServiceName != models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH {
		t.Fatalf("AUSF profile %+v", p)
	}
	sc, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.CloseIdleConnections()
	// The AMF side finds the AUSF through the NRF too.
	amfNRF, err := nrfc.New(sc, nrf.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := ausf.NewClient(sc, nfsbi.NRFLocator(amfNRF, models.Nrf_NFMgmt_NFType_AUSF, models.Nrf_NFMgmt_NFType_AMF,
		"", models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH))
	c5, err := c.Authenticate(bg, info(1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c5.ConfirmURL, a.SBIURL()) {
		t.Errorf("confirm URL %s is not on the AUSF %s", c5.ConfirmURL, a.SBIURL())
	}
	res, err := newUE(t, 1, testK, 0).Authenticate(c5.RAND, c5.AUTN, snn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if conf, err := c.Confirm(bg, c5.ConfirmURL, res.RESStar); err != nil || conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS {
		t.Errorf("confirmation %+v %v", conf, err)
	}
}
