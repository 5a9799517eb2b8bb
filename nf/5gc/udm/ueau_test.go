package udm_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func authReq() models.Udm_UEAU_AuthenticationInfoRequest {
	return models.Udm_UEAU_AuthenticationInfoRequest{ServingNetworkName: snn}
}

// A vector for a SUPI passes the USIM's checks, its XRES* and KAUSF equal
// the UE's RES* and KAUSF, and the UDR's SQN moves to the one used.
func TestGenerateAuthDataSUPI(t *testing.T) {
	e := setup(t, nil)
	res, err := e.c.GenerateAuthData(bg, supi, authReq())
	if err != nil {
		t.Fatal(err)
	}
	if res.Supi != supi || res.AuthType != models.Udm_UEAU_AuthType_5_G_AKA ||
		res.AuthenticationVector.AvType != models.Udm_UEAU_AvType_5_G_HE_AKA {
		t.Fatalf("result %+v", res)
	}
	rand, autn := challenge(t, res.AuthenticationVector)
	ue, err := newUSIM(t, 0).Authenticate(rand, autn, snn, nil)
	if err != nil {
		t.Fatalf("USIM rejects the vector: %v", err)
	}
	if ue.RESStar.String() != res.AuthenticationVector.XresStar || ue.KAUSF.String() != res.AuthenticationVector.Kausf {
		t.Errorf("UE RES* %v KAUSF %v; vector %+v", ue.RESStar, ue.KAUSF, res.AuthenticationVector)
	}
	// Stored 0x20 is SEQ 1; the vector used SEQ 2 (0x40) and stored it.
	if ue.SQN != aka.NewSQN(2, 0) || storedSQN(t, e) != "000000000040" {
		t.Errorf("vector SQN %v, stored %s; want 000000000040 for both", ue.SQN, storedSQN(t, e))
	}
	if !metric(t, e.udm, `corebox_udm_auth_vectors_total{result="ok"} 1`) {
		t.Error("vector not counted")
	}
}

// A UE whose SQN runs ahead refuses the vector with AUTS; the UDM checks
// MAC-S, restarts from SQNms, and the next vector is accepted.
func TestResynchronisation(t *testing.T) {
	e := setup(t, nil)
	usim := newUSIM(t, aka.NewSQN(1000, 0)) // same IND as the network's SQNs
	res, err := e.c.GenerateAuthData(bg, supi, authReq())
	if err != nil {
		t.Fatal(err)
	}
	rand, autn := challenge(t, res.AuthenticationVector)
	_, err = usim.Authenticate(rand, autn, snn, nil)
	var sf *aka.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("USIM: %v, want a synch failure", err)
	}
	bad := sf.AUTS
	bad[13] ^= 1
	req := authReq()
	req.ResynchronizationInfo = &models.Udm_UEAU_ResynchronizationInfo{Rand: rand.String(), Auts: bad.String()}
	if _, err := e.c.GenerateAuthData(bg, supi, req); sbi.StatusOf(err) != 403 || sbi.CauseOf(err) != udm.CauseAuthenticationRejected {
		t.Errorf("bad MAC-S: %v, want 403 AUTHENTICATION_REJECTED", err)
	}
	req.ResynchronizationInfo.Auts = sf.AUTS.String()
	res, err = e.c.GenerateAuthData(bg, supi, req)
	if err != nil {
		t.Fatal(err)
	}
	rand, autn = challenge(t, res.AuthenticationVector)
	ue, err := usim.Authenticate(rand, autn, snn, nil)
	if err != nil {
		t.Fatalf("after resync the USIM still refuses: %v", err)
	}
	if want := aka.NewSQN(1001, 0); ue.SQN != want || storedSQN(t, e) != want.String() {
		t.Errorf("SQN %v, stored %s; want %v", ue.SQN, storedSQN(t, e), want)
	}
	for _, l := range []string{`corebox_udm_auth_vectors_total{result="resync"} 1`, `corebox_udm_auth_vectors_total{result="rejected"} 1`} {
		if !metric(t, e.udm, l) {
			t.Errorf("metrics lack %s", l)
		}
	}
}

