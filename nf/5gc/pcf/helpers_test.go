package pcf_test

import (
	"context"
	"testing"

	"github.com/free5gc/openapi/models"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/pcf/pcftest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

var bg = context.Background()

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

// smContext is what an SMF sends for PDU session psi of supi on dnn.
func smContext(supi string, psi int32, dnn string) models.Pcf_SMPolCtrl_SmPolicyContextData {
	return models.Pcf_SMPolCtrl_SmPolicyContextData{
		Supi: supi, PduSessionId: psi, Dnn: dnn,
		PduSessionType:  models.PduSessionType_IPV4,
		SliceInfo:       &models.Snssai{Sst: 1},
		NotificationUri: "http://127.0.0.1:1/nsmf-callback/sm-policy-notify/1",
		AccessType:      models.AccessType_3_GPP_ACCESS,
		RatType:         models.RatType_NR,
	}
}

// labConfig has two DNN policies beside the default.
func labConfig() pcf.Config {
	cfg := pcftest.Config()
	cfg.Policies.DNNs = map[string]pcf.QoSConfig{
		"internet": {FiveQI: 8, AMBR: pcf.AMBRConfig{Uplink: "200 Mbps", Downlink: "500 Mbps"}},
		"ims":      {FiveQI: 5, ARP: pcf.ARPConfig{Priority: 1, PreemptCap: "MAY_PREEMPT"}},
	}
	return cfg
}

// env is a running PCF and a client of it.
type env struct {
	pcf *pcf.NF
	c   *pcf.Client
	sbi *sbi.Client
	url string
}

func start(t *testing.T, cfg pcf.Config) env {
	t.Helper()
	n, _ := pcftest.Start(t, cfg)
	s := sbiClient(t)
	return env{pcf: n, c: pcf.NewClient(s), sbi: s, url: n.SBI().URL()}
}
