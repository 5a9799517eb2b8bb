package lab

import (
	"encoding/json"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/corebox/corebox/labs/simapi"
)

const impuB1, impuB2 = "sip:001010000001001@ims.example", "sip:001010000001002@ims.example"

// callSims serves a caller simulator on 127.0.0.1 and a callee simulator
// on 127.0.0.2, on the same port. The second call's callee keeps its
// bearer.
func callSims(t *testing.T, got *simapi.CallRequest) (port string) {
	t.Helper()
	caller := http.NewServeMux()
	caller.HandleFunc("GET "+simapi.PathUEs, func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode([]simapi.UEState{{SUPI: "imsi-001010000000002", IMPU: "sip:a2"},
			{SUPI: "imsi-001010000000003"}, {SUPI: "imsi-001010000000001", IMPU: "sip:a1"}})
	})
	caller.HandleFunc("POST "+simapi.PathCalls, func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(got); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rtp := &simapi.RTPStats{Sent: 500, Received: 495, Expected: 500, Lost: 5, LossRatio: 0.01, JitterMs: 2, MOS: 4.2}
		json.NewEncoder(w).Encode(simapi.Results{UEs: []simapi.UEResult{
			{SUPI: "imsi-001010000000001", OK: true, Millis: 10100, Call: &simapi.CallOutcome{CallID: "c1", Role: "caller", Peer: impuB1,
				Status: 200, SetupMs: 80, TalkMs: 10000, RTP: rtp, Bearer: &simapi.CallBearer{EBI: 7, QCI: 1, Released: true}, Ended: true}},
			{SUPI: "imsi-001010000000002", OK: true, Millis: 10200, Call: &simapi.CallOutcome{CallID: "c2", Role: "caller", Peer: impuB2,
				Status: 200, SetupMs: 120, TalkMs: 10000, RTP: rtp, Bearer: &simapi.CallBearer{EBI: 7, QCI: 1, Released: true}, Ended: true}},
		}})
	})
	callee := http.NewServeMux()
	callee.HandleFunc("GET "+simapi.PathUEs, func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode([]simapi.UEState{{SUPI: "imsi-001010000001002", IMPU: impuB2}, {SUPI: "imsi-001010000001001", IMPU: impuB1}})
	})
	callee.HandleFunc("GET "+simapi.PathCalls, func(w http.ResponseWriter, _ *http.Request) {
		rtp := &simapi.RTPStats{Received: 500, Expected: 500, JitterMs: 1, MOS: 4.4}
		json.NewEncoder(w).Encode([]simapi.CallRecord{
			{SUPI: "imsi-001010000001001", CallOutcome: simapi.CallOutcome{CallID: "c1", Role: "callee", RTP: rtp,
				Bearer: &simapi.CallBearer{EBI: 6, QCI: 1, Released: true}, Ended: true}},
			{SUPI: "imsi-001010000001002", CallOutcome: simapi.CallOutcome{CallID: "c2", Role: "callee", RTP: rtp,
				Bearer: &simapi.CallBearer{EBI: 6, QCI: 1}, Ended: true}},
			{SUPI: "imsi-001010000001001", CallOutcome: simapi.CallOutcome{CallID: "c0", Role: "caller"}},
		})
	})
	l1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ = net.SplitHostPort(l1.Addr().String())
	l2, err := net.Listen("tcp", "127.0.0.2:"+port)
	if err != nil {
		l1.Close()
		t.Skipf("127.0.0.2:%s: %v", port, err)
	}
	for l, mux := range map[net.Listener]*http.ServeMux{l1: caller, l2: callee} {
		srv := &http.Server{Handler: mux}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	return port
}

func TestCallStepPairsAndJudgesBearers(t *testing.T) {
	var got simapi.CallRequest
	port := callSims(t, &got)
	orch := newFakeOrch("p", 1)
	orch.add("caller", 1, func(int) string { return "127.0.0.1" })
	orch.add("callee", 1, func(int) string { return "127.0.0.2" })
	l := mustParse(t, `name: t
profile: x
steps:
  - call: {nf: caller, to: callee, talk: 10s, bearer_wait: 100ms}
  - assert: {step: call, metric: setup_p99_ms, max: 120}
  - name: lenient
    call: {nf: caller, to: callee, talk: 10s, bearer_wait: 100ms, bearer: false, max_loss: 0}
`)
	x := testExec(&Runner{API: orch, OpsPort: port}, "p")
	errs := runEach(t, x, l)
	want := map[string]string{"imsi-001010000000001": impuB1, "imsi-001010000000002": impuB2}
	if !reflect.DeepEqual(got.Targets, want) || got.Timeout == 0 {
		t.Errorf("targets %v timeout %v, want %v paired in SUPI order and a timeout", got.Targets, got.Timeout, want)
	}
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "4 of 4 call legs got one, 3 released it") {
		t.Errorf("call step error %v, want the unreleased callee bearer", errs[0])
	}
	c := x.rep.Steps[0].Calls
	if c == nil || c.Answered != 2 || c.MinMOS != 4.2 || c.List[1].AtCallee == nil || c.List[1].AtCallee.BearerReleased {
		t.Fatalf("calls %+v", c)
	}
	if errs[1] != nil {
		t.Errorf("setup p99 assert: %v", errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "lost 0.01 of its RTP (allowed 0)") {
		t.Errorf("lenient call step: %v", errs[2])
	}
}

func TestCallStepWithoutRegisteredUEs(t *testing.T) {
	var got simapi.CallRequest
	port := callSims(t, &got)
	orch := newFakeOrch("p", 1)
	orch.add("caller", 1, func(int) string { return "127.0.0.1" })
	orch.add("dn", 1, func(int) string { return "127.0.0.3" })
	l := mustParse(t, "name: t\nprofile: x\nsteps:\n  - call: {nf: caller, to: dn}\n")
	errs := runEach(t, testExec(&Runner{API: orch, OpsPort: port}, "p"), l)
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "/ues on 127.0.0.3") {
		t.Errorf("call to a simulator that does not answer: %v", errs[0])
	}
}

func TestCallStepValidation(t *testing.T) {
	_, err := Parse("t.yaml", []byte(`name: t
profile: x
subscribers:
  - {imsi: "001010000000001", count: 1, k: 465B5CE8B199B49FAA5F0A2EE238A6BC, opc: CD63CB71954A9F4E48A5994E37A02BAF, dnn: internet, dnns: [ims, internet], sst: 1}
steps:
  - call: {nf: ue, to: ue, hang_up: nobody, max_loss: 2}
  - ims_register: {nf: ue, apn: "bad apn"}
`), nil)
	for _, want := range []string{
		`t.yaml:4:`, `subscribers[0].dnns[1]: "internet" is listed twice`,
		`steps[0].call.to: "ue" is also nf`, `steps[0].call.hang_up: "nobody": want caller or callee`,
		`steps[0].call.max_loss: 2: want a ratio`, `steps[1].ims_register.apn: "bad apn"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
}
