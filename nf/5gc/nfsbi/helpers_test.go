package nfsbi_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

var bg = context.Background()

// startNRF runs a real NRF on loopback and returns its apiRoot.
func startNRF(t *testing.T) string {
	t.Helper()
	return startNRFAt(t, "127.0.0.1:0")
}

// startNRFAt runs a real NRF with its SBI on addr.
func startNRFAt(t *testing.T, addr string) string {
	t.Helper()
	cfg := nrf.DefaultConfig()
	cfg.Ops.Listen, cfg.SBI.Listen = "127.0.0.1:0", addr
	n, err := nrf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 5*time.Second, "nrf listening", func() bool { return n.SBI().Addr() != nil })
	return n.SBI().URL()
}

func sbiClient(t testing.TB) *sbi.Client {
	t.Helper()
	c, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func nrfClient(t testing.TB, nrfURL string) *nrfc.Client {
	t.Helper()
	c, err := nrfc.New(sbiClient(t), nrfURL, nrfc.WithLogger(nfkittest.Quiet()),
		nrfc.WithRetryInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func profile(t testing.TB, id string, typ models.Nrf_NFMgmt_NFType, advertise string,
	services ...models.Nrf_NFMgmt_ServiceName) models.Nrf_NFMgmt_NFProfile {
	t.Helper()
	p, err := nfsbi.NFProfile(id, typ, advertise, services...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// status is id's nfStatus at the NRF, "" when it holds no such profile.
func status(t testing.TB, nrfURL, id string) models.Nrf_NFMgmt_NFStatus {
	t.Helper()
	var p models.Nrf_NFMgmt_NFProfile
	_, err := sbiClient(t).Do(bg, "GET", nrfURL+nrfc.PathNFInstances+"/"+id, nil, &p)
	if sbi.IsNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return p.NfStatus
}

// serveSBI serves h over h2c on loopback until the test ends and returns
// its apiRoot.
func serveSBI(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sbi server: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
