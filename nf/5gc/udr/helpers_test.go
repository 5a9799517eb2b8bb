package udr_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// TS 35.208 test set 1: K, OP and the OPc they give.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOP  = "cdc202d5123e20f62b6d676ac72cb318"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
	imsi1   = "001010000000001"
	imsi2   = "001010000000002"
)

func startUDR(t *testing.T) (*udr.NF, string) {
	t.Helper()
	n, _ := udrtest.Start(t, udrtest.Config(t))
	return n, udrtest.OpsURL(n) + udr.ProvisioningPath
}

func send(t *testing.T, method, url, ctype, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func errorText(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("body %q is not {\"error\": ...}", body)
	}
	return e.Error
}

func sbiClient(t *testing.T) *sbi.Client {
	t.Helper()
	c, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func udrClient(t *testing.T, n *udr.NF) *udr.Client {
	return udr.NewClient(sbiClient(t), nfsbi.FixedLocator(n.SBIURL()))
}

func metric(t *testing.T, n *udr.NF, line string) bool {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	return strings.Contains(body, line+"\n")
}

var bg = context.Background()
