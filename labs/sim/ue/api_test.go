package ue_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TestControlAPIValidation: malformed requests answer 400 with a message
// saying what is wrong, and run nothing.
func TestControlAPIValidation(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, 2)
	base := "http://" + l.ues.Ops().Addr().String()
	for _, tc := range []struct{ path, body, want string }{
		{simapi.PathRegister, `{bad`, "decode body"},
		{simapi.PathRegister, `{"nope": 1}`, `unknown field "nope"`},
		{simapi.PathRegister, `{} {}`, "trailing data"},
		{simapi.PathRegister, `{"ues": ["imsi-999"]}`, `"imsi-999" is not one of this simulator's UEs (imsi-001010000000001 .. imsi-001010000000002)`},
		{simapi.PathRegister, `{"ues": ["imsi-001010000000001", "imsi-001010000000001"]}`, "listed twice"},
		{simapi.PathRegister, `{"concurrency": -1}`, "concurrency -1"},
		{simapi.PathRegister, `{"timeout": "soon"}`, `duration "soon"`},
		{simapi.PathIdle, `{"timeout": "-1s"}`, "timeout -1s"},
		{simapi.PathSessions, `{"id": 16}`, "id 16: a PDU session ID is 1..15"},
		{simapi.PathSessions, `{"sd": "12"}`, `sd "12"`},
		{simapi.PathSessions, `{"sst": 300}`, "sst 300"},
		{simapi.PathTraffic, `{"target": "dn.example:7", "count": 1, "size": 1}`, `target "dn.example:7"`},
		{simapi.PathTraffic, `{"target": "10.0.0.1", "count": 1, "size": 1}`, "target"},
		{simapi.PathTraffic, `{"target": "10.0.0.1:7", "count": 0, "size": 1}`, "count 0"},
		{simapi.PathTraffic, `{"target": "10.0.0.1:7", "count": 1, "size": 60001}`, "size 60001"},
		{simapi.PathTraffic, `{"target": "10.0.0.1:7", "count": 1, "size": 1, "interval": "-1s"}`, "must not be negative"},
		{simapi.PathDeregister, `{"switch_off": "yes"}`, "decode body"},
	} {
		code, out := nfkittest.Do(t, "POST", base+tc.path, tc.body)
		var e struct{ Error string }
		if code != 400 || json.Unmarshal([]byte(out), &e) != nil || !strings.Contains(e.Error, tc.want) {
			t.Errorf("POST %s %s = %d %s, want 400 with %q", tc.path, tc.body, code, strings.TrimSpace(out), tc.want)
		}
	}
	if got := l.core.Stats().Registered + l.gnb.ConnectedUEs(); got != 0 {
		t.Errorf("rejected requests reached the network (%d)", got)
	}
	if code, _ := nfkittest.Do(t, "GET", base+simapi.PathRegister, ""); code != 405 {
		t.Errorf("GET %s = %d, want 405", simapi.PathRegister, code)
	}
	// An empty body is an empty request: every UE, defaults.
	code, out := nfkittest.Do(t, "POST", base+simapi.PathRegister, "")
	var res simapi.Results
	if code != 200 || json.Unmarshal([]byte(out), &res) != nil || res.Step != "register" || len(res.UEs) != 2 || res.Failed() != 0 {
		t.Errorf("empty register = %d %s", code, out)
	}
	// A selection acts on the named UEs only, with a concurrency bound.
	res = step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{Selector: simapi.Selector{UEs: []string{"imsi-001010000000002"}, Concurrency: 1}})
	allOK(t, res, 1)
	st := states(t, l.ues)
	if st[0].State != "registered" || st[1].State != "idle" {
		t.Errorf("states after idling the second UE: %+v", st)
	}
}
