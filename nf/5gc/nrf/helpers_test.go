package nrf

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testConfig listens on loopback ports of its own; expiry runs only when
// the test calls CheckHeartbeats.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	cfg.CheckInterval = time.Hour
	return cfg
}

// startNRF runs an NRF until the test ends and returns it with its URL.
func startNRF(t testing.TB, cfg Config, c *clock) (*NF, string, *nfkittest.Running) {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	n.SetClock(c.Now)
	r := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 5*time.Second, "nrf sbi listening", func() bool { return n.SBI().Addr() != nil })
	return n, n.SBI().URL(), r
}

// startSBI serves h over h2c on loopback until the test ends.
func startSBI(t testing.TB, h http.Handler) string {
	t.Helper()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("subscriber server: %v", err)
		}
	})
	nfkittest.Eventually(t, 5*time.Second, "sbi listening", func() bool { return srv.Addr() != nil })
	return srv.URL()
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

func nrfClient(t testing.TB, url string, opts ...nrfc.Option) *nrfc.Client {
	t.Helper()
	opts = append([]nrfc.Option{nrfc.WithLogger(nfkittest.Quiet())}, opts...)
	c, err := nrfc.New(sbiClient(t), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// subscriber is an NF receiving the NRF's notifications through nrfc.
type subscriber struct {
	client *nrfc.Client
	got    chan models.Nrf_NFMgmt_NotificationData
	url    string
}

func newSubscriber(t testing.TB, nrfURL string, opts ...nrfc.Option) *subscriber {
	t.Helper()
	s := &subscriber{client: nrfClient(t, nrfURL, opts...), got: make(chan models.Nrf_NFMgmt_NotificationData, 64)}
	mux := http.NewServeMux()
	mux.Handle("POST /notify", s.client.NotificationHandler(func(_ context.Context, n models.Nrf_NFMgmt_NotificationData) {
		s.got <- n
	}))
	s.url = startSBI(t, mux) + "/notify"
	return s
}

// next waits for the next notification and checks its event and NF.
func (s *subscriber) next(t testing.TB, event models.Nrf_NFMgmt_NotificationEventType, id string) models.Nrf_NFMgmt_NotificationData {
	t.Helper()
	select {
	case n := <-s.got:
		if n.Event != event || !strings.HasSuffix(n.NfInstanceUri, "/nf-instances/"+id) {
			t.Fatalf("notification %s %s, want %s for %s", n.Event, n.NfInstanceUri, event, id)
		}
		return n
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s notification for %s", event, id)
	}
	return models.Nrf_NFMgmt_NotificationData{}
}

// none checks nothing is waiting (notifications that should not exist).
func (s *subscriber) none(t testing.TB) {
	t.Helper()
	select {
	case n := <-s.got:
		t.Fatalf("unexpected notification %s %s", n.Event, n.NfInstanceUri)
	default:
	}
}

func counter(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// smf is an SMF profile serving dnn in slice {1, sd}.
func smf(id, sd, dnn string) models.Nrf_NFMgmt_NFProfile {
	return models.Nrf_NFMgmt_NFProfile{
		NfInstanceId: id, NfType: models.Nrf_NFMgmt_NFType_SMF,
		NfStatus:      models.Nrf_NFMgmt_NFStatus_REGISTERED,
		Ipv4Addresses: []string{"10.100.0.5"},
		SNssais:       []models.ExtSnssai{{Sst: 1, Sd: sd}},
		SmfInfo: &models.Nrf_NFMgmt_SmfInfo{SNssaiSmfInfoList: []models.Nrf_NFMgmt_SnssaiSmfInfoItem{{
			SNssai:         &models.ExtSnssai{Sst: 1, Sd: sd},
			DnnSmfInfoList: []models.Nrf_NFMgmt_DnnSmfInfoItem{{Dnn: dnn}},
		}}},
	}
}

func ids(r models.Nrf_NFDisc_SearchResult) []string {
	out := []string{}
	for _, p := range r.NfInstances {
		out = append(out, p.NfInstanceId)
	}
	return out
}
