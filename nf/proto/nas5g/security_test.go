package nas5g

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 4493 section 4 examples, to trust the reference CMAC itself.
func TestReferenceCMAC(t *testing.T) {
	key := "2b7e151628aed2a6abf7158809cf4f3c"
	for _, tc := range []struct{ msg, mac string }{
		{"", "bb1d6929e95937287fa37d129b756746"},
		{"6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144f79bdd9dd04a287c"},
		{"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
			"dfa66747de9ae63030ca32611497c827"},
	} {
		got := refCMAC(t, unhex(t, key), unhex(t, tc.msg))
		if hex.EncodeToString(got[:]) != tc.mac {
			t.Errorf("CMAC(%s) = %x, want %s", tc.msg, got, tc.mac)
		}
	}
}

func TestAnnexC128EIA2(t *testing.T) {
	for _, v := range eia2Vectors {
		mac := refNIA2(t, unhex(t, v.key), v.count, v.bearer, v.dir, unhex(t, v.in))
		if got := hex.EncodeToString(mac[:]); got != v.out {
			t.Errorf("%s: MAC %s, want %s", v.name, got, v.out)
		}
	}
}

func TestAnnexC128EEA2(t *testing.T) {
	for _, v := range eea2Vectors {
		out := refNEA2(t, unhex(t, v.key), v.count, v.bearer, v.dir, unhex(t, v.in))
		if got := hex.EncodeToString(out); got != v.out {
			t.Errorf("%s: ciphertext %s, want %s", v.name, got, v.out)
		}
	}
}

// TestPlumbingMatchesReference proves our COUNT/BEARER/DIRECTION plumbing
// into free5gc: at BEARER 1, both directions, many counts and lengths, our
// MAC and ciphertext equal the spec reference above.
func TestPlumbingMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		sc := &SecurityContext{EncAlg: NEA2, IntAlg: NIA2}
		fillRand(rng, sc.KNASenc[:])
		fillRand(rng, sc.KNASint[:])
		count := Count(rng.Uint32N(uint32(maxCount) + 1))
		dir := Direction(rng.IntN(2))
		msg := make([]byte, 1+rng.IntN(300))
		fillRand(rng, msg)

		mac, err := sc.mac(count, dir, msg)
		if err != nil {
			t.Fatal(err)
		}
		if want := refNIA2(t, sc.KNASint[:], uint32(count), Bearer3GPP, uint8(dir), msg); mac != want {
			t.Fatalf("count %v %v: MAC %x, reference %x", count, dir, mac, want)
		}
		ct, err := sc.cipher(count, dir, msg)
		if err != nil {
			t.Fatal(err)
		}
		if want := refNEA2(t, sc.KNASenc[:], uint32(count), Bearer3GPP, uint8(dir), msg); !bytes.Equal(ct, want) {
			t.Fatalf("count %v %v: ciphertext differs from reference", count, dir)
		}
	}
}

