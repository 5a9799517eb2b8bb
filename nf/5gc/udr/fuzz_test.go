package udr_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/proto/sbi"
)

var (
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex12 = regexp.MustCompile(`^[0-9a-f]{12}$`)
	hex4  = regexp.MustCompile(`^[0-9a-f]{4}$`)
	imsi  = regexp.MustCompile(`^[0-9]{15}$`)
)

// checkSubscriber fails t unless s is what the store may hold.
func checkSubscriber(t *testing.T, s udr.Subscriber) {
	t.Helper()
	if !imsi.MatchString(s.IMSI) || !hex32.MatchString(s.K) || !hex32.MatchString(s.OPc) ||
		!hex4.MatchString(s.AMF) || !hex12.MatchString(s.SQN) || len(s.DNNs) == 0 {
		t.Fatalf("accepted an invalid subscriber %+v", s)
	}
	defaults := map[string]int{}
	for _, d := range s.DNNs {
		if d.Default {
			defaults[udr.SnssaiKey(udr.SnssaiOf(d))]++
		}
	}
	for _, d := range s.DNNs {
		if defaults[udr.SnssaiKey(udr.SnssaiOf(d))] != 1 {
			t.Fatalf("slice of %+v has %d default dnns", d, defaults[udr.SnssaiKey(udr.SnssaiOf(d))])
		}
	}
}

var fuzzDefaults = udr.DefaultConfig().Defaults

// FuzzDecodeProvision: a body is rejected with a message, or yields a
// valid subscriber that provisioning again gives back unchanged.
func FuzzDecodeProvision(f *testing.F) {
	f.Add([]byte(`{"imsi":"001010000000001","k":"465b5ce8b199b49faa5f0a2ee238a6bc","opc":"cd63cb71954a9f4e48a5994e37a02baf"}`))
	f.Add([]byte(`{"imsi":"imsi-001010000000001","k":"465b5ce8b199b49faa5f0a2ee238a6bc","op":"cdc202d5123e20f62b6d676ac72cb318","sqn":"1f","dnns":[{"dnn":"a","sst":1,"sd":"00000A","default":true}]}`))
	f.Add([]byte(`{"imsi":1}`))
	now := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := udr.DecodeProvision(data)
		var ie *udr.InputError
		if err != nil {
			if !errors.As(err, &ie) || ie.Msg == "" {
				t.Fatalf("rejection %v is not an InputError with a message", err)
			}
			return
		}
		s, _, err := p.Subscriber(fuzzDefaults, now)
		if err != nil {
			if !errors.As(err, &ie) {
				t.Fatalf("rejection %v is not an InputError", err)
			}
			return
		}
		checkSubscriber(t, s)
		again, _, err := udr.Provision{IMSI: s.IMSI, K: s.K, OPc: s.OPc, AMF: s.AMF, SQN: s.SQN,
			MSISDN: s.MSISDN, DNNs: s.DNNs, UEAMBR: &s.UEAMBR}.Subscriber(fuzzDefaults, now)
		if err != nil {
			t.Fatalf("own record rejected: %v", err)
		}
		a, _ := json.Marshal(again)
		b, _ := json.Marshal(s)
		if !bytes.Equal(a, b) {
			t.Fatalf("not stable:\n%s\n%s", a, b)
		}
	})
}

// FuzzParseCSV: an import is refused as a whole with a message, or gives
// valid subscribers and errors that name a data line.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("imsi,k,op,opc,amf,sqn,dnn,sst,sd\n001010000000001,465b5ce8b199b49faa5f0a2ee238a6bc,,cd63cb71954a9f4e48a5994e37a02baf,8000,20,internet,1,\n"))
	f.Add([]byte("imsi,k,opc,dnn,sst\n1,2,3,4,5\n001010000000001,465b5ce8b199b49faa5f0a2ee238a6bc,cd63cb71954a9f4e48a5994e37a02baf,a,1\n001010000000001,,,b,2\n"))
	f.Add([]byte("imsi,k,dnn,sst\n\"a\"b,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := udr.ParseCSV(bytes.NewReader(data), fuzzDefaults, time.Unix(0, 0))
		if err != nil {
			var ie *udr.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("refusal %v is not an InputError", err)
			}
			return
		}
		if len(b.Subs) != len(b.KeepSQN) {
			t.Fatalf("%d subscribers, %d keep flags", len(b.Subs), len(b.KeepSQN))
		}
		seen := map[string]bool{}
		for _, s := range b.Subs {
			checkSubscriber(t, s)
			if seen[s.IMSI] {
				t.Fatalf("imsi %s twice in one batch", s.IMSI)
			}
			seen[s.IMSI] = true
		}
		for _, e := range b.Errors {
			if e.Line < 2 || e.Error == "" {
				t.Fatalf("row error %+v names no data line", e)
			}
		}
	})
}

// FuzzParseSQNPatch: a patch body gives SQN steps or a 400/403 problem.
func FuzzParseSQNPatch(f *testing.F) {
	f.Add([]byte(`[{"op":"test","path":"/sequenceNumber/sqn","value":"000000000020"},{"op":"replace","path":"/sequenceNumber/sqn","value":"000000000040"}]`))
	f.Add([]byte(`[{"op":"replace","path":"/sequenceNumber","value":{"sqn":"ff"}}]`))
	f.Add([]byte(`[{"op":"remove","path":"/k"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var items []models.PatchItem
		if pe := sbi.ParseJSON(data, &items); pe != nil {
			return
		}
		ops, pe := udr.ParseSQNPatch(items)
		if pe != nil {
			if pe.Status != 400 && pe.Status != 403 {
				t.Fatalf("status %d", pe.Status)
			}
			return
		}
		if len(ops) != len(items) {
			t.Fatalf("%d ops from %d items", len(ops), len(items))
		}
		for _, op := range ops {
			if uint64(op.Value) >= 1<<48 {
				t.Fatalf("sqn %x over 48 bits", uint64(op.Value))
			}
		}
	})
}
