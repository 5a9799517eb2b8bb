package lab

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

func TestTrafficStepMergesAndAsserts(t *testing.T) {
	var got simapi.TrafficRequest
	host, port := simServer(t, &got)
	st := &controller.Status{Name: "p", NFs: []controller.NFStatus{
		{Name: "ue", Instances: []controller.InstanceStatus{{Name: "p-ue-0", Addresses: map[string]string{"mgmt": host}}}},
		{Name: "dn", Instances: []controller.InstanceStatus{{Name: "p-dn-0", Addresses: map[string]string{"n6": "10.0.6.9"}}}},
	}}
	l, err := Parse("t.yaml", []byte(`name: t
profile: x
steps:
  - traffic: {nf: ue, target: "${dn.n6}:7", count: 2, size: 64, interval: 10ms}
  - assert: {step: traffic, metric: loss_ratio, max: 0}
  - assert: {step: traffic, metric: received, min: 3}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{}
	r := &Runner{OpsPort: port}
	var errs []error
	for _, s := range l.Steps {
		rs := r.step(rep, s.Name, s.Kind())
		err := r.runStep(context.Background(), st, s, rs, rep)
		rs.finish(err)
		errs = append(errs, err)
	}
	if got.Target != "10.0.6.9:7" || got.Count != 2 || got.Size != 64 {
		t.Errorf("simulator got %+v", got)
	}
	tr := rep.Steps[0].Traffic
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
	html, err := rep.HTML()
	if err != nil || !strings.Contains(string(html), "<svg") {
		t.Errorf("report HTML has no histogram (err %v)", err)
	}
}

func TestResolveAddrsNamesWhatIsMissing(t *testing.T) {
	st := &controller.Status{NFs: []controller.NFStatus{{Name: "dn", Instances: []controller.InstanceStatus{{Addresses: map[string]string{"n6": "10.0.0.1"}}}}}}
	if _, err := resolveAddrs(st, "${dn.n3}:7"); err == nil || !strings.Contains(err.Error(), "dn has no address on n3") {
		t.Errorf("got %v", err)
	}
}
