package amf

import (
	"context"
	"net/http"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func startNRF(t *testing.T) string {
	t.Helper()
	cfg := nrf.DefaultConfig()
	cfg.Ops.Listen, cfg.SBI.Listen = "127.0.0.1:0", "127.0.0.1:0"
	n, err := nrf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, waitFor, "nrf ready", func() bool { ok, _ := n.Ready(); return ok })
	return n.SBI().URL()
}

// With only nrf.uri, the AMF registers itself (amfInfo with its GUAMI and
// TAIs), finds the AUSF and UDM by discovery, and turns SUSPENDED when
// drained; Remaining counts its CM-CONNECTED UEs.
func TestNRFRegistrationDiscoveryDrain(t *testing.T) {
	nrfURI := startNRF(t)
	u, _ := udrtest.Start(t, udrtest.Config(t))
	udrtest.Provision(t, u, udr.Provision{IMSI: imsi(1), K: testK, OPc: testOPc, SQN: "20"})
	mcfg := udmtest.Config(u.SBIURL())
	mcfg.NRF.URI, mcfg.NRF.InstanceID = nrfURI, "5a7c0f2e-0000-4000-8000-00000000000d"
	udmtest.Start(t, mcfg)
	acfg := ausf.DefaultConfig()
	acfg.Ops.Listen, acfg.SBI.Listen, acfg.NRF.URI = "127.0.0.1:0", "127.0.0.1:0", nrfURI
	acfg.NRF.InstanceID = "5a7c0f2e-0000-4000-8000-00000000000a"
	a, err := ausf.New(acfg, nfkit.WithLogger(nfkittest.Quiet()))
	must(t, err)
	nfkittest.Start(t, a)
	nfkittest.Eventually(t, waitFor, "ausf registered", func() bool { ok, _ := a.Ready(); return ok })

	smf := startFakeSMF(t)
	cfg := testConfig("", "", smf.url)
	cfg.NRF.URI, cfg.NRF.InstanceID = nrfURI, "5a7c0f2e-0000-4000-8000-0000000000af"
	amf := startAMF(t, cfg)
	smf.amf.Store(new(amf.SBIURL()))
	t.Cleanup(smf.client.CloseIdleConnections)

	c, err := sbi.NewClient(sbi.ClientConfig{})
	must(t, err)
	t.Cleanup(c.CloseIdleConnections)
	var prof models.Nrf_NFMgmt_NFProfile
	_, err = c.Do(context.Background(), http.MethodGet, nrfURI+"/nnrf-nfm/v1/nf-instances/"+cfg.NRF.InstanceID, nil, &prof)
	must(t, err)
	if prof.NfType != models.Nrf_NFMgmt_NFType_AMF || prof.AmfInfo == nil || len(prof.AmfInfo.GuamiList) != 1 ||
		prof.AmfInfo.GuamiList[0].AmfId != "010040" || len(prof.AmfInfo.TaiList) != 1 || prof.AmfInfo.TaiList[0].Tac != "000001" {
		t.Fatalf("registered profile %+v amfInfo %+v", prof, prof.AmfInfo)
	}

	ue := newTestUE(t, newGNB(t, amf), 1, testK, 0)
	_, err = ue.register()
	must(t, err)
	waitMetric(t, amf, "corebox_amf_connected_ues", 1)

	amf.Ops().StartDrain()
	if got := amf.Ops().DrainStatus(); !got.Draining || got.Remaining != 1 {
		t.Errorf("drain status %+v, want draining with 1 remaining", got)
	}
	nfkittest.Eventually(t, waitFor, "profile SUSPENDED", func() bool {
		var p models.Nrf_NFMgmt_NFProfile
		_, err := c.Do(context.Background(), http.MethodGet, nrfURI+"/nnrf-nfm/v1/nf-instances/"+cfg.NRF.InstanceID, nil, &p)
		return err == nil && p.NfStatus == models.Nrf_NFMgmt_NFStatus_SUSPENDED
	})
	must(t, ue.release())
	nfkittest.Eventually(t, waitFor, "drained", func() bool { return amf.Ops().DrainStatus().Drained() })
}
