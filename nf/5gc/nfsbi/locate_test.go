package nfsbi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

const udrDR = models.Nrf_NFMgmt_ServiceName_NUDR_DR

func TestServiceRoot(t *testing.T) {
	svc := func(mod func(*models.Nrf_NFDisc_NFService)) models.Nrf_NFDisc_NFService {
		s := models.Nrf_NFDisc_NFService{ServiceInstanceId: "1", ServiceName: udrDR}
		mod(&s)
		return s
	}
	v4ep := []models.Nrf_NFMgmt_IpEndPoint{{Ipv4Address: "10.0.0.7", Port: 8000}}
	tests := []struct {
		name string
		p    models.Nrf_NFDisc_NFProfile
		want string // "": not found
	}{
		{"apiPrefix", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) { s.ApiPrefix = "http://udr-0:8000/" })}}, "http://udr-0:8000"},
		{"v4 endpoint, https", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) { s.Scheme, s.IpEndPoints = "https", v4ep })}}, "https://10.0.0.7:8000"},
		{"v6 endpoint", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) {
				s.IpEndPoints = []models.Nrf_NFMgmt_IpEndPoint{{Ipv6Address: "fd00::7", Port: 80}}
			})}}, "http://[fd00::7]:80"},
		{"service fqdn", models.Nrf_NFDisc_NFProfile{Fqdn: "nf.example", NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) { s.Fqdn = "udr.example" })}}, "http://udr.example"},
		{"profile fqdn", models.Nrf_NFDisc_NFProfile{Fqdn: "nf.example", NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(*models.Nrf_NFDisc_NFService) {})}}, "http://nf.example"},
		{"profile v6 address, no port", models.Nrf_NFDisc_NFProfile{Ipv6Addresses: []string{"fd00::8"},
			NfServices: []models.Nrf_NFDisc_NFService{svc(func(*models.Nrf_NFDisc_NFService) {})}}, "http://[fd00::8]"},
		{"service list", models.Nrf_NFDisc_NFProfile{NfServiceList: map[string]models.Nrf_NFDisc_NFService{
			"1": svc(func(s *models.Nrf_NFDisc_NFService) { s.IpEndPoints = v4ep })}}, "http://10.0.0.7:8000"},
		{"other service only", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) {
				s.ServiceName, s.IpEndPoints = models.Nrf_NFMgmt_ServiceName_NUDM_SDM, v4ep
			})}}, ""},
		{"suspended service skipped", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) {
				s.ApiPrefix, s.NfServiceStatus = "http://a:1", models.Nrf_NFMgmt_NFServiceStatus_SUSPENDED
			}),
			svc(func(s *models.Nrf_NFDisc_NFService) { s.ApiPrefix = "http://b:1" })}}, "http://b:1"},
		{"malformed apiPrefix skipped", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(s *models.Nrf_NFDisc_NFService) { s.ApiPrefix = "udr-0:8000" })}}, ""},
		{"no address at all", models.Nrf_NFDisc_NFProfile{NfServices: []models.Nrf_NFDisc_NFService{
			svc(func(*models.Nrf_NFDisc_NFService) {})}}, ""},
	}
	for _, tt := range tests {
		root, ok := nfsbi.ServiceRoot(tt.p, udrDR)
		if root != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: %q, %v; want %q", tt.name, root, ok, tt.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	canceled, cancel := context.WithCancel(bg)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"success", bg, nil, false},
		{"no answer", bg, errors.New("dial tcp: connection refused"), true},
		{"503", bg, sbi.NewProblem(503, nfsbi.CauseNFServiceFailover, ""), true},
		{"404", bg, sbi.NewProblem(404, "USER_NOT_FOUND", ""), false},
		{"500", bg, sbi.NewProblem(500, sbi.CauseSystemFailure, ""), false},
		{"our context ended", canceled, errors.New("context canceled"), false},
	}
	for _, tt := range tests {
		if got := nfsbi.Retryable(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFixedLocatorDoesNotRetry(t *testing.T) {
	l := nfsbi.FixedLocator("http://udr-0:8000/")
	calls := 0
	err := l.Call(bg, func(root string) error {
		calls++
		if root != "http://udr-0:8000" {
			t.Errorf("root %q", root)
		}
		return sbi.NewProblem(http.StatusServiceUnavailable, nfsbi.CauseNFServiceFailover, "")
	})
	if sbi.StatusOf(err) != 503 || calls != 1 || l.Discovered() {
		t.Errorf("Call = %v after %d calls, want the 503 after 1", err, calls)
	}
}

// A discovered peer that starts draining answers 503 and turns SUSPENDED;
// the cached discovery still names it, so Call forgets it and lands on
// the other instance.
func TestNRFLocatorFailsOver(t *testing.T) {
	nfkittest.NoLeaks(t)
	nrfURL := startNRF(t)
	ids := []string{"8f14e45f-ceea-467f-a0e6-bb0c1c3a1a01", "8f14e45f-ceea-467f-a0e6-bb0c1c3a1a02"}
	peers := map[string]string{} // root -> id
	clients := map[string]*nrfc.Client{}
	for i, id := range ids {
		root := fmt.Sprintf("http://127.0.0.%d:8000", i+10)
		c := nrfClient(t, nrfURL)
		if _, err := c.Register(bg, profile(t, id, models.Nrf_NFMgmt_NFType_UDR, root, udrDR)); err != nil {
			t.Fatal(err)
		}
		peers[root], clients[root] = id, c
	}
	l := nfsbi.NRFLocator(nrfClient(t, nrfURL), models.Nrf_NFMgmt_NFType_UDR, models.Nrf_NFMgmt_NFType_UDM, "", udrDR)
	first, err := l.Root(bg)
	if err != nil || peers[first] == "" {
		t.Fatalf("Root = %q, %v; want one of the peers", first, err)
	}
	if err := clients[first].SetStatus(bg, models.Nrf_NFMgmt_NFStatus_SUSPENDED); err != nil {
		t.Fatal(err)
	}
	var tried []string
	err = l.Call(bg, func(root string) error {
		tried = append(tried, root)
		if root == first {
			return sbi.NewProblem(http.StatusServiceUnavailable, nfsbi.CauseNFServiceFailover, "draining")
		}
		return nil
	})
	if err != nil || len(tried) != 2 || tried[0] != first || peers[tried[1]] == "" || tried[1] == first {
		t.Fatalf("Call = %v, tried %v; want %s then the other peer", err, tried, first)
	}
	// Both gone: a clear error, not a guess.
	other := tried[1]
	if err := clients[other].SetStatus(bg, models.Nrf_NFMgmt_NFStatus_SUSPENDED); err != nil {
		t.Fatal(err)
	}
	l.Forget()
	if root, err := l.Root(bg); !errors.Is(err, nfsbi.ErrNoInstance) {
		t.Errorf("with every peer suspended: %q, %v; want ErrNoInstance", root, err)
	}
}

func TestLocatorDo(t *testing.T) {
	nfkittest.NoLeaks(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /nudr-dr/v2/thing", func(w http.ResponseWriter, _ *http.Request) {
		sbi.WriteJSON(w, http.StatusOK, map[string]int{"a": 1})
	})
	root := serveSBI(t, mux)
	l := nfsbi.FixedLocator(root + "/")
	var out struct{ A int }
	resp, err := l.Do(bg, sbiClient(t), "GET", "/nudr-dr/v2/thing", nil, &out)
	if err != nil || resp.Status != http.StatusOK || out.A != 1 {
		t.Fatalf("Do = %+v, %v, out %+v", resp, err, out)
	}
	if _, err := l.Do(bg, sbiClient(t), "GET", "/nudr-dr/v2/other", nil, nil); !sbi.IsNotFound(err) {
		t.Errorf("unknown path: %v, want 404", err)
	}
}
