// Package udrtest runs a UDR in-process for tests (loopback addresses, a
// database under t.TempDir()) and a minimal fake NRF that UDR, UDM and
// AUSF tests register with and discover through.
package udrtest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// Config is the default UDR config on 127.0.0.1:0 with a fresh database.
func Config(t testing.TB) udr.Config {
	t.Helper()
	cfg := udr.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	cfg.DB.Path = filepath.Join(t.TempDir(), "udr.db")
	return cfg
}

// Start builds and runs a UDR from cfg and waits until it is ready.
func Start(t testing.TB, cfg udr.Config) (*udr.NF, *nfkittest.Running) {
	t.Helper()
	// Debug records are formatted and dropped: the debug paths run too.
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n, err := udr.New(cfg, nfkit.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "udr ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}

// OpsURL is the UDR's ops server base URL.
func OpsURL(n *udr.NF) string { return "http://" + n.Ops().Addr().String() }

// Provision adds p through the provisioning API, failing t unless 201.
func Provision(t testing.TB, n *udr.NF, p udr.Provision) {
	t.Helper()
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(OpsURL(n)+udr.ProvisioningPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("provision %s: %d %s", p.IMSI, resp.StatusCode, msg)
	}
}