func TestGenerateAuthDataRejects(t *testing.T) {
	e := setup(t, func(c *udm.Config) { c.SUCI.NullScheme = false })
	resync := func(r, a string) models.Udm_UEAU_AuthenticationInfoRequest {
		q := authReq()
		q.ResynchronizationInfo = &models.Udm_UEAU_ResynchronizationInfo{Rand: r, Auts: a}
		return q
	}
	tests := []struct {
		name, id string
		req      models.Udm_UEAU_AuthenticationInfoRequest
		code     int
		cause    string
	}{
		{"unknown subscriber", "imsi-001019999999999", authReq(), 404, udm.CauseUserNotFound},
		{"no serving network", supi, models.Udm_UEAU_AuthenticationInfoRequest{}, 400, sbi.CauseMandatoryIEMissing},
		{"bad serving network", supi, models.Udm_UEAU_AuthenticationInfoRequest{ServingNetworkName: "4G:x"}, 400, sbi.CauseMandatoryIEIncorrect},
		{"bad rand", supi, resync("zz", "00000000000000000000000000ab"), 400, sbi.CauseMandatoryIEIncorrect},
		{"short auts", supi, resync("00000000000000000000000000000000", "00"), 400, sbi.CauseMandatoryIEIncorrect},
		{"not a supi", "msisdn-33612345678", authReq(), 400, sbi.CauseMandatoryIEIncorrect},
		{"bad suci", "suci-0-001-01-0-0-0", authReq(), 400, sbi.CauseMandatoryIEIncorrect},
		{"scheme 3", "suci-0-001-01-0-3-1-00", authReq(), 501, udm.CauseUnsupportedProtection},
		{"null scheme refused", "suci-0-001-01-0-0-0-0000000001", authReq(), 501, udm.CauseUnsupportedProtection},
	}
	for _, tt := range tests {
		_, err := e.c.GenerateAuthData(bg, tt.id, tt.req)
		if sbi.StatusOf(err) != tt.code || sbi.CauseOf(err) != tt.cause {
			t.Errorf("%s: %v, want %d %s", tt.name, err, tt.code, tt.cause)
		}
	}
	sc := sbiClient(t)
	url := e.udm.SBIURL() + "/nudm-ueau/v1/" + supi + "/security-information/generate-auth-data"
	if _, err := sc.Do(bg, http.MethodPost, url, []byte(`{"servingNetworkName": 5}`), nil); sbi.StatusOf(err) != 400 {
		t.Errorf("wrong type: %v", err)
	}
	if storedSQN(t, e) != "000000000020" {
		t.Errorf("a rejected request moved the SQN to %s", storedSQN(t, e))
	}
	if !metric(t, e.udm, `corebox_udm_malformed_requests_total{service="nudm-ueau"} 7`) {
		t.Error("malformed requests not counted")
	}
}

// Two UDMs serve one subscriber concurrently: every vector has its own SQN
// and the UDR ends at the last one.
func TestConcurrentVectorsKeepSQNsUnique(t *testing.T) {
	e := setup(t, nil)
	m2, _ := udmtest.Start(t, udmtest.Config(e.udr.SBIURL()))
	sc := sbiClient(t)
	clients := []*udm.Client{e.c, udm.NewClient(sc, nfsbi.FixedLocator(m2.SBIURL()))}
	const n = 24
	sqns := make(chan aka.SQN, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := clients[i%2].GenerateAuthData(bg, supi, authReq())
			if err != nil {
				t.Error(err)
				return
			}
			sqns <- vectorSQN(t, res.AuthenticationVector)
		})
	}
	wg.Wait()
	close(sqns)
	seen := map[aka.SQN]bool{}
	for s := range sqns {
		if seen[s] {
			t.Errorf("SQN %v handed out twice", s)
		}
		seen[s] = true
	}
	if want := aka.NewSQN(1+n, 0).String(); len(seen) != n || storedSQN(t, e) != want {
		t.Errorf("%d distinct SQNs, stored %s; want %d and %s", len(seen), storedSQN(t, e), n, want)
	}
}
