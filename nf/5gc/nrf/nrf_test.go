package nrf

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"
	"gopkg.in/yaml.v3"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

const (
	idA = "5a3c1d2e-0000-4000-8000-00000000000a"
	idB = "5a3c1d2e-0000-4000-8000-00000000000b"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.SBI.Listen != ":8000" || c.HeartbeatTimer != 10*time.Second || c.HeartbeatGrace != 5*time.Second ||
		c.ValidityPeriod != 30*time.Second || c.Notify.Workers != 4 || c.SBI.TLS != nil {
		t.Errorf("DefaultConfig = %+v", c)
	}
	// corenf -print-config writes the config as YAML; it must load back.
	c.SBI.TLS = &sbi.TLSConfig{Cert: "c.pem", Key: "k.pem"}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := nfkit.Decode("printed", out, &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("YAML round trip: %v\n%s", err, out)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]func(*Config){
		"bad sbi.listen":         func(c *Config) { c.SBI.Listen = "8000" },
		"bad ops.listen":         func(c *Config) { c.Ops.Listen = "" },
		"fractional heartbeat":   func(c *Config) { c.HeartbeatTimer = 1500 * time.Millisecond },
		"zero heartbeat":         func(c *Config) { c.HeartbeatTimer = 0 },
		"negative grace":         func(c *Config) { c.HeartbeatGrace = -time.Second },
		"zero check interval":    func(c *Config) { c.CheckInterval = 0 },
		"fractional validity":    func(c *Config) { c.ValidityPeriod = 100 * time.Millisecond },
		"api_root with path":     func(c *Config) { c.APIRoot = "http://nrf:8000/x" },
		"api_root not http":      func(c *Config) { c.APIRoot = "ftp://nrf" },
		"no instances":           func(c *Config) { c.MaxInstances = 0 },
		"zero workers":           func(c *Config) { c.Notify.Workers = 0 },
		"zero queue":             func(c *Config) { c.Notify.Queue = 0 },
		"zero notify timeout":    func(c *Config) { c.Notify.Timeout = 0 },
		"tls without key":        func(c *Config) { c.SBI.TLS = &sbi.TLSConfig{Cert: "c.pem"} },
		"negative subscriptions": func(c *Config) { c.MaxSubscriptions = -1 },
	}
	for name, mod := range tests {
		cfg := DefaultConfig()
		mod(&cfg)
		if _, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet())); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLifecycle: A registers and heartbeats, B discovers it by type,
