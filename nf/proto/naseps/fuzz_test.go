package naseps

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Seeds live in testdata/fuzz/<Target>/ as well; run e.g.
// go test -fuzz FuzzParse -fuzztime 20s ./nf/proto/naseps/

// FuzzParse: whatever decodes re-encodes, and the re-encoding decodes to
// the same value and encodes to the same octets. Malformed input is an
// error, never a panic.
func FuzzParse(f *testing.F) {
	for _, c := range roundTripCases(f) {
		f.Add(mustMarshal(f, c.msg))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkParse(t, b)
	})
}

func checkParse(t *testing.T, b []byte) {
	m, err := Parse(b)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrProtected) {
			t.Fatalf("Parse(%x): error %v is not a decode error", b, err)
		}
		return
	}
	enc, err := m.Marshal()
	if err != nil {
		t.Fatalf("Parse(%x) gave %+v, which does not encode: %v", b, m, err)
	}
	back, err := Parse(enc)
	if err != nil {
		t.Fatalf("%x decoded, re-encoded to %x, which fails: %v", b, enc, err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("%x: decode/encode/decode changed\n %+v\n %+v", b, m, back)
	}
	if again := mustMarshal(t, back); !bytes.Equal(again, enc) {
		t.Fatalf("%x: encodings differ: %x then %x", b, enc, again)
	}
}

// fuzzContexts: one with EEA0/EIA0 allowed, so random PDUs get past the
// (absent) MAC check into the decoders, and one with EEA2/EIA2 for the
// rejection path. Both are MME side (they receive uplink).
func fuzzContexts(t testing.TB) []*SecurityContext {
	_, open := pair(t, EEA0, EIA0)
	open.AllowNull = true
	_, real := pair(t, EEA2, EIA2)
	real.ULCount = 0x1F0
	return []*SecurityContext{open, real}
}

// FuzzUnprotect feeds arbitrary octets to the security header processing
// and what it lets through to the decoders. A rejected PDU must leave the
// context as it was; an accepted one must move the COUNT forward.
func FuzzUnprotect(f *testing.F) {
	ue, _ := pair(f, EEA2, EIA2)
	ueNull, _ := pair(f, EEA0, EIA0)
	ueNull.AllowNull = true
	for _, c := range roundTripCases(f)[:12] {
		plain := mustMarshal(f, c.msg)
		if _, ok := c.msg.(*ServiceRequest); ok {
			f.Add(plain)
			continue
		}
		for _, sc := range []*SecurityContext{ue, ueNull} {
			for _, ht := range []HeaderType{IntegrityProtected, IntegrityProtectedAndCiphered, IntegrityProtectedAndCipheredNewContext} {
				if pdu, err := sc.Protect(plain, ht); err == nil {
					f.Add(pdu)
				}
			}
		}
	}
	if sr, err := ue.NewServiceRequest(2); err == nil {
		f.Add(mustMarshal(f, sr))
	}
	f.Fuzz(func(t *testing.T, pdu []byte) {
		for _, sc := range fuzzContexts(t) {
			before := *sc
			plain, ht, err := sc.Unprotect(pdu)
			if err != nil {
				if *sc != before {
					t.Fatalf("rejected PDU %x (%v) changed the context", pdu, err)
				}
			} else {
				if !ht.newContext() && sc.ULCount <= before.ULCount {
					t.Fatalf("accepted PDU %x left UL COUNT at %v (was %v)", pdu, sc.ULCount, before.ULCount)
				}
				checkParse(t, plain)
			}
			if sr, err := ParseAs[*ServiceRequest](pdu); err == nil {
				before := *sc
				if err := sc.VerifyServiceRequest(sr); err != nil && *sc != before {
					t.Fatalf("rejected SERVICE REQUEST %x changed the context", pdu)
				}
			}
		}
	})
}
