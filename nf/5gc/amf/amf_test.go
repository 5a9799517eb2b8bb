package amf

import (
	"errors"
	"testing"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Peers.AUSF, cfg.Peers.UDM, cfg.Peers.SMF = "http://a:1", "http://b:1", "http://c:1"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config with peers: %v", err)
	}
	if err := DefaultConfig().Validate(); err == nil {
		t.Error("default config without NRF or peers validated")
	}
	bad := cfg
	bad.Security.IntegrityOrder = []string{"NIA0"}
	if err := bad.Validate(); err == nil {
		t.Error("NIA0 only, without allow_null, validated")
	}
	bad = cfg
	bad.Security.CipheringOrder = []string{"NEA9"}
	bad.PLMNSupport[0].Slices[0].SD = "xyz"
	if err := bad.Validate(); err == nil {
		t.Error("bad algorithm and SD validated")
	}
}

func TestNGSetup(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 0, nil)
	g := dialGNB(t, e.amf, 1)
	resp := g.setup(t, homePLMN)
	if resp == nil {
		t.Fatal("NG Setup failed")
	}
	if resp.AMFName != "corebox-amf" || len(resp.ServedGUAMIs) != 1 || resp.ServedGUAMIs[0] != e.amf.guami ||
		len(resp.PLMNSupport) != 1 || len(resp.PLMNSupport[0].Slices) != 2 {
		t.Errorf("NG Setup Response %+v", resp)
	}
	waitMetric(t, e.amf, "corebox_amf_connected_gnbs", 1)

	other := dialGNB(t, e.amf, 1)
	if other.setup(t, n2.PLMN{MCC: "999", MNC: "99"}) != nil {
		t.Error("unsupported PLMN passed NG Setup")
	}
	wrongTAC := dialGNB(t, e.amf, 7)
	if wrongTAC.setup(t, homePLMN) != nil {
		t.Error("unserved TAC passed NG Setup")
	}
	if v := scrape(t, e.amf)["corebox_amf_connected_gnbs"]; v != 1 {
		t.Errorf("connected gNBs %v, want 1", v)
	}
	g.close()
	waitMetric(t, e.amf, "corebox_amf_connected_gnbs", 0)
}

func TestRegistration(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 2, nil)
	g := newGNB(t, e.amf)
	u := newTestUE(t, g, 1, testK, 0)
	acc, err := u.register()
	must(t, err)
	if u.sec.IntAlg != nas5g.NIA2 || u.sec.EncAlg != nas5g.NEA2 {
		t.Errorf("algorithms NIA%d/NEA%d, want NIA2/NEA2", u.sec.IntAlg, u.sec.EncAlg)
	}
	if acc.GUTI == nil || acc.GUTI.PLMN != homePLMN || acc.GUTI.AMFSetID != 1 || len(acc.TAIList) != 1 {
		t.Errorf("accept %+v", acc)
	}
	// The subscriber has SST 1 without SD; SD 010203 was requested, so
	// the default subscribed slice is allowed instead.
	if len(acc.AllowedNSSAI) != 1 || acc.AllowedNSSAI[0] != sliceNoSD {
		t.Errorf("allowed NSSAI %v, want [%v]", acc.AllowedNSSAI, sliceNoSD)
	}
	waitMetric(t, e.amf, `corebox_amf_registrations_total{result="accepted"}`, 1)
	waitMetric(t, e.amf, "corebox_amf_registered_ues", 1)
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 1)
	m := scrape(t, e.amf)
	if m[`corebox_amf_authentications_total{result="success"}`] != 1 || m["corebox_amf_registration_duration_seconds_count"] != 1 {
		t.Errorf("metrics: %v", m)
	}
	// A second UE on the same gNB gets another 5G-TMSI.
	u2 := newTestUE(t, g, 2, testK, 0)
	acc2, err := u2.register()
	must(t, err)
	if acc2.GUTI.TMSI == acc.GUTI.TMSI {
		t.Error("two UEs share a 5G-TMSI")
	}
}

func TestRegistrationNullCiphering(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.Security.CipheringOrder = []string{"NEA0"} })
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	_, err := u.register()
	must(t, err)
	if u.sec.IntAlg != nas5g.NIA2 || u.sec.EncAlg != nas5g.NEA0 {
		t.Errorf("algorithms NIA%d/NEA%d, want NIA2/NEA0", u.sec.IntAlg, u.sec.EncAlg)
	}
}

func TestRegistrationNoCommonAlgorithm(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.Security.IntegrityOrder = []string{"NIA3", "NIA1"} })
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	u.secCap.IA = nas5g.AlgBit(nas5g.NIA2) // the UE only does NIA2
	_, err := u.register()
	var rej *errRejected
	if !errors.As(err, &rej) || rej.what != nas5g.MsgRegistrationReject || rej.cause != nas5g.CauseUESecurityCapMismatch {
		t.Fatalf("register: %v, want Registration Reject #23", err)
	}
}
