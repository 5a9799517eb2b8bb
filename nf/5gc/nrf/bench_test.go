package nrf

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// fill registers 50 NFs: 20 SMFs and 20 UPFs over 4 slices and 2 DNNs,
// and 10 AMFs.
func fill(b *testing.B, n *NF) {
	b.Helper()
	dnns := []string{"internet", "ims"}
	for i := range 20 {
		sd := fmt.Sprintf("%06x", i%4+1)
		s := smf(fmt.Sprintf("smf-%02d", i), sd, dnns[i%2])
		u := models.Nrf_NFMgmt_NFProfile{NfInstanceId: fmt.Sprintf("upf-%02d", i), NfType: "UPF", NfStatus: "REGISTERED",
			UpfInfo: &models.Nrf_NFMgmt_UpfInfo{SNssaiUpfInfoList: []models.Nrf_NFMgmt_SnssaiUpfInfoItem{{
				SNssai: &models.ExtSnssai{Sst: 1, Sd: sd}, DnnUpfInfoList: []models.Nrf_NFMgmt_DnnUpfInfoItem{{Dnn: dnns[i%2]}}}}}}
		for _, p := range []models.Nrf_NFMgmt_NFProfile{s, u} {
			if _, _, err := n.register(p.NfInstanceId, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := range 10 {
		a := models.Nrf_NFMgmt_NFProfile{NfInstanceId: fmt.Sprintf("amf-%02d", i), NfType: "AMF", NfStatus: "REGISTERED"}
		if _, _, err := n.register(a.NfInstanceId, a); err != nil {
			b.Fatal(err)
		}
	}
}

var benchQuery = nrfc.Query{TargetNfType: "SMF", RequesterNfType: "AMF",
	Snssais: []models.Snssai{{Sst: 1, Sd: "000001"}}, Dnn: "internet"}

// BenchmarkDiscovery: discovery searches against 50 NFs, answered in
// process (the baseline: search and encoding alone) and over h2c on
// loopback (what an NF sees). Compare the req/s of the two.
func BenchmarkDiscovery(b *testing.B) {
	b.Run("handler", func(b *testing.B) {
		n := newNF(b, newClock())
		fill(b, n)
		h := n.Handler()
		target := nrfc.PathDiscovery + "?" + benchQuery.Encode()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("h2c", func(b *testing.B) {
		n, url, _ := startNRF(b, testConfig(), newClock())
		fill(b, n)
		c := sbiClient(b)
		target := url + nrfc.PathDiscovery + "?" + benchQuery.Encode()
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var res models.Nrf_NFDisc_SearchResult
				if _, err := c.Do(ctx, "GET", target, nil, &res); err != nil || len(res.NfInstances) != 5 {
					b.Errorf("discover: %d found, %v", len(res.NfInstances), err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
