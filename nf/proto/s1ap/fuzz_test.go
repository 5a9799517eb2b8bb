package s1ap

import (
	"errors"
	"reflect"
	"testing"
)

// fuzzSeeds are the encodings of every round-trip case; the committed
// corpus under testdata/fuzz holds them too, with damaged ones.
func fuzzSeeds(f *testing.F) {
	for _, m := range roundTripCases() {
		if b, err := m.Encode(); err == nil {
			f.Add(b)
		}
	}
}

// FuzzDecode feeds arbitrary octets to Decode: nothing may panic, a
// decoder panic must surface as ErrDecoderPanic, and what decodes and
// re-encodes must decode to the same value.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		before := DecoderPanics()
		m, err := Decode(b)
		if DecoderPanics() != before && !errors.Is(err, ErrDecoderPanic) {
			t.Fatalf("%x: decoder panicked, Decode said %v", b, err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrDecoderPanic) {
				t.Fatalf("%x: error %v is none of ours", b, err)
			}
			return
		}
		again, err := m.Encode()
		if err != nil {
			return // e.g. a value only an extension of the range allows
		}
		back, err := Decode(again)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("%x decoded to %+v, re-encoded to %x, which decodes to %+v (%v)", b, m, again, back, err)
		}
	})
}

// FuzzClassify feeds arbitrary octets to Classify: nothing may panic, and
// whatever Decode accepts Classify must accept with the same header.
func FuzzClassify(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Classify(b)
		if err != nil && info.UEAssociated() {
			t.Fatalf("%x: %v, yet UE IDs %+v", b, err, info)
		}
		m, derr := Decode(b)
		if derr != nil {
			return
		}
		if err != nil || info.ProcedureCode != m.ProcedureCode() || info.Kind != m.Kind() {
			t.Fatalf("%x decodes as %T, classifies as %+v (%v)", b, m, info, err)
		}
	})
}
