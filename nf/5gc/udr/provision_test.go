package udr_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
)

func TestProvisioningLifecycle(t *testing.T) {
	n, base := startUDR(t)
	good := `{"imsi":"` + imsi1 + `","k":"` + testK + `","opc":"` + testOPc +
		`","sqn":"20","msisdn":"33612345678","dnns":[{"dnn":"internet","sst":1},{"dnn":"ims","sst":1,"sd":"0000AA"}]}`
	steps := []struct {
		method, path, body string
		code               int
		want               string // substring of the body
	}{
		{"POST", "", good, 201, `"sqn":"000000000020"`},
		{"POST", "", good, 409, "subscriber 001010000000001 exists; add ?replace=true to overwrite it"},
		{"POST", "?replace=true", strings.Replace(good, `"sqn":"20",`, "", 1), 200, `"sqn":"000000000020"`},
		{"GET", "/" + imsi1, "", 200, `"dnns":[{"dnn":"internet","sst":1,"default":true},{"dnn":"ims","sst":1,"sd":"0000aa","default":true}]`},
		{"GET", "/imsi-" + imsi1, "", 200, `"msisdn":"33612345678"`},
		{"GET", "/" + imsi2, "", 404, "no subscriber 001010000000002"},
		{"GET", "/123", "", 400, `imsi \"123\": must be 15 digits`},
		{"GET", "", "", 200, `[{"imsi":"001010000000001"`},
		{"DELETE", "/" + imsi1, "", 204, ""},
		{"DELETE", "/" + imsi1, "", 404, "no subscriber"},
		{"GET", "", "", 200, `[]`},
	}
	for i, s := range steps {
		code, body := send(t, s.method, base+s.path, "application/json", s.body)
		if code != s.code || !strings.Contains(body, s.want) {
			t.Errorf("step %d %s %s = %d %s, want %d containing %s", i, s.method, s.path, code, body, s.code, s.want)
		}
		if strings.Contains(body, testK) || strings.Contains(body, testOPc) {
			t.Errorf("step %d: keys shown: %s", i, body)
		}
	}
	if !metric(t, n, "corebox_udr_subscribers 0") {
		t.Error("subscriber gauge is not 0 after delete")
	}
}

func TestProvisionRejects(t *testing.T) {
	_, base := startUDR(t)
	ok := map[string]any{"imsi": imsi1, "k": testK, "opc": testOPc}
	with := func(kv ...any) string {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	dnn := func(d map[string]any) []any { return []any{d} }
	tests := []struct {
		name, body, want string
	}{
		{"short imsi", with("imsi", "00101"), `imsi "00101": must be 15 digits`},
		{"letters in imsi", with("imsi", "00101000000000a"), "must be 15 digits"},
		{"short k", with("k", "465b"), "k: must be 32 hex digits"},
		{"k not hex", with("k", strings.Repeat("z", 32)), "k: must be 32 hex digits"},
		{"op and opc", with("op", testOP), "give exactly one of op and opc"},
		{"neither op nor opc", with("opc", nil), "give exactly one of op and opc"},
		{"bad opc", with("opc", "12"), "opc: must be 32 hex digits"},
		{"bad op", with("opc", nil, "op", "xx"), "op: must be 32 hex digits"},
		{"long amf", with("amf", "80000"), `amf "80000": must be at most 4 hex digits`},
		{"amf not hex", with("amf", "80g0"), `amf "80g0": must be hex digits`},
		{"long sqn", with("sqn", "1000000000000"), "must be at most 12 hex digits"},
		{"bad msisdn", with("msisdn", "12ab"), `msisdn "12ab": must be 5 to 15 digits`},
		{"bad dnn", with("dnns", dnn(map[string]any{"dnn": "in ternet", "sst": 1})), `dnn "in ternet" must be 1 to 100 letters`},
		{"sst 0", with("dnns", dnn(map[string]any{"dnn": "internet"})), "sst 0 must be 1 to 255"},
		{"bad sd", with("dnns", dnn(map[string]any{"dnn": "internet", "sst": 1, "sd": "12"})), `sd "12" must be 6 hex digits`},
		{"dnn twice", with("dnns", []any{map[string]any{"dnn": "a", "sst": 1}, map[string]any{"dnn": "a", "sst": 1}}), "is listed twice"},
		{"two defaults", with("dnns", []any{map[string]any{"dnn": "a", "sst": 1, "default": true},
			map[string]any{"dnn": "b", "sst": 1, "default": true}}), "only one default dnn per slice"},
		{"bad ambr", with("ue_ambr", map[string]any{"uplink": "fast", "downlink": "1 Gbps"}), "must be bit rates"},
		{"unknown field", with("kk", "1"), `body: json: unknown field "kk"`},
		{"wrong type", with("dnns", dnn(map[string]any{"dnn": "a", "sst": "1"})), "dnns.sst must be a JSON number"},
		{"not json", "imsi=1", "body: invalid character"},
		{"empty", "", "body: empty; want a JSON object"},
		{"trailing", with() + "{}", "trailing data"},
		{"all at once", `{"imsi":"1","k":"2"}`, `imsi "1": must be 15 digits; k: must be 32 hex digits; give exactly one of op and opc`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := send(t, "POST", base, "application/json", tt.body)
			if code != http.StatusBadRequest {
				t.Fatalf("%s = %d %s, want 400", tt.body, code, body)
			}
			if msg := errorText(t, body); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
	if code, body := send(t, "GET", base, "", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("after rejections: %d %s, want an empty list", code, body)
	}
}

// OP is turned into OPc (TS 35.208 test set 1) and only OPc is stored.
func TestProvisionWithOP(t *testing.T) {
	n, base := startUDR(t)
	body := `{"imsi":"` + imsi1 + `","k":"` + strings.ToUpper(testK) + `","op":"` + testOP + `"}`
	if code, resp := send(t, "POST", base, "application/json", body); code != 201 {
		t.Fatalf("POST = %d %s", code, resp)
	}
	sub, err := n.Store().Get(imsi1)
	if err != nil {
		t.Fatal(err)
	}
	want := udr.Subscriber{IMSI: imsi1, K: testK, OPc: testOPc, AMF: udr.DefaultAMF, SQN: udr.DefaultSQN,
		DNNs: []udr.DNN{{DNN: "internet", SST: 1, Default: true}}, UEAMBR: udr.AMBR{Uplink: "1 Gbps", Downlink: "2 Gbps"}}
	sub.Update = time.Time{}
	if got, _ := json.Marshal(sub); string(got) != string(mustJSON(t, want)) {
		t.Errorf("stored %s\nwant   %s", got, mustJSON(t, want))
	}
	raw, _ := json.Marshal(sub)
	if strings.Contains(strings.ToLower(string(raw)), testOP) {
		t.Error("OP stored")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
