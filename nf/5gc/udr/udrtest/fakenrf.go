package udrtest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// FakeNRF keeps registered profiles in memory and answers discovery by
// NF type and service name: enough NRF for NF tests.
type FakeNRF struct {
	URL string

	mu       sync.Mutex
	profiles map[string]models.Nrf_NFMgmt_NFProfile
}

// StartFakeNRF serves a FakeNRF over h2c on 127.0.0.1 until the test ends.
func StartFakeNRF(t testing.TB) *FakeNRF {
	t.Helper()
	f := &FakeNRF{profiles: map[string]models.Nrf_NFMgmt_NFProfile{}}
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.URL = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("PUT "+nrfc.PathNFInstances+"/{id}", f.put)
	mux.HandleFunc("PATCH "+nrfc.PathNFInstances+"/{id}", f.patch)
	mux.HandleFunc("DELETE "+nrfc.PathNFInstances+"/{id}", f.delete)
	mux.HandleFunc("GET "+nrfc.PathDiscovery, f.discover)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, mux) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake NRF: %v", err)
		}
	})
	return f
}

// Profile is the registered profile of id.
func (f *FakeNRF) Profile(id string) (models.Nrf_NFMgmt_NFProfile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.profiles[id]
	return p, ok
}

// ProfilesOf lists registered profiles of type t.
func (f *FakeNRF) ProfilesOf(t models.Nrf_NFMgmt_NFType) []models.Nrf_NFMgmt_NFProfile {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []models.Nrf_NFMgmt_NFProfile
	for _, p := range f.profiles {
		if p.NfType == t {
			out = append(out, p)
		}
	}
	return out
}

func (f *FakeNRF) put(w http.ResponseWriter, r *http.Request) {
	var p models.Nrf_NFMgmt_NFProfile
	if err := sbi.ReadJSON(w, r, &p); err != nil {
		return
	}
	p.HeartBeatTimer = 60
	f.mu.Lock()
	_, existed := f.profiles[r.PathValue("id")]
	f.profiles[r.PathValue("id")] = p
	f.mu.Unlock()
	code := http.StatusCreated
	if existed {
		code = http.StatusOK
	}
	sbi.WriteJSON(w, code, p)
}

func (f *FakeNRF) patch(w http.ResponseWriter, r *http.Request) {
	var items []models.PatchItem
	if err := sbi.ReadJSON(w, r, &items); err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.profiles[r.PathValue("id")]
	if !ok {
		sbi.WriteProblem(w, http.StatusNotFound, "", "unknown instance")
		return
	}
	for _, it := range items {
		if s, isStr := it.Value.(string); isStr && it.Path == "/nfStatus" {
			p.NfStatus = models.Nrf_NFMgmt_NFStatus(s)
		}
	}
	f.profiles[r.PathValue("id")] = p
	w.WriteHeader(http.StatusNoContent)
}

func (f *FakeNRF) delete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	delete(f.profiles, r.PathValue("id"))
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *FakeNRF) discover(w http.ResponseWriter, r *http.Request) {
	q, err := nrfc.ParseQuery(r.URL.Query())
	if err != nil {
		sbi.WriteError(w, err)
		return
	}
	res := models.Nrf_NFDisc_SearchResult{ValidityPeriod: 60, NfInstances: []models.Nrf_NFDisc_NFProfile{}}
	for _, p := range f.ProfilesOf(q.TargetNfType) {
		if len(q.ServiceNames) > 0 && !slices.ContainsFunc(p.NfServices, func(s models.Nrf_NFMgmt_NFService) bool {
			return slices.Contains(q.ServiceNames, string(s.ServiceName))
		}) {
			continue
		}
		var dp models.Nrf_NFDisc_NFProfile
		b, _ := json.Marshal(p) // a decoded profile always marshals
		if err := json.Unmarshal(b, &dp); err != nil {
			sbi.WriteProblem(w, http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
			return
		}
		res.NfInstances = append(res.NfInstances, dp)
	}
	sbi.WriteJSON(w, http.StatusOK, res)
}