// S-NSSAI and DNN; A goes silent, is suspended, drops out of discovery and
// B hears of it; A heartbeats again and is back; A deregisters.
func TestLifecycle(t *testing.T) {
	nfkittest.NoLeaks(t)
	clk := newClock()
	n, url, _ := startNRF(t, testConfig(), clk)
	ctx := context.Background()

	b := newSubscriber(t, url)
	sub, err := b.client.Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData{
		NfStatusNotificationUri: b.url, SubscrCond: &models.Nrf_NFMgmt_SubscrCond{NfType: "SMF"}})
	if err != nil {
		t.Fatal(err)
	}
	if sub.SubscriptionId == "" {
		t.Fatal("no subscription id")
	}

	a := nrfClient(t, url)
	reply, err := a.Register(ctx, smf(idA, "010203", "internet"))
	if err != nil {
		t.Fatal(err)
	}
	if reply.HeartBeatTimer != 10 || a.HeartbeatInterval() != 10*time.Second || !a.Registered() {
		t.Errorf("heartBeatTimer %d, interval %v", reply.HeartBeatTimer, a.HeartbeatInterval())
	}
	if got := b.next(t, "NF_REGISTERED", idA); got.NfProfile == nil || got.NfProfile.NfType != "SMF" {
		t.Errorf("NF_REGISTERED without the profile: %+v", got)
	}
	// A non-SMF registering does not concern B's subscription.
	if _, err := nrfClient(t, url).Register(ctx, models.Nrf_NFMgmt_NFProfile{NfInstanceId: "amf-1", NfType: "AMF"}); err != nil {
		t.Fatal(err)
	}

	clk.Advance(8 * time.Second)
	if err := a.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	discover := func(q nrfc.Query) []string {
		t.Helper()
		q.TargetNfType, q.RequesterNfType = "SMF", "AMF"
		res, err := b.client.Discover(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.ValidityPeriod != 30 {
			t.Errorf("validityPeriod %d", res.ValidityPeriod)
		}
		return ids(res)
	}
	queries := []struct {
		name string
		q    nrfc.Query
		want []string
	}{
		{"by type", nrfc.Query{}, []string{idA}},
		{"by S-NSSAI", nrfc.Query{Snssais: []models.Snssai{{Sst: 1, Sd: "010203"}}}, []string{idA}},
		{"any of two S-NSSAIs", nrfc.Query{Snssais: []models.Snssai{{Sst: 1, Sd: "010203"}, {Sst: 2}}}, []string{idA}},
		{"other S-NSSAI", nrfc.Query{Snssais: []models.Snssai{{Sst: 1, Sd: "0a0b0c"}}}, []string{}},
		{"by DNN", nrfc.Query{Dnn: "internet"}, []string{idA}},
		{"DNN is case-insensitive", nrfc.Query{Dnn: "Internet"}, []string{idA}},
		{"other DNN", nrfc.Query{Dnn: "ims"}, []string{}},
		{"S-NSSAI and DNN", nrfc.Query{Snssais: []models.Snssai{{Sst: 1, Sd: "010203"}}, Dnn: "internet"}, []string{idA}},
		{"DNN in another slice", nrfc.Query{Snssais: []models.Snssai{{Sst: 2}}, Dnn: "internet"}, []string{}},
	}
	for _, q := range queries {
		if got := discover(q.q); !slices.Equal(got, q.want) {
			t.Errorf("%s: found %v, want %v", q.name, got, q.want)
		}
	}

	// Silence: 10s timer + 5s grace after the last heartbeat.
	clk.Advance(15 * time.Second)
	n.CheckHeartbeats()
	b.none(t) // exactly at the deadline is still in time
	clk.Advance(time.Second)
	n.CheckHeartbeats()
	if got := b.next(t, "NF_PROFILE_CHANGED", idA); got.NfProfile == nil || got.NfProfile.NfStatus != "SUSPENDED" {
		t.Fatalf("suspension notification %+v", got)
	}
	if got := discover(nrfc.Query{}); len(got) != 0 {
		t.Errorf("suspended NF discovered: %v", got)
	}
	n.CheckHeartbeats()
	b.none(t) // suspended once, not again

	if err := a.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.next(t, "NF_PROFILE_CHANGED", idA); got.NfProfile == nil || got.NfProfile.NfStatus != "REGISTERED" {
		t.Fatalf("recovery notification %+v", got)
	}
	if got := discover(nrfc.Query{}); !slices.Equal(got, []string{idA}) {
		t.Errorf("after recovery found %v", got)
	}

	if err := a.Deregister(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.next(t, "NF_DEREGISTERED", idA); got.NfProfile != nil {
		t.Errorf("NF_DEREGISTERED carries a profile: %+v", got.NfProfile)
	}
	if got := discover(nrfc.Query{}); len(got) != 0 {
		t.Errorf("deregistered NF discovered: %v", got)
	}
	if _, err := sbiClient(t).Do(ctx, "GET", a.InstanceURI(idA), nil, nil); !sbi.IsNotFound(err) {
		t.Errorf("GET deregistered instance: %v", err)
	}
	if err := b.client.Unsubscribe(ctx, sub.SubscriptionId); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Register(ctx, smf(idA, "010203", "internet")); err != nil {
		t.Fatal(err)
	}
	b.none(t) // unsubscribed
}

// A drain is an NF's own SUSPENDED: heartbeats keep it, discovery skips it.
func TestDrainBySuspending(t *testing.T) {
	_, url, _ := startNRF(t, testConfig(), newClock())
	ctx := context.Background()
	a := nrfClient(t, url)
	if _, err := a.Register(ctx, smf(idA, "010203", "internet")); err != nil {
		t.Fatal(err)
	}
	if err := a.SetStatus(ctx, "SUSPENDED"); err != nil {
		t.Fatal(err)
	}
	if err := a.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	b := nrfClient(t, url)
	res, err := b.Discover(ctx, nrfc.Query{TargetNfType: "SMF", RequesterNfType: "AMF"})
	if err != nil || len(res.NfInstances) != 0 {
		t.Errorf("draining NF discovered: %v %v", ids(res), err)
	}
	var p models.Nrf_NFMgmt_NFProfile
	if _, err := sbiClient(t).Do(ctx, "GET", a.InstanceURI(idA), nil, &p); err != nil || p.NfStatus != "SUSPENDED" {
		t.Errorf("status after heartbeat %q (%v), want SUSPENDED kept", p.NfStatus, err)
	}
	if a.Profile().NfStatus != "SUSPENDED" {
		t.Errorf("client forgot its status: %q", a.Profile().NfStatus)
	}
}

func TestRegisterStatusCodes(t *testing.T) {
	_, url, _ := startNRF(t, testConfig(), newClock())
	c := sbiClient(t)
	ctx := context.Background()
	p := smf(idA, "010203", "internet")
	p.HeartBeatTimer = 99 // the NRF decides
	var got models.Nrf_NFMgmt_NFProfile
	resp, err := c.Do(ctx, "PUT", url+nrfc.PathNFInstances+"/"+idA, p, &got)
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("first PUT = %v %v", resp, err)
	}
	if loc := resp.Header.Get("Location"); loc != url+nrfc.PathNFInstances+"/"+idA {
		t.Errorf("Location %q", loc)
	}
	if got.HeartBeatTimer != 10 || got.NfInstanceId != idA {
		t.Errorf("reply %+v", got)
	}
	p.NfInstanceId = "" // taken from the URI
	resp, err = c.Do(ctx, "PUT", url+nrfc.PathNFInstances+"/"+idA, p, &got)
	if err != nil || resp.Status != http.StatusOK {
		t.Errorf("second PUT = %v %v", resp, err)
	}
	// PATCH: 204 for a heartbeat, 200 with the profile for a change.
	hb := []models.PatchItem{{Op: "replace", Path: "/nfStatus", Value: "REGISTERED"}}
	if resp, err := c.Do(ctx, "PATCH", url+nrfc.PathNFInstances+"/"+idA, hb, nil); err != nil || resp.Status != 204 {
		t.Errorf("heartbeat = %v %v", resp, err)
	}
	load := []models.PatchItem{{Op: "replace", Path: "/load", Value: 40}}
	resp, err = c.Do(ctx, "PATCH", url+nrfc.PathNFInstances+"/"+idA, load, &got)
	if err != nil || resp.Status != 200 || got.Load != 40 {
		t.Errorf("load update = %v %v, load %d", resp, err, got.Load)
	}
	var list uriList
	if _, err := c.Do(ctx, "GET", url+nrfc.PathNFInstances+"?nf-type=SMF", nil, &list); err != nil || list.TotalItemCount != 1 {
		t.Errorf("list = %+v %v", list, err)
	}
	if _, err := c.Do(ctx, "GET", url+nrfc.PathNFInstances+"?nf-type=AMF", nil, &list); err != nil || list.TotalItemCount != 0 {
		t.Errorf("list AMF = %+v %v", list, err)
	}
}

