package lab

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/orchestrator/controller"
)

// simServer answers the traffic control call with two UEs, one of which
// lost a reply, and records the request it got.
func simServer(t *testing.T, got *simapi.TrafficRequest) (host, port string) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+simapi.PathTraffic, func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(got); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		json.NewEncoder(w).Encode(simapi.Results{Step: "traffic", UEs: []simapi.UEResult{
			{SUPI: "imsi-001010000000001", OK: true, Millis: 100, Traffic: &simapi.TrafficOutcome{Sent: 2, Received: 2, RTTMs: []float64{1, 3}}},
			{SUPI: "imsi-001010000000002", OK: true, Millis: 120, Traffic: &simapi.TrafficOutcome{Sent: 2, Received: 1, RTTMs: []float64{2}}},
		}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// testExec is an execution of steps against orch, outside Run.
func testExec(r *Runner, profile string) *execution {
	return &execution{r: r, profile: profile, rep: &report.Report{}, out: &lockedWriter{w: io.Discard}, bg: newBackground()}
}

// runEach runs the lab's steps one by one and returns each step's error.
func runEach(t *testing.T, x *execution, l *Lab) []error {
	t.Helper()
	var errs []error
	for _, s := range l.Steps {
		rs := x.r.step(x.rep, s.Name, s.Kind())
		err := x.runStep(context.Background(), s, rs)
		rs.finish(err)
		errs = append(errs, err)
	}
	return errs
}

func mustParse(t *testing.T, text string) *Lab {
	t.Helper()
	l, err := Parse("t.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTrafficStepMergesAndAsserts(t *testing.T) {
	var got simapi.TrafficRequest
	host, port := simServer(t, &got)
	orch := newFakeOrch("p", 1)
	orch.add("ue", 1, func(int) string { return host })
	orch.add("dn", 1, func(int) string { return "10.0.6.9" })
	l := mustParse(t, `name: t
profile: x
steps:
  - traffic: {nf: ue, target: "${dn.n6}:7", count: 2, size: 64, interval: 10ms}
  - assert: {step: traffic, metric: loss_ratio, max: 0}
  - assert: {step: traffic, metric: received, min: 3}
  - traffic: {nf: ue, target: "${dn.n6}:7", duration: 1s, interval: 10ms, size: 64, max_loss: 0.3}
`)
	x := testExec(&Runner{API: orch, OpsPort: port}, "p")
	errs := runEach(t, x, l)
	if got.Target != "10.0.6.9:7" || got.Count != 100 || got.Size != 64 {
		t.Errorf("simulator got %+v (want count 1s/10ms = 100)", got)
	}
	tr := x.rep.Steps[0].Traffic
	if tr == nil || tr.Sent != 4 || tr.Received != 3 || tr.LossRatio != 0.25 || tr.RTTMs.Max != 3 {
		t.Fatalf("traffic summary %+v", tr)
	}
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "1 of 4 echo requests got no reply") {
		t.Errorf("traffic step error %v", errs[0])
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "loss_ratio of traffic is 0.25, want <= 0") {
		t.Errorf("loss assert: %v", errs[1])
	}
	if errs[2] != nil {
		t.Errorf("received >= 3 assert: %v", errs[2])
	}
	if errs[3] != nil {
		t.Errorf("loss 0.25 with max_loss 0.3 failed: %v", errs[3])
	}
	html, err := x.rep.HTML()
	if err != nil || !strings.Contains(string(html), "<svg") {
		t.Errorf("report HTML has no histogram (err %v)", err)
	}
}

// TestBrokenSessions: a UE whose replies stopped well before its last
// request, or that got none, or that failed, is a broken session; a UE
// that lost only its last reply is not.
func TestBrokenSessions(t *testing.T) {
	ok := func(supi string, sent, recv int, lastSend, lastReply float64) simapi.UEResult {
		return simapi.UEResult{SUPI: supi, OK: true, Traffic: &simapi.TrafficOutcome{Sent: sent, Received: recv,
			LastSendMs: lastSend, LastReplyMs: lastReply}}
	}
	ues := []simapi.UEResult{
		ok("imsi-1", 100, 100, 9900, 9901), // all answered
		ok("imsi-2", 100, 99, 9900, 9800),  // the last reply lost: a gap of one interval
		ok("imsi-3", 100, 50, 9900, 4900),  // replies stopped half way
		ok("imsi-4", 100, 0, 9900, 0),      // never answered
		{SUPI: "imsi-5", OK: false, Error: "timeout"},
	}
	var s report.Step
	fill(&s, ues, max(3*100*time.Millisecond, minBrokenGap))
	tr := s.Traffic
	if tr.BrokenSessions != 3 || tr.UEsWithoutReplies != 2 || !slices.Equal(tr.BrokenUEs, []string{"imsi-3", "imsi-4", "imsi-5"}) {
		t.Errorf("broken %d, without replies %d, named %v", tr.BrokenSessions, tr.UEsWithoutReplies, tr.BrokenUEs)
	}
	for metric, want := range map[string]float64{"broken_sessions": 3, "ues_without_replies": 2} {
		if v, ok := s.Metric(metric); !ok || v != want {
			t.Errorf("%s = %v (%v), want %v", metric, v, ok, want)
		}
	}
}

func TestResolveAddrsNamesWhatIsMissing(t *testing.T) {
	st := &controller.Status{NFs: []controller.NFStatus{{Name: "dn", Instances: []controller.InstanceStatus{{Addresses: map[string]string{"n6": "10.0.0.1"}}}}}}
	if _, err := resolveAddrs(st, "${dn.n3}:7"); err == nil || !strings.Contains(err.Error(), "dn has no address on n3") {
		t.Errorf("got %v", err)
	}
}
