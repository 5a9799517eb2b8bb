package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// blockingSim answers a traffic request once release closes (or the
// request is cancelled, answering nothing); entered closes when the
// first request arrives.
type blockingSim struct {
	release, entered chan struct{}
	enterOnce        sync.Once
	cancelled        chan struct{}
}

func startBlockingSim(t *testing.T) (*blockingSim, string, string) {
	b := &blockingSim{release: make(chan struct{}), entered: make(chan struct{}), cancelled: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+simapi.PathTraffic, func(w http.ResponseWriter, r *http.Request) {
		// Read the body, as the simulator does: only then does the server
		// notice a client that gives up.
		var req simapi.TrafficRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.enterOnce.Do(func() { close(b.entered) })
		select {
		case <-b.release:
		case <-r.Context().Done():
			b.cancelled <- struct{}{}
			return
		}
		json.NewEncoder(w).Encode(simapi.Results{Step: "traffic", UEs: []simapi.UEResult{
			{SUPI: "imsi-001010000000001", OK: true, Traffic: &simapi.TrafficOutcome{Sent: 10, Received: 10, RTTMs: []float64{1}, LastSendMs: 900, LastReplyMs: 901}},
			{SUPI: "imsi-001010000000002", OK: true, Traffic: &simapi.TrafficOutcome{Sent: 10, Received: 9, RTTMs: []float64{1}, LastSendMs: 900, LastReplyMs: 801}},
		}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return b, host, port
}

func simOrch(profile, host string, lag int) *fakeOrch {
	orch := newFakeOrch(profile, lag)
	orch.add("ue", 1, func(int) string { return host })
	orch.add("dn", 1, func(int) string { return "10.0.6.9" })
	orch.add("upf", 1, func(i int) string { return "10.9.0." + string(rune('1'+i)) })
	return orch
}

func end(s *report.Step) time.Time {
	return s.Started.Add(time.Duration(s.Seconds * float64(time.Second)))
}

// TestBackgroundTrafficAndAwait: the steps after a background traffic
// step run while it goes on; await waits for its result, and an assert
// after the await sees it.
func TestBackgroundTrafficAndAwait(t *testing.T) {
	nfkittest.NoLeaks(t)
	sim, host, port := startBlockingSim(t)
	orch := simOrch("p", host, 1)
	var once sync.Once
	orch.onScale = func(string, int) { // the traffic can end only once a scale step ran
		<-sim.entered
		once.Do(func() { close(sim.release) })
	}
	l := mustParse(t, `name: t
profile: p
steps:
  - {name: load, traffic: {nf: ue, target: "${dn.n6}:7", duration: 1s, interval: 100ms, size: 10, max_loss: 0.1, background: true}}
  - scale: {nf: upf, replicas: 2}
  - await: load
  - assert: {step: load, metric: received, min: 19}
  - assert: {step: load, metric: broken_sessions, max: 0}
`)
	var out bytes.Buffer
	x := testExec(&Runner{API: orch, OpsPort: port}, "p")
	x.out = &lockedWriter{w: &out}
	if err := x.steps(context.Background(), l); err != nil {
		t.Fatalf("steps: %v\n%s", err, out.String())
	}
	load, scale, await := x.rep.Find("load"), x.rep.Find("scale"), x.rep.Find("await")
	if !load.Background || !load.Passed || load.Traffic == nil || load.Traffic.Received != 19 {
		t.Fatalf("load step %+v", load)
	}
	if !end(load).After(scale.Started) {
		t.Errorf("the traffic ended at %v, before the scale step began at %v", end(load), scale.Started)
	}
	if end(await).Before(end(load)) {
		t.Errorf("await ended at %v, before the traffic it awaits (%v)", end(await), end(load))
	}
	if !strings.Contains(out.String(), "load         traffic    started in the background") {
		t.Errorf("progress:\n%s", out.String())
	}
}

// TestFailedStepCancelsBackground: a failing step cancels the background
// traffic, whose step and await then fail saying why.
func TestFailedStepCancelsBackground(t *testing.T) {
	nfkittest.NoLeaks(t)
	sim, host, port := startBlockingSim(t)
	orch := simOrch("p", host, 1)
	orch.onScale = func(string, int) { <-sim.entered } // fail once the traffic is under way
	orch.scaleErr = errors.New("refused")
	l := mustParse(t, `name: t
profile: p
steps:
  - {name: load, traffic: {nf: ue, target: "${dn.n6}:7", count: 10, size: 10, background: true}}
  - scale: {nf: upf, replicas: 2}
  - await: load
`)
	x := testExec(&Runner{API: orch, OpsPort: port}, "p")
	err := x.steps(context.Background(), l)
	if err == nil || err.Error() != "steps failed: load, scale, await" {
		t.Fatalf("steps: %v", err)
	}
	if e := x.rep.Find("scale").Error; e != "scale upf to 2: refused" {
		t.Errorf("scale error %q", e)
	}
	if e := x.rep.Find("load").Error; e != "cancelled: step scale failed" {
		t.Errorf("load error %q", e)
	}
	if e := x.rep.Find("await").Error; e != "load failed: cancelled: step scale failed" {
		t.Errorf("await error %q", e)
	}
	select {
	case <-sim.cancelled:
	case <-time.After(5 * time.Second):
		t.Error("the simulator's traffic request was not cancelled")
	}
}

// TestRunElastic runs a whole lab through Run against fakes: background
// traffic over a scale-out and scale-in, monitor series, asserts on both,
// and a report whose chart has every series.
func TestRunElastic(t *testing.T) {
	nfkittest.NoLeaks(t)
	sim, host, port := startBlockingSim(t)
	orch := simOrch("5glab", host, 3)
	orch.onScale = func(_ string, n int) {
		if n == 1 {
			close(sim.release) // the traffic spans both scale events
		}
	}
	fm := newFakeMetrics()
	for i := range 3 {
		fm.counters["10.9.0."+string(rune('1'+i))] = 10
	}
	fm.set(host, Sample{Name: "corebox_ue_uplink_packets_total", Value: 5})
	l := mustParse(t, `name: elastic-test
profile: 5glab
monitor:
  interval: 100ms
  series:
    - {name: offered, nf: ue, metric: corebox_ue_uplink_packets_total, rate: true}
    - {name: upf_ul, nf: upf, metric: corebox_test_packets_total, labels: {direction: uplink}, rate: true}
    - {name: upfs, nf: upf, replicas: true}
steps:
  - {name: load, traffic: {nf: ue, target: "${dn.n6}:7", duration: 1s, interval: 100ms, size: 10, max_loss: 0.1, background: true}}
  - scale: {nf: upf, replicas: 3}
  - wait: {until: {nf: upf, replicas: 3}, timeout: 10s}
  - assert: {monitor: upfs, metric: last, min: 3, max: 3}
  - scale: {nf: upf, replicas: 1}
  - wait: {until: {nf: upf, replicas: 1}, timeout: 10s}
  - await: load
  - assert: {step: load, metric: broken_sessions, max: 0}
  - assert: {monitor: upfs, metric: max, min: 3, max: 3}
  - assert: {monitor: upf_ul, metric: total, min: 1}
`)
	r := &Runner{API: orch, OpsPort: port, Metrics: fm, PollEvery: 5 * time.Millisecond}
	rep, err := r.Run(context.Background(), l, Options{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !orch.down {
		t.Error("the profile was not taken down")
	}
	if rep.Monitor == nil || len(rep.Monitor.Series) != 3 {
		t.Fatalf("monitor %+v", rep.Monitor)
	}
	if s := rep.Monitor.Find("upfs"); s.Points[len(s.Points)-1].V != 1 {
		t.Errorf("replicas at the end: %v", s.Points)
	}
	html, err := rep.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if got := polylines(t, html); len(got) != 3 || got[0] != "offered" || got[2] != "upfs" {
		t.Errorf("chart polylines %v", got)
	}
}

// polylines parses the monitor chart out of a report page and returns
// its series polylines' names.
func polylines(t *testing.T, html []byte) []string {
	t.Helper()
	i := bytes.Index(html, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="760"`))
	j := bytes.Index(html[max(i, 0):], []byte("</svg>"))
	if i < 0 || j < 0 {
		t.Fatalf("no monitor chart in the report")
	}
	dec := xml.NewDecoder(bytes.NewReader(html[i : i+j+len("</svg>")]))
	var names []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			for _, a := range el.Attr {
				if a.Name.Local == "data-series" {
					names = append(names, a.Value)
				}
			}
		}
	}
	return names
}
