package nas5g

import (
	"errors"
	"reflect"
	"testing"
)

// fuzzContexts: one with NIA0/NEA0, so random PDUs get past the (absent) MAC
// check into the decoders, and one with NIA2/NEA2 for the rejection path.
func fuzzContexts() []*SecurityContext {
	_, open := pair(NEA0, NIA0)
	_, real := pair(NEA2, NIA2)
	return []*SecurityContext{open, real}
}

// FuzzDecodeNAS feeds arbitrary octets to the plain decoders and, as a
// protected PDU, to Unprotect and then the decoders. Nothing may panic, and
// whatever decodes and re-encodes must decode to the same value.
func FuzzDecodeNAS(f *testing.F) {
	for _, m := range roundTripCases(&testing.T{}) {
		if b, err := m.Encode(); err == nil {
			f.Add(b)
			for _, sc := range fuzzContexts() {
				sc.Direction = Uplink
				if pdu, err := sc.Protect(b, IntegrityProtectedAndCiphered); err == nil {
					f.Add(pdu)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, pdu []byte) {
		checkDecode(t, pdu)
		for _, sc := range fuzzContexts() {
			if plain, _, err := sc.Unprotect(pdu); err == nil {
				checkDecode(t, plain)
			}
		}
	})
}

func checkDecode(t *testing.T, b []byte) {
	_, _ = DecodeRaw(b)
	m, err := Decode(b)
	if err != nil {
		return
	}
	again, err := m.Encode()
	if err != nil {
		return // we decode some values we refuse to build, e.g. SST 0
	}
	back, err := Decode(again)
	if err != nil {
		t.Fatalf("%x decoded, re-encoded to %x, which fails: %v", b, again, err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("%x: decode/encode/decode changed\n %+v\n %+v", b, m, back)
	}
}

// free5gc v1.3.0 panics on these (an unchecked IE length in
// IntegrityProtectionMaxDataRate and in RejectedNSSAI) and recovers in its
// own Parse functions; we turn that into ErrDecoderPanic and count it.
func TestDecoderPanicsAreContained(t *testing.T) {
	for _, in := range [][]byte{
		{0x2e, 0x30, 0x30, 0xc1},                         // PDU Session Establishment Request, no IEs
		{0x7e, 0x00, 0x44, 0x30, 0x69, 0x30, 0x48},       // Registration Reject, short rejected NSSAI
		{0x7e, 0x00, 0x42, 0x01, 0x30, 0x11, 0x30, 0x41}, // Registration Accept, likewise
	} {
		before := DecoderPanics()
		if _, err := Decode(in); !errors.Is(err, ErrDecoderPanic) {
			t.Errorf("%x: %v, want ErrDecoderPanic", in, err)
		}
		if DecoderPanics() != before+1 {
			t.Errorf("%x: panic counter %d, want %d", in, DecoderPanics(), before+1)
		}
	}
}
