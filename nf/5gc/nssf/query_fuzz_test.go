package nssf

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// FuzzParseQuery: any query string is a checked selection, whose answer
// names only supported S-NSSAIs, or a 400 naming one parameter.
func FuzzParseQuery(f *testing.F) {
	table := newSupported([]SliceConfig{{SST: 1}, {SST: 1, SD: "0102ab", NSI: "nsi-1"}, {SST: 2, SD: "000001"}}, "http://127.0.0.1:1")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http hands handlers what parsed; so do we
		}
		s, pe := parseQuery(v)
		if pe != nil {
			if pe.Status != http.StatusBadRequest || pe.Problem.Cause == "" || len(pe.Problem.InvalidParams) != 1 {
				t.Fatalf("rejection %+v", pe.Problem)
			}
			return
		}
		switch s.kind {
		case kindPDUSession:
			info, ok := table.forPDUSession(s.pdu)
			if ok != table.has(keyOf(*s.pdu.SNssai)) || (!ok && info.NsiInformation != nil) {
				t.Fatalf("pdu session %+v: ok %v, %+v", s.pdu, ok, info)
			}
		case kindRegistration, kindUEConfigUpd:
			info, result := table.forRegistration(s.nssai)
			for _, a := range info.AllowedNssaiList {
				for _, sn := range a.AllowedSnssaiList {
					if !table.has(keyOf(*sn.AllowedSnssai)) {
						t.Fatalf("allowed an unsupported S-NSSAI %+v", *sn.AllowedSnssai)
					}
				}
			}
			for _, r := range info.RejectedNssaiInPlmn {
				if table.has(keyOf(r)) {
					t.Fatalf("rejected a supported S-NSSAI %+v", r)
				}
			}
			if !slices.Contains([]string{resultAllowed, resultPartial, resultRejected}, result) {
				t.Fatalf("result %q", result)
			}
		default:
			t.Fatalf("accepted a query of kind %q", s.kind)
		}
	})
}