// The NRF restarts and forgets everything; A's next heartbeat gets 404 and
// A registers again, with no help from outside.
func TestReRegisterAfterRestart(t *testing.T) {
	nfkittest.NoLeaks(t)
	clk := newClock()
	n1, url, r1 := startNRF(t, testConfig(), clk)
	a := nrfClient(t, url, nrfc.WithHeartbeatInterval(10*time.Millisecond), nrfc.WithRetryInterval(10*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, smf(idA, "010203", "internet")) }()
	nfkittest.Eventually(t, 5*time.Second, "A registered", func() bool { _, ok := n1.reg.get(idA); return ok })
	if err := r1.Stop(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.SBI.Listen = n1.SBI().Addr().String() // same address, empty registry
	n2, _, _ := startNRF(t, cfg, clk)
	nfkittest.Eventually(t, 5*time.Second, "A registered again", func() bool { _, ok := n2.reg.get(idA); return ok })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if _, ok := n2.reg.get(idA); ok {
		t.Error("Run did not deregister on stop")
	}
}

// Run keeps trying until the NRF accepts the registration.
func TestRunRetriesRegistration(t *testing.T) {
	n, _, _ := startNRF(t, testConfig(), newClock())
	var refused atomic.Int32
	url := startSBI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refused.Add(1) <= 3 {
			sbi.WriteProblem(w, http.StatusServiceUnavailable, sbi.CauseNFCongestion, "starting")
			return
		}
		n.Handler().ServeHTTP(w, r)
	}))
	a := nrfClient(t, url, nrfc.WithRetryInterval(5*time.Millisecond), nrfc.WithHeartbeatInterval(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, smf(idA, "", "internet")) }()
	nfkittest.Eventually(t, 5*time.Second, "registered after refusals", a.Registered)
	if _, ok := n.reg.get(idA); !ok || refused.Load() != 4 {
		t.Errorf("registered %v after %d attempts, want 4", ok, refused.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}
