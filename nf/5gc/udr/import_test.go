package udr_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/5gc/udr"
)

func TestImportCSV(t *testing.T) {
	n, base := startUDR(t)
	// An existing subscriber with SQN 0x40: the import replaces it and,
	// since its rows give no sqn, keeps that SQN.
	pre := `{"imsi":"` + imsi2 + `","k":"` + testK + `","opc":"` + testOPc + `","sqn":"40"}`
	if code, body := send(t, "POST", base, "application/json", pre); code != 201 {
		t.Fatalf("POST = %d %s", code, body)
	}
	k2 := strings.Repeat("11", 16)
	csv := strings.Join([]string{
		"imsi,k,op,opc,amf,sqn,dnn,sst,sd",
		"001010000000001," + testK + ",," + testOPc + ",8000,20,internet,1,", // line 2
		"001010000000001,,,,,,ims,1,0000aa",                                  // 3: adds a DNN
		"001010000000002," + k2 + ",," + testOPc + ",,,internet,2,000001",    // 4: replaces
		"001010000000003,beef,," + testOPc + ",,,internet,1,",                // 5: bad k
		"001010000000001," + k2 + ",,,,,mms,1,",                              // 6: k differs from line 2
		"001010000000004," + testK + "," + testOP + ",,,,internet,1",         // 7: too few fields
		"00101000000000x," + testK + ",," + testOPc + ",,,internet,1,",       // 8: bad imsi
		"001010000000001,,,,,,ims,1,0000AA",                                  // 9: dnn twice
		"001010000000005," + testK + "," + testOP + ",,,,internet,1,",        // 10: OP
		"001010000000005," + testK + ",,,,,internet,seven,",                  // 11: bad sst
		"001010000000006," + testK + ",x\"y,,,,internet,1,",                  // 12: bare quote
	}, "\n") + "\n"
	code, body := send(t, "POST", base+"/import", "text/csv", csv)
	if code != 200 {
		t.Fatalf("import = %d %s", code, body)
	}
	var res udr.ImportResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Replaced != 1 {
		t.Errorf("added %d replaced %d, want 2 and 1 (%s)", res.Added, res.Replaced, body)
	}
	wantErr := map[int]string{
		5:  "k: must be 32 hex digits",
		6:  "imsi 001010000000001: k differs from line 2",
		7:  "8 fields, the header has 9",
		8:  `imsi "00101000000000x": must be 15 digits`,
		9:  "is listed twice",
		11: `sst "seven": must be a number`,
		12: `bare " in non-quoted-field`,
	}
	var lines []int
	for _, e := range res.Errors {
		lines = append(lines, e.Line)
		if w, ok := wantErr[e.Line]; !ok || !strings.Contains(e.Error, w) {
			t.Errorf("line %d: %q, want %q", e.Line, e.Error, w)
		}
	}
	if len(lines) != len(wantErr) {
		t.Errorf("errors on lines %v, want %d lines: %s", lines, len(wantErr), body)
	}
	s1, err := n.Store().Get(imsi1)
	if err != nil {
		t.Fatal(err)
	}
	if got := dnnNames(s1); !slices.Equal(got, []string{"internet", "ims"}) || s1.SQN != "000000000020" {
		t.Errorf("imsi1 dnns %v sqn %s", got, s1.SQN)
	}
	s2, _ := n.Store().Get(imsi2)
	if s2.K != k2 || s2.SQN != "000000000040" || s2.DNNs[0].SST != 2 || s2.DNNs[0].SD != "000001" {
		t.Errorf("imsi2 not replaced keeping its sqn: %+v", s2)
	}
	if s5, err := n.Store().Get("001010000000005"); err != nil || s5.OPc != testOPc {
		t.Errorf("imsi5 from OP: %+v %v", s5, err)
	}
	if !metric(t, n, "corebox_udr_subscribers 3") {
		t.Error("gauge is not 3")
	}
}

func dnnNames(s udr.Subscriber) []string {
	var out []string
	for _, d := range s.DNNs {
		out = append(out, d.DNN)
	}
	return out
}

func TestImportRejectsWholeFile(t *testing.T) {
	_, base := startUDR(t)
	tests := []struct {
		name, ctype, body string
		code              int
		want              string
	}{
		{"unknown column", "text/csv", "imsi,k,opc,dnn,sst,color\n", 400, `unknown column "color"`},
		{"missing column", "text/csv", "imsi,k,opc,dnn\n", 400, `column "sst" is missing`},
		{"column twice", "text/csv", "imsi,k,k,dnn,sst\n", 400, `column "k" twice`},
		{"empty", "text/csv", "", 400, "csv: empty"},
		{"json", "application/json", "[]", 415, "send text/csv"},
	}
	for _, tt := range tests {
		code, body := send(t, "POST", base+"/import", tt.ctype, tt.body)
		if code != tt.code || !strings.Contains(errorText(t, body), tt.want) {
			t.Errorf("%s: %d %s, want %d %q", tt.name, code, body, tt.code, tt.want)
		}
	}
	// A header and nothing else, with a byte order mark, is a valid no-op.
	code, body := send(t, "POST", base+"/import", "text/csv", "\ufeffIMSI, k, opc, dnn, sst\n")
	if code != 200 || strings.TrimSpace(body) != `{"added":0,"replaced":0,"errors":[]}` {
		t.Errorf("header only = %d %s", code, body)
	}
}
