package n2

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeNGAP feeds arbitrary octets to every decoder we own: Decode,
// Classify and the transfer decoders. Nothing may panic; what decodes and
// re-encodes must decode to the same value.
func FuzzDecodeNGAP(f *testing.F) {
	t := &testing.T{}
	for _, m := range roundTripCases(t) {
		if b, err := m.Encode(); err == nil {
			f.Add(b)
		}
	}
	req, rsp, fail, relCmd, relRsp := sampleTransfers(t)
	modReq, modRsp, modFail := sampleModifyTransfers(t)
	for _, b := range [][]byte{req, rsp, fail, relCmd, relRsp, modReq, modRsp, modFail} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Classify(b)
		if m, err := Decode(b); err == nil {
			if again, err := m.Encode(); err == nil {
				back, err := Decode(again)
				if err != nil || !reflect.DeepEqual(back, m) {
					t.Fatalf("%x decoded to %+v, re-encoded to %x, which decodes to %+v (%v)", b, m, again, back, err)
				}
			}
		}
		_, _ = DecodeSetupRequestTransfer(b)
		_, _ = DecodeSetupResponseTransfer(b)
		_, _ = DecodeSetupUnsuccessfulTransfer(b)
		_, _ = DecodeReleaseCommandTransfer(b)
		_, _ = DecodeReleaseResponseTransfer(b)
		_, _ = DecodeModifyRequestTransfer(b)
		_, _ = DecodeModifyResponseTransfer(b)
		_, _ = DecodeModifyUnsuccessfulTransfer(b)
	})
}

// FuzzModifyTransfers feeds arbitrary octets to the three Modify transfer
// decoders: nothing may panic, and whatever decodes and re-encodes must
// decode to the same value.
func FuzzModifyTransfers(f *testing.F) {
	cases := modifyTransferCases()
	for _, tc := range cases {
		if b, err := tc.value.Encode(); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tc := range cases {
			v, err := tc.decode(b)
			if err != nil {
				continue
			}
			again, err := v.(interface{ Encode() ([]byte, error) }).Encode()
			if err != nil {
				continue // e.g. a request transfer without tunnel moves
			}
			back, err := tc.decode(again)
			if err != nil || !reflect.DeepEqual(back, v) {
				t.Fatalf("%x decoded to %+v, re-encoded to %x, which decodes to %+v (%v)", b, v, again, back, err)
			}
		}
	})
}

// No input we or the fuzzer found makes free5gc/ngap v1.2.0 panic, but its
// message.Parse has no recover of its own; guard is our net, checked here.
func TestGuardRecoversAndCounts(t *testing.T) {
	before := DecoderPanics()
	err := guard(func() error { panic("boom") })
	if !errors.Is(err, ErrDecoderPanic) || DecoderPanics() != before+1 {
		t.Fatalf("guard: %v, panics %d (was %d)", err, DecoderPanics(), before)
	}
	if err := guard(func() error { return nil }); err != nil {
		t.Fatalf("guard of a clean step: %v", err)
	}
}
