package nssf_test

import (
	"context"
	"testing"

	"github.com/free5gc/openapi/models"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/5gc/nssf/nssftest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

var bg = context.Background()

// amf is the requester of the tests.
var amf = nssf.Requester{NfType: models.Nrf_NFMgmt_NFType_AMF, NfID: "7c2b2d7e-4a63-4b9c-9d4f-4b0f8d5e3a11"}

func sbiClient(t testing.TB) *sbi.Client {
	t.Helper()
	c, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func counter(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// labConfig supports eMBB without SD, eMBB 0102ab (own NRF and NSI) and
// URLLC 000001 (an NSI, no NRF known).
func labConfig() nssf.Config {
	cfg := nssftest.Config()
	cfg.Slices = []nssf.SliceConfig{
		{SST: 1},
		{SST: 1, SD: "0102ab", NSI: "nsi-embb-1", NRF: "http://10.0.0.9:8000"},
		{SST: 2, SD: "000001", NSI: "nsi-urllc"},
	}
	return cfg
}

func sn(sst int32, sd string) models.Snssai { return models.Snssai{Sst: sst, Sd: sd} }

func sub(s models.Snssai, dflt bool) models.Nssf_NSSel_SubscribedSnssai {
	return models.Nssf_NSSel_SubscribedSnssai{SubscribedSnssai: &s, DefaultIndication: dflt}
}

type env struct {
	nssf *nssf.NF
	c    *nssf.Client
	sbi  *sbi.Client
	url  string
}

func start(t *testing.T, cfg nssf.Config) env {
	t.Helper()
	n, _ := nssftest.Start(t, cfg)
	s := sbiClient(t)
	return env{nssf: n, c: nssf.NewClient(s), sbi: s, url: n.SBI().URL()}
}

// allowed lists the allowed S-NSSAIs of a 3GPP access answer.
func allowed(t *testing.T, info models.Nssf_NSSel_AuthorizedNetworkSliceInfo) []models.Snssai {
	t.Helper()
	if len(info.AllowedNssaiList) == 0 {
		return nil
	}
	if len(info.AllowedNssaiList) != 1 || info.AllowedNssaiList[0].AccessType != models.AccessType_3_GPP_ACCESS {
		t.Fatalf("allowedNssaiList %+v: want one, for 3GPP access", info.AllowedNssaiList)
	}
	var out []models.Snssai
	for _, a := range info.AllowedNssaiList[0].AllowedSnssaiList {
		out = append(out, *a.AllowedSnssai)
	}
	return out
}
