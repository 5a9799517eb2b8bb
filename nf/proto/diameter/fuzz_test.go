package diameter

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
)

// FuzzDecode: Decode never panics, and what it accepts encodes and
// decodes again. Seeds: testdata/fuzz/FuzzDecode (every sample message).
func FuzzDecode(f *testing.F) {
	for _, s := range samples(f) {
		_, raw := wire(f, s.msg)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		raw, err := Encode(m)
		if err != nil {
			t.Fatalf("accepted message does not encode: %v", err)
		}
		if _, err := Decode(raw); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
	})
}

// fuzzParser: a parser never panics, and what it accepts builds again
// into a message that parses to the same value.
func fuzzParser(f *testing.F, cmds []string, parse func(*diam.Message) (any, error)) {
	for _, s := range samples(f) {
		for _, c := range cmds {
			if len(s.name) >= len(c) && s.name[:len(c)] == c {
				_, raw := wire(f, s.msg)
				f.Add(raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		v, err := parse(m)
		if err != nil {
			return
		}
		again, err := v.(builder).Build()
		if err != nil {
			t.Fatalf("parsed %+v does not build: %v", v, err)
		}
		raw, err := Encode(again)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(raw)
		if err != nil {
			t.Fatalf("rebuilt message does not decode: %v", err)
		}
		v2, err := parse(m2)
		if err != nil {
			t.Fatalf("rebuilt message does not parse: %v", err)
		}
		if !reflect.DeepEqual(v, v2) {
			t.Fatalf("parse/build/parse differs:\n%+v\n%+v", v, v2)
		}
	})
}

func FuzzParseAIR(f *testing.F) { fuzzParser(f, []string{"AIR"}, wrap(ParseAIR)) }
func FuzzParseAIA(f *testing.F) { fuzzParser(f, []string{"AIA"}, wrap(ParseAIA)) }
func FuzzParseULR(f *testing.F) { fuzzParser(f, []string{"ULR"}, wrap(ParseULR)) }
func FuzzParseULA(f *testing.F) { fuzzParser(f, []string{"ULA"}, wrap(ParseULA)) }
func FuzzParsePUR(f *testing.F) { fuzzParser(f, []string{"PUR"}, wrap(ParsePUR)) }
func FuzzParsePUA(f *testing.F) { fuzzParser(f, []string{"PUA"}, wrap(ParsePUA)) }
func FuzzParseCLR(f *testing.F) { fuzzParser(f, []string{"CLR"}, wrap(ParseCLR)) }
func FuzzParseCLA(f *testing.F) { fuzzParser(f, []string{"CLA"}, wrap(ParseCLA)) }
func FuzzParseCCR(f *testing.F) { fuzzParser(f, []string{"CCR"}, wrap(ParseCCR)) }
func FuzzParseCCA(f *testing.F) { fuzzParser(f, []string{"CCA"}, wrap(ParseCCA)) }
func FuzzParseRAR(f *testing.F) { fuzzParser(f, []string{"RAR"}, wrap(ParseRAR)) }
func FuzzParseRAA(f *testing.F) { fuzzParser(f, []string{"RAA"}, wrap(ParseRAA)) }
func FuzzParseAAR(f *testing.F) { fuzzParser(f, []string{"AAR"}, wrap(ParseAAR)) }
func FuzzParseAAA(f *testing.F) { fuzzParser(f, []string{"AAA"}, wrap(ParseAAA)) }
func FuzzParseSTR(f *testing.F) { fuzzParser(f, []string{"STR"}, wrap(ParseSTR)) }
func FuzzParseSTA(f *testing.F) { fuzzParser(f, []string{"STA"}, wrap(ParseSTA)) }

// TestDecodeRejects: inputs that must be refused, not panic.
func TestDecodeRejects(t *testing.T) {
	_, good := wire(t, samples(t)[0].msg)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short header":   good[:19],
		"version 2":      mut(func(b []byte) []byte { b[0] = 2; return b }),
		"length 8":       mut(func(b []byte) []byte { b[1], b[2], b[3] = 0, 0, 8; return b }),
		"length not /4":  mut(func(b []byte) []byte { b[3]++; return b }),
		"truncated":      good[:len(good)-4],
		"trailing":       append(append([]byte(nil), good...), 0, 0, 0, 0),
		"AVP length 0":   mut(func(b []byte) []byte { b[25], b[26], b[27] = 0, 0, 0; return b }),
		"AVP length 300": mut(func(b []byte) []byte { b[25], b[26], b[27] = 0, 1, 44; return b }),
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestDecodeRecoversCodecPanic: an AVP inside a group that claims more
// octets than the group holds makes go-diameter's decoder dereference a
// nil value; Decode recovers, counts it and reports a DecodeError whose
// header still allows an answer.
func TestDecodeRecoversCodecPanic(t *testing.T) {
	m, err := (&AIR{RequestHeader: req("s;1;1", mmeHost, ""), UserName: imsi, VisitedPLMN: plmn(t), Vectors: 1}).Build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	g := findGroupOffset(t, raw, 1408) // Requested-EUTRAN-Authentication-Info
	raw[g+12+5], raw[g+12+6], raw[g+12+7] = 0, 0, 200
	before := DecodePanics()
	_, err = Decode(raw)
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) || de.Header.CommandCode != CmdAuthenticationInfo {
		t.Fatalf("Decode = %v, want a DecodeError for AIR", err)
	}
	if DecodePanics() != before+1 {
		t.Errorf("DecodePanics %d -> %d, want one more", before, DecodePanics())
	}
}
