package sbi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// serve runs h on an SBI server at 127.0.0.1:0 until the test ends and
// returns its base URL.
func serve(t *testing.T, cfg sbi.ServerConfig, h http.Handler) string {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	srv, err := sbi.NewServer(cfg, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	nfkittest.Eventually(t, 5*time.Second, "sbi server listening", func() bool { return srv.Addr() != nil })
	return srv.URL()
}

func newClient(t *testing.T, cfg sbi.ClientConfig) *sbi.Client {
	t.Helper()
	c, err := sbi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// echo answers {"proto": ..., "contentType": ..., "body": <request JSON>}.
func echo(w http.ResponseWriter, r *http.Request) {
	var in any
	if r.ContentLength != 0 && r.Method != http.MethodGet {
		if err := sbi.ReadJSON(w, r, &in); err != nil {
			return
		}
	}
	sbi.WriteJSON(w, http.StatusOK, map[string]any{
		"proto": r.Proto, "contentType": r.Header.Get("Content-Type"), "body": in})
}

type echoed struct {
	Proto       string `json:"proto"`
	ContentType string `json:"contentType"`
	Body        any    `json:"body"`
}

func TestH2CRoundTrip(t *testing.T) {
	nfkittest.NoLeaks(t)
	url := serve(t, sbi.ServerConfig{}, http.HandlerFunc(echo))
	c := newClient(t, sbi.ClientConfig{})
	tests := []struct {
		name, method string
		body         any
		wantCT       string
	}{
		{"get", http.MethodGet, nil, ""},
		{"put profile", http.MethodPut, models.Nrf_NFMgmt_NFProfile{NfInstanceId: "a", NfType: "AMF"}, sbi.ContentJSON},
		{"patch items", http.MethodPatch, []models.PatchItem{{Op: "replace", Path: "/load", Value: 5}}, sbi.ContentPatch},
		{"raw bytes", http.MethodPost, []byte(`{"x":1}`), sbi.ContentJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got echoed
			resp, err := c.Do(context.Background(), tt.method, url+"/x", tt.body, &got)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != 200 || got.Proto != "HTTP/2.0" || got.ContentType != tt.wantCT {
				t.Errorf("status %d proto %q content type %q; want 200 HTTP/2.0 %q",
					resp.Status, got.Proto, got.ContentType, tt.wantCT)
			}
			if tt.body != nil && got.Body == nil {
				t.Error("body did not arrive")
			}
		})
	}
}

// Tools such as curl speak HTTP/1.1 without prior knowledge; the same port
// serves them.
func TestServerAlsoServesHTTP1(t *testing.T) {
	url := serve(t, sbi.ServerConfig{}, http.HandlerFunc(echo))
	code, body := nfkittest.Do(t, http.MethodGet, url+"/x", "")
	if code != 200 || !strings.Contains(body, `"proto":"HTTP/1.1"`) {
		t.Errorf("HTTP/1.1 GET = %d %s", code, body)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	url := serve(t, sbi.ServerConfig{TLS: &sbi.TLSConfig{Cert: cert, Key: key}}, http.HandlerFunc(echo))
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("URL %q is not https", url)
	}
	c := newClient(t, sbi.ClientConfig{CA: cert})
	var got echoed
	if _, err := c.Do(context.Background(), http.MethodGet, url+"/x", nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.Proto != "HTTP/2.0" {
		t.Errorf("proto %q over TLS, want HTTP/2.0", got.Proto)
	}
	// A client without the CA refuses the server.
	if _, err := newClient(t, sbi.ClientConfig{}).Do(context.Background(), http.MethodGet, url+"/x", nil, nil); err == nil {
		t.Error("untrusted certificate accepted")
	}
}

func TestNewServerRejects(t *testing.T) {
	bad := []sbi.ServerConfig{
		{Listen: "8000"},
		{Listen: ":0", TLS: &sbi.TLSConfig{Cert: "c.pem"}},
		{Listen: ":0", TLS: &sbi.TLSConfig{Cert: "/nonexistent/c.pem", Key: "/nonexistent/k.pem"}},
	}
	for _, cfg := range bad {
		if _, err := sbi.NewServer(cfg, nfkittest.Quiet()); err == nil {
			t.Errorf("NewServer(%+v) accepted", cfg)
		}
	}
}

func TestProblemErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/problem", func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseSubscriptionNotFound, "no such subscription")
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "plain failure", http.StatusBadGateway)
	})
	mux.HandleFunc("/wrapped", func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteError(w, errors.New("disk on fire"))
	})
	url := serve(t, sbi.ServerConfig{}, mux)
	c := newClient(t, sbi.ClientConfig{})
	tests := []struct {
		path       string
		status     int
		cause      string
		detailPart string
	}{
		{"/problem", 404, sbi.CauseSubscriptionNotFound, "no such subscription"},
		{"/text", 502, "", "plain failure"},
		{"/wrapped", 500, sbi.CauseSystemFailure, "disk on fire"},
	}
	for _, tt := range tests {
		resp, err := c.Do(context.Background(), http.MethodGet, url+tt.path, nil, nil)
		var pe *sbi.ProblemError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: err %v is not a ProblemError", tt.path, err)
		}
		if resp == nil || resp.Status != tt.status || pe.Status != tt.status || int(pe.Problem.Status) != tt.status {
			t.Errorf("%s: resp %v, problem %+v; want status %d", tt.path, resp, pe, tt.status)
		}
		if sbi.CauseOf(err) != tt.cause || !strings.Contains(pe.Problem.Detail, tt.detailPart) {
			t.Errorf("%s: problem %+v, want cause %q detail ~%q", tt.path, pe.Problem, tt.cause, tt.detailPart)
		}
	}
	if sbi.StatusOf(errors.New("x")) != 0 || sbi.IsNotFound(nil) {
		t.Error("StatusOf/IsNotFound of non-problems")
	}
}

func TestResponseBounded(t *testing.T) {
	url := serve(t, sbi.ServerConfig{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteJSON(w, 200, strings.Repeat("x", 4096))
	}))
	var s string
	_, err := newClient(t, sbi.ClientConfig{MaxResponseBytes: 1024}).Do(context.Background(), "GET", url, nil, &s)
	if err == nil || !strings.Contains(err.Error(), "over 1024 bytes") {
		t.Errorf("oversized response: err %v", err)
	}
	if _, err := newClient(t, sbi.ClientConfig{}).Do(context.Background(), "GET", url, nil, &s); err != nil || len(s) != 4096 {
		t.Errorf("default bound: err %v, %d bytes", err, len(s))
	}
}

func TestClientTimeout(t *testing.T) {
	url := serve(t, sbi.ServerConfig{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; the client gives up
	}))
	c := newClient(t, sbi.ClientConfig{Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := c.Do(context.Background(), "GET", url, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want deadline exceeded", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("timed out after %v", took)
	}
	// A caller's own deadline wins over the default.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := newClient(t, sbi.ClientConfig{}).Do(ctx, "GET", url, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ctx deadline: err %v", err)
	}
}

func TestServerStopsOnCancel(t *testing.T) {
	nfkittest.NoLeaks(t)
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != nil || srv.URL() != "" {
		t.Error("address before listening")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, http.HandlerFunc(echo)) }()
	nfkittest.Eventually(t, 5*time.Second, "listening", func() bool { return srv.Addr() != nil })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Error("still accepting after Run returned")
	}
}

func TestRunBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: ln.Addr().String()}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(context.Background(), http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "sbi: listen") {
		t.Errorf("Run on a busy port = %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key under dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sbi-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(p, typ string, b []byte) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}
