package upf

import (
	"context"
	"net/netip"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
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
	nfkittest.Eventually(t, wait, "nrf listening", func() bool { return n.SBI().Addr() != nil })
	return n.SBI().URL()
}

func TestNRFRegistrationAndDrain(t *testing.T) {
	nfkittest.NoLeaks(t)
	url := startNRF(t)
	cfg := testConfig()
	cfg.NRF = NRFConfig{URI: url, InstanceID: "7c1a4f1e-0000-4000-8000-00000000f001"}
	cfg.NSSAI = []Snssai{{SST: 1, SD: "0000AB"}}
	cfg.UEPools = []UEPool{{CIDR: "10.45.0.0/16", DNN: "internet"}, {CIDR: "10.46.0.0/24", DNN: "internet"},
		{CIDR: "10.47.0.0/16", DNN: "ims"}}
	cfg.N3Address = "192.0.2.33"
	n := newUPF(t, cfg, 0)
	runUPF(t, n) // ready means registered

	sc, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.CloseIdleConnections()
	client, err := nrfc.New(sc, url, nrfc.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	q := nrfc.Query{TargetNfType: models.Nrf_NFMgmt_NFType_UPF, RequesterNfType: models.Nrf_NFMgmt_NFType_SMF,
		Dnn: "ims", Snssais: []models.Snssai{{Sst: 1, Sd: "0000ab"}}}
	res, err := client.Discover(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NfInstances) != 1 {
		t.Fatalf("discovered %d UPFs", len(res.NfInstances))
	}
	p := res.NfInstances[0]
	info := p.UpfInfo
	if p.NfInstanceId != cfg.NRF.InstanceID || info == nil || len(info.InterfaceUpfInfoList) != 1 ||
		info.InterfaceUpfInfoList[0].InterfaceType != models.Nrf_NFMgmt_UPInterfaceType_N3 ||
		info.InterfaceUpfInfoList[0].Ipv4EndpointAddresses[0] != "192.0.2.33" ||
		len(p.Ipv4Addresses) != 1 || p.Ipv4Addresses[0] != "127.0.0.1" {
		t.Fatalf("profile %+v upfInfo %+v", p, info)
	}
	dnns := info.SNssaiUpfInfoList[0].DnnUpfInfoList
	if len(dnns) != 2 || dnns[0].Dnn != "internet" || len(dnns[0].Ipv4AddressRanges) != 2 ||
		dnns[0].Ipv4AddressRanges[1] != (models.Nrf_NFMgmt_Ipv4AddressRange{Start: "10.46.0.0", End: "10.46.0.255"}) ||
		dnns[1].Dnn != "ims" {
		t.Fatalf("dnn list %+v", dnns)
	}

	n.Ops().StartDrain()
	nfkittest.Eventually(t, wait, "profile suspended", func() bool {
		client.InvalidateCache(models.Nrf_NFMgmt_NFType_UPF, "")
		res, err := client.Discover(context.Background(), q)
		return err == nil && len(res.NfInstances) == 0
	})
}

func TestAddressRange(t *testing.T) {
	for cidr, want := range map[string][2]string{
		"10.45.0.0/16":  {"10.45.0.0", "10.45.255.255"},
		"10.0.0.0/8":    {"10.0.0.0", "10.255.255.255"},
		"192.0.2.17/32": {"192.0.2.17", "192.0.2.17"},
		"0.0.0.0/0":     {"0.0.0.0", "255.255.255.255"},
	} {
		r := addressRange(netip.MustParsePrefix(cidr))
		if r.Start != want[0] || r.End != want[1] {
			t.Errorf("%s: %s-%s", cidr, r.Start, r.End)
		}
	}
}
