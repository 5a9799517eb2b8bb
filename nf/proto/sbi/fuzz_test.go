package sbi_test

import (
	"encoding/json"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// FuzzParseJSON: any body either decodes, re-encodes and decodes to the
// same encoding, or is rejected with a 400 problem; never a panic.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"nfInstanceId":"a","nfType":"AMF","nfStatus":"REGISTERED"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p models.Nrf_NFMgmt_NFProfile
		if pe := sbi.ParseJSON(data, &p); pe != nil {
			if pe.Status != 400 || pe.Problem.Cause == "" {
				t.Fatalf("rejection %+v is not a 400 with a cause", pe)
			}
			return
		}
		once, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back models.Nrf_NFMgmt_NFProfile
		if pe := sbi.ParseJSON(once, &back); pe != nil {
			t.Fatalf("own encoding rejected: %v\n%s", pe, once)
		}
		twice, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(once) != string(twice) {
			t.Fatalf("not stable:\n%s\n%s", once, twice)
		}
	})
}