func fillRand(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// pair returns a UE and an AMF context sharing keys and algorithms.
func pair(enc, integ uint8) (ue, amf *SecurityContext) {
	ue = &SecurityContext{EncAlg: enc, IntAlg: integ, Direction: Uplink}
	for i := range ue.KNASenc {
		ue.KNASenc[i], ue.KNASint[i] = byte(i*7+1), byte(i*13+5)
	}
	amf = &SecurityContext{KNASenc: ue.KNASenc, KNASint: ue.KNASint, EncAlg: enc, IntAlg: integ, Direction: Downlink}
	return ue, amf
}

var samplePlain = []byte{0x7e, 0x00, 0x43} // Registration Complete

func TestRoundTripAllAlgorithms(t *testing.T) {
	for enc := NEA0; enc <= NEA3; enc++ {
		for integ := NIA0; integ <= NIA3; integ++ {
			t.Run(fmt.Sprintf("NEA%d-NIA%d", enc, integ), func(t *testing.T) {
				ue, amf := pair(enc, integ)
				for i := 0; i < 130; i++ { // 260 PDUs each way: past one SQN wrap
					plain := append(append([]byte{}, samplePlain...), byte(i), byte(i>>8))
					for _, ht := range []HeaderType{IntegrityProtected, IntegrityProtectedAndCiphered} {
						exchange(t, ue, amf, plain, ht)
						exchange(t, amf, ue, plain, ht)
					}
				}
				if ue.ULCount != 260 || amf.ULCount != 260 || ue.DLCount != 260 || amf.DLCount != 260 {
					t.Fatalf("counts UE %v/%v AMF %v/%v, want 260 each", ue.ULCount, ue.DLCount, amf.ULCount, amf.DLCount)
				}
			})
		}
	}
}

func exchange(t *testing.T, from, to *SecurityContext, plain []byte, ht HeaderType) []byte {
	t.Helper()
	pdu, err := from.Protect(plain, ht)
	if err != nil {
		t.Fatalf("protect: %v", err)
	}
	if ht.ciphered() && from.EncAlg != NEA0 && bytes.Contains(pdu, plain[3:]) && len(plain) > 6 {
		t.Fatalf("ciphered PDU carries the plaintext")
	}
	got, gotHT, err := to.Unprotect(pdu)
	if err != nil {
		t.Fatalf("unprotect %v: %v", from.Direction, err)
	}
	if gotHT != ht || !bytes.Equal(got, plain) {
		t.Fatalf("got %x (%v), want %x (%v)", got, gotHT, plain, ht)
	}
	return pdu
}

func TestCountLayout(t *testing.T) {
	c := NewCount(0x1234, 0x56)
	if c != 0x123456 || c.Overflow() != 0x1234 || c.SQN() != 0x56 {
		t.Fatalf("count %#x overflow %#x sqn %#x", uint32(c), c.Overflow(), c.SQN())
	}
	for _, tc := range []struct {
		next Count
		sqn  uint8
		want Count
	}{
		{0, 0, 0},
		{0, 5, 5},
		{NewCount(3, 10), 10, NewCount(3, 10)},
		{NewCount(3, 10), 200, NewCount(3, 200)},
		{NewCount(3, 10), 9, NewCount(4, 9)},
		{NewCount(3, 255), 0, NewCount(4, 0)},
	} {
		if got := estimate(tc.next, tc.sqn); got != tc.want {
			t.Errorf("estimate(%v, %d) = %v, want %v", tc.next, tc.sqn, got, tc.want)
		}
	}
}

func TestLostPDUsStillAccepted(t *testing.T) {
	ue, amf := pair(NEA2, NIA2)
	ue.ULCount, amf.ULCount = 250, 250
	var last []byte
	for i := 0; i < 200; i++ { // the AMF sees only the last, across an SQN wrap
		var err error
		if last, err = ue.Protect(samplePlain, IntegrityProtectedAndCiphered); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := amf.Unprotect(last); err != nil {
		t.Fatalf("after a gap below 256: %v", err)
	}
	if amf.ULCount != 450 {
		t.Fatalf("AMF uplink count %v, want 450", amf.ULCount)
	}
}

func TestReplayRejected(t *testing.T) {
	ue, amf := pair(NEA2, NIA2)
	first := exchange(t, ue, amf, samplePlain, IntegrityProtected)
	before := *amf
	if _, _, err := amf.Unprotect(first); !errors.Is(err, ErrReplay) {
		t.Fatalf("same PDU twice: %v, want ErrReplay", err)
	}
	exchange(t, ue, amf, samplePlain, IntegrityProtected)
	exchange(t, ue, amf, samplePlain, IntegrityProtectedAndCiphered)
	if _, _, err := amf.Unprotect(first); !errors.Is(err, ErrReplay) {
		t.Fatalf("old PDU after newer ones: %v, want ErrReplay", err)
	}
	if amf.ULCount != 3 || before.ULCount != 1 {
		t.Fatalf("uplink count %v after rejected replays, want 3", amf.ULCount)
	}
}

func TestTamperedRejected(t *testing.T) {
	for _, integ := range []uint8{NIA1, NIA2, NIA3} {
		ue, amf := pair(NEA2, integ)
		pdu, err := ue.Protect(append(samplePlain, 1, 2, 3), IntegrityProtectedAndCiphered)
		if err != nil {
			t.Fatal(err)
		}
		for _, pos := range []int{2, 5, 6, 7, len(pdu) - 1} { // MAC, SQN, payload
			bad := append([]byte{}, pdu...)
			bad[pos] ^= 0x01
			if _, _, err := amf.Unprotect(bad); !errors.Is(err, ErrMACMismatch) {
				t.Errorf("NIA%d: flipped octet %d: %v, want ErrMACMismatch", integ, pos, err)
			}
		}
		if amf.ULCount != 0 {
			t.Fatalf("NIA%d: rejected PDUs moved the count to %v", integ, amf.ULCount)
		}
		if _, _, err := amf.Unprotect(pdu); err != nil {
			t.Fatalf("NIA%d: the untouched PDU after the forgeries: %v", integ, err)
		}
	}
}

func TestWrongKeyRejected(t *testing.T) {
	ue, amf := pair(NEA0, NIA2)
	amf.KNASint[0] ^= 0xFF
	pdu, err := ue.Protect(samplePlain, IntegrityProtected)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := amf.Unprotect(pdu); !errors.Is(err, ErrMACMismatch) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestNewContextRestartsCounts(t *testing.T) {
	ue, amf := pair(NEA2, NIA2)
	for i := 0; i < 5; i++ {
		exchange(t, amf, ue, samplePlain, IntegrityProtected)
	}
	// A new context is taken into use with a Security Mode Command.
	pdu := exchange(t, amf, ue, samplePlain, IntegrityProtectedNewContext)
	if pdu[6] != 0 || amf.DLCount != 1 || ue.DLCount != 1 {
		t.Fatalf("SMC SQN %d, AMF DL %v, UE DL %v; want 0, 1, 1", pdu[6], amf.DLCount, ue.DLCount)
	}
	exchange(t, ue, amf, samplePlain, IntegrityProtectedAndCipheredNewContext)
	if ue.ULCount != 1 || amf.ULCount != 1 {
		t.Fatalf("after Security Mode Complete UL %v/%v, want 1", ue.ULCount, amf.ULCount)
	}
}

func TestSecurityModeCommandReadableBeforeKeys(t *testing.T) {
	_, amf := pair(NEA2, NIA2)
	smc, err := (&SecurityModeCommand{EncAlg: NEA2, IntAlg: NIA2, NgKSI: KSI{Value: 1},
		ReplayedCapability: UESecurityCapability{EA: 0xF0, IA: 0xF0}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	pdu, err := amf.Protect(smc, IntegrityProtectedNewContext)
	if err != nil {
		t.Fatal(err)
	}
	hdr, inner, err := ParseSecurityHeader(pdu)
	if err != nil || hdr.Type != IntegrityProtectedNewContext {
		t.Fatalf("header %+v: %v", hdr, err)
	}
	got, err := ParseSecurityModeCommand(inner)
	if err != nil || got.EncAlg != NEA2 || got.IntAlg != NIA2 {
		t.Fatalf("SMC %+v: %v", got, err)
	}
}

func TestCountExhausted(t *testing.T) {
	ue, amf := pair(NEA2, NIA2)
	ue.ULCount, amf.ULCount = maxCount, maxCount
	exchange(t, ue, amf, samplePlain, IntegrityProtected)
	if _, err := ue.Protect(samplePlain, IntegrityProtected); !errors.Is(err, ErrCountExhausted) {
		t.Fatalf("past 2^24: %v", err)
	}
}

func TestUnprotectRejectsMalformed(t *testing.T) {
	ue, amf := pair(NEA2, NIA2)
	good, err := ue.Protect(samplePlain, IntegrityProtected)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		pdu  []byte
		want error
	}{
		"empty":     {nil, ErrMalformed},
		"short":     {good[:8], ErrMalformed},
		"plain":     {samplePlain, ErrNotProtected},
		"5GSM":      {[]byte{0x2e, 1, 1, 0xc1, 0xff, 0xff}, ErrNotProtected},
		"bad EPD":   {append([]byte{0x7f}, good[1:]...), ErrMalformed},
		"bad type":  {append([]byte{0x7e, 0x05}, good[2:]...), ErrMalformed},
		"spare set": {append([]byte{0x7e, 0x11}, good[2:]...), ErrMalformed},
		"bad NIA":   {good, errAlgorithm},
	} {
		ctx := amf
		if name == "bad NIA" {
			ctx = &SecurityContext{IntAlg: 9, Direction: Downlink}
		}
		if _, _, err := ctx.Unprotect(tc.pdu); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := ue.Protect(samplePlain, Plain); err == nil {
		t.Error("Protect with the plain header type succeeded")
	}
}
