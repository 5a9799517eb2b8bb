package nfsbi_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// keepRegistered runs KeepRegistered until the returned stop is called;
// stop reports what it returned.
func keepRegistered(t *testing.T, nrf *nrfc.Client, p models.Nrf_NFMgmt_NFProfile, drained <-chan struct{}) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- nfsbi.KeepRegistered(ctx, nrf, p, drained, nfkittest.Quiet()) }()
	t.Cleanup(cancel)
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("KeepRegistered did not return after cancel")
			return nil
		}
	}
}

func TestKeepRegisteredSuspendsOnDrain(t *testing.T) {
	nfkittest.NoLeaks(t)
	nrfURL := startNRF(t)
	const id = "3e1c7a52-9b0d-4c1e-8f2a-5d6b7c8d9e01"
	nrf := nrfClient(t, nrfURL)
	g := nfsbi.NewGate(nil)
	stop := keepRegistered(t, nrf, profile(t, id, models.Nrf_NFMgmt_NFType_PCF, "http://127.0.0.1:8000",
		models.Nrf_NFMgmt_ServiceName_NPCF_SMPOLICYCONTROL), g.Drained())
	nfkittest.Eventually(t, 5*time.Second, "registered", func() bool {
		return status(t, nrfURL, id) == models.Nrf_NFMgmt_NFStatus_REGISTERED
	})
	g.StartDrain()
	nfkittest.Eventually(t, 5*time.Second, "SUSPENDED at the NRF", func() bool {
		return status(t, nrfURL, id) == models.Nrf_NFMgmt_NFStatus_SUSPENDED
	})
	if err := stop(); err != nil {
		t.Errorf("KeepRegistered = %v, want nil when ctx ends", err)
	}
	if s := status(t, nrfURL, id); s != "" {
		t.Errorf("after the end the NRF still holds the profile (%s), want it deregistered", s)
	}
}

// A drain that starts before the registration went through still ends
// SUSPENDED: the suspension is retried.
func TestKeepRegisteredDrainBeforeRegistration(t *testing.T) {
	nfkittest.NoLeaks(t)
	// Reserve an address for the NRF that is not up yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	const id = "3e1c7a52-9b0d-4c1e-8f2a-5d6b7c8d9e02"
	nrf := nrfClient(t, "http://"+addr)
	g := nfsbi.NewGate(nil)
	g.StartDrain()
	stop := keepRegistered(t, nrf, profile(t, id, models.Nrf_NFMgmt_NFType_NSSF, "http://127.0.0.1:8000",
		models.Nrf_NFMgmt_ServiceName_NNSSF_NSSELECTION), g.Drained())
	nrfURL := startNRFAt(t, addr)
	nfkittest.Eventually(t, 10*time.Second, "SUSPENDED at the NRF", func() bool {
		return status(t, nrfURL, id) == models.Nrf_NFMgmt_NFStatus_SUSPENDED
	})
	if err := stop(); err != nil {
		t.Errorf("KeepRegistered = %v", err)
	}
}

func TestReady(t *testing.T) {
	nrfURL := startNRF(t)
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}
	if ok, why := nfsbi.Ready(nil, nil); ok || why == "" {
		t.Errorf("not listening: %v %q", ok, why)
	}
	if ok, why := nfsbi.Ready(addr, nil); !ok {
		t.Errorf("listening, no NRF: %v %q", ok, why)
	}
	nrf := nrfClient(t, nrfURL)
	if ok, why := nfsbi.Ready(addr, nrf); ok || why == "" {
		t.Errorf("not registered: %v %q", ok, why)
	}
	if _, err := nrf.Register(bg, profile(t, "3e1c7a52-9b0d-4c1e-8f2a-5d6b7c8d9e03", models.Nrf_NFMgmt_NFType_AUSF,
		"http://127.0.0.1:8000", models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH)); err != nil {
		t.Fatal(err)
	}
	if ok, why := nfsbi.Ready(addr, nrf); !ok {
		t.Errorf("registered: %v %q", ok, why)
	}
}
