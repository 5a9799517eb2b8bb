package naseps

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/corebox/corebox/nf/aka"
)

// testKASME is OAI's test_secu_knas KASME; its EEA2/EIA2 keys are pinned
// in nf/aka's tests.
const testKASME = "70d7071aa016a087f9d888ad51f3a83e2c83443ab27843b35bd1b4923615091c"

// pair returns a UE and an MME context sharing keys from testKASME.
func pair(t testing.TB, enc, integ uint8) (ue, mme *SecurityContext) {
	t.Helper()
	kasme := aka.Key256(unhex(t, testKASME))
	ue, err := NewSecurityContext(kasme, enc, integ, Uplink)
	if err != nil {
		t.Fatal(err)
	}
	mme, err = NewSecurityContext(kasme, enc, integ, Downlink)
	if err != nil {
		t.Fatal(err)
	}
	return ue, mme
}

func TestNewSecurityContextKeys(t *testing.T) {
	ue, _ := pair(t, EEA2, EIA2)
	// The last 16 octets of OAI's KNASenc/KNASint outputs for algorithm 2.
	if enc := unhex(t, "1cf7897f31d6270c19c4836070fe11f0"); !bytes.Equal(ue.KNASenc[:], enc) {
		t.Errorf("KNASenc %x", ue.KNASenc)
	}
	if integ := unhex(t, "1a4329fd23fd3a93c9d2d92d853ec9db"); !bytes.Equal(ue.KNASint[:], integ) {
		t.Errorf("KNASint %x", ue.KNASint)
	}
}

// TestProtectKnownAnswer builds an integrity protected and ciphered
// Attach Accept and checks every octet against the reference EEA2/EIA2 at
// BEARER 0, downlink, COUNT 1/0x23; then the UE side verifies, deciphers
// and parses it back.
func TestProtectKnownAnswer(t *testing.T) {
	ue, mme := pair(t, EEA2, EIA2)
	count := NewCount(1, 0x23)
	mme.DLCount, ue.DLCount = count, count
	msg := roundTripCases(t)[2].msg // attach accept
	plain := mustMarshal(t, msg)

	pdu, err := mme.ProtectMessage(msg, IntegrityProtectedAndCiphered)
	if err != nil {
		t.Fatal(err)
	}
	ct := refEEA2(t, mme.KNASenc[:], uint32(count), 0, 1, plain)
	mac := refEIA2(t, mme.KNASint[:], uint32(count), 0, 1, append([]byte{0x23}, ct...))
	want := append(append([]byte{0x27}, mac[:]...), 0x23)
	want = append(want, ct...)
	if !bytes.Equal(pdu, want) {
		t.Fatalf("PDU\n %x\nwant\n %x", pdu, want)
	}
	if mme.DLCount != count+1 {
		t.Fatalf("MME DL COUNT %v, want %v", mme.DLCount, count+1)
	}

	got, ht, err := ue.UnprotectMessage(pdu)
	if err != nil || ht != IntegrityProtectedAndCiphered {
		t.Fatalf("UnprotectMessage: %v, %v", ht, err)
	}
	if !reflect.DeepEqual(got, msg) {
		t.Fatalf("got %+v", got)
	}
	if ue.DLCount != count+1 {
		t.Fatalf("UE DL COUNT %v, want %v", ue.DLCount, count+1)
	}
}

func TestUnprotectRejects(t *testing.T) {
	ue, mme := pair(t, EEA2, EIA2)
	plain := mustMarshal(t, &TAURequest{UpdateType: UpdatePeriodic, KSI: KSI{Value: 1}, OldGUTI: GUTIIdentity(testGUTI)})
	first, err := ue.Protect(plain, IntegrityProtectedAndCiphered)
	if err != nil {
		t.Fatal(err)
	}

	tampered := append([]byte(nil), first...)
	tampered[len(tampered)-1] ^= 0x01
	if _, _, err := mme.Unprotect(tampered); !errors.Is(err, ErrMACMismatch) {
		t.Errorf("tampered: %v", err)
	}
	if mme.ULCount != 0 {
		t.Fatalf("a rejected PDU moved the COUNT to %v", mme.ULCount)
	}
	got, _, err := mme.Unprotect(first)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("genuine PDU: %x, %v", got, err)
	}
	if _, _, err := mme.Unprotect(first); !errors.Is(err, ErrReplay) {
		t.Errorf("replay: %v", err)
	}
	// A PDU sent in the other direction does not verify as ours.
	down, err := mme.Protect(plain, IntegrityProtected)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := mme.Unprotect(down); !errors.Is(err, ErrMACMismatch) {
		t.Errorf("reflected PDU: %v", err)
	}
	// Wrong keys.
	other := *mme
	other.KNASint[0] ^= 1
	second, _ := ue.Protect(plain, IntegrityProtected)
	if _, _, err := other.Unprotect(second); !errors.Is(err, ErrMACMismatch) {
		t.Errorf("wrong key: %v", err)
	}
	for _, bad := range [][]byte{plain, {0x27, 1, 2, 3}, {0x17}, {0x57, 0, 0, 0, 0, 0, 7, 0x41}, {0xC7, 0, 0, 0}} {
		if _, _, err := mme.Unprotect(bad); err == nil {
			t.Errorf("Unprotect(%x) accepted", bad)
		}
	}
	if _, _, err := mme.Unprotect(plain); !errors.Is(err, ErrNotProtected) {
		t.Errorf("plain: %v", err)
	}
}

// TestCountOverflowAndLoss walks the NAS COUNT across an overflow with a
// lost PDU in between: the receiver's estimate follows.
func TestCountOverflowAndLoss(t *testing.T) {
	ue, mme := pair(t, EEA2, EIA2)
	mme.DLCount, ue.DLCount = 0x2FD, 0x2FD
	plain := mustMarshal(t, &EMMInformation{ShortName: &NetworkName{Text: "cbx"}})
	var pdus [][]byte
	for range 5 {
		pdu, err := mme.Protect(plain, IntegrityProtectedAndCiphered)
		if err != nil {
			t.Fatal(err)
		}
		pdus = append(pdus, pdu)
	}
	if sqns := []byte{pdus[0][5], pdus[1][5], pdus[2][5], pdus[3][5], pdus[4][5]}; !bytes.Equal(sqns, []byte{0xFD, 0xFE, 0xFF, 0x00, 0x01}) {
		t.Fatalf("sequence numbers %x", sqns)
	}
	for i, pdu := range pdus {
		if i == 2 {
			continue // lost on the way
		}
		if _, _, err := ue.Unprotect(pdu); err != nil {
			t.Fatalf("PDU %d: %v", i, err)
		}
	}
	if ue.DLCount != 0x302 || ue.DLCount.Overflow() != 3 {
		t.Fatalf("UE DL COUNT %v, want 3/2", ue.DLCount)
	}
	// The lost one arrives late: it is below what the UE accepts now.
	if _, _, err := ue.Unprotect(pdus[2]); !errors.Is(err, ErrReplay) {
		t.Fatalf("late PDU: %v", err)
	}

	mme.DLCount = MaxCount
	if _, err := mme.Protect(plain, IntegrityProtected); err != nil {
		t.Fatalf("last COUNT: %v", err)
	}
	if _, err := mme.Protect(plain, IntegrityProtected); !errors.Is(err, ErrCountExhausted) {
		t.Fatalf("past the last COUNT: %v", err)
	}
}

func TestNullAlgorithms(t *testing.T) {
	ue, mme := pair(t, EEA0, EIA0)
	plain := mustMarshal(t, &DetachAccept{})
	if _, err := ue.Protect(plain, IntegrityProtected); !errors.Is(err, ErrNullAlgorithm) {
		t.Fatalf("EIA0 without AllowNull: %v", err)
	}
	ue.AllowNull, mme.AllowNull = true, true
	pdu, err := ue.Protect(plain, IntegrityProtectedAndCiphered)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdu[1:5], []byte{0, 0, 0, 0}) || !bytes.Equal(pdu[6:], plain) {
		t.Fatalf("EEA0/EIA0 PDU %x", pdu)
	}
	if got, _, err := mme.Unprotect(pdu); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unprotect: %x, %v", got, err)
	}

	// EEA0 with a real integrity algorithm: integrity protected PDUs need
	// no permission, ciphered ones do.
	ue2, _ := pair(t, EEA0, EIA2)
	if _, err := ue2.Protect(plain, IntegrityProtected); err != nil {
		t.Errorf("EEA0/EIA2 integrity only: %v", err)
	}
	if _, err := ue2.Protect(plain, IntegrityProtectedAndCiphered); !errors.Is(err, ErrNullAlgorithm) {
		t.Errorf("EEA0 ciphered without AllowNull: %v", err)
	}
	ue2.IntAlg = 5
	if _, err := ue2.Protect(plain, IntegrityProtected); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("EIA5: %v", err)
	}
}

// TestSecurityModeProcedure: the MME sends the Security Mode Command under
// a new context (type 3, DL COUNT from 0), the UE reads it before checking
// it, then verifies it; the UE answers with type 4.
func TestSecurityModeProcedure(t *testing.T) {
	ue, mme := pair(t, EEA2, EIA2)
	mme.DLCount, ue.DLCount = 40, 40 // an older context's counts
	smc := &SecurityModeCommand{EncAlg: EEA2, IntAlg: EIA2, KSI: KSI{Value: 1}, ReplayedCapability: testUECap.SecurityCapability()}
	pdu, err := mme.ProtectMessage(smc, IntegrityProtectedNewContext)
	if err != nil {
		t.Fatal(err)
	}
	hdr, inner, err := ParseSecurityHeader(pdu)
	if err != nil || hdr.Type != IntegrityProtectedNewContext || hdr.SQN != 0 {
		t.Fatalf("header %+v, %v", hdr, err)
	}
	if m, err := ParseAs[*SecurityModeCommand](inner); err != nil || m.EncAlg != EEA2 {
		t.Fatalf("SMC before verification: %+v, %v", m, err)
	}
	if _, _, err := ue.Unprotect(pdu); err != nil {
		t.Fatalf("UE: %v", err)
	}
	reply, err := ue.ProtectMessage(&SecurityModeComplete{IMEISV: "3534900698733101"}, IntegrityProtectedAndCipheredNewContext)
	if err != nil {
		t.Fatal(err)
	}
	m, ht, err := mme.UnprotectMessage(reply)
	if err != nil || ht != IntegrityProtectedAndCipheredNewContext {
		t.Fatalf("MME: %v, %v", ht, err)
	}
	if c, ok := m.(*SecurityModeComplete); !ok || c.IMEISV != "3534900698733101" {
		t.Fatalf("got %+v", m)
	}
	if mme.ULCount != 1 || ue.DLCount != 1 {
		t.Fatalf("counts UL %v DL %v after the procedure", mme.ULCount, ue.DLCount)
	}
}

func TestProtectedESMMessage(t *testing.T) {
	ue, mme := pair(t, EEA2, EIA2)
	msg := testPDNRequest()
	pdu, err := ue.ProtectMessage(msg, IntegrityProtectedAndCiphered)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := mme.UnprotectMessage(pdu)
	if err != nil || !reflect.DeepEqual(got, Message(msg)) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := ue.Protect(pdu, IntegrityProtected); err == nil {
		t.Error("protected a protected PDU")
	}
	if _, err := ue.Protect(mustMarshal(t, msg), ServiceRequestHeader); !errors.Is(err, ErrInvalid) {
		t.Errorf("header type 12: %v", err)
	}
}

func TestServiceRequest(t *testing.T) {
	ue, mme := pair(t, EEA2, EIA2)
	ue.ULCount, mme.ULCount = 0x11E, 0x11E
	var srs []*ServiceRequest
	for range 4 {
		sr, err := ue.NewServiceRequest(1)
		if err != nil {
			t.Fatal(err)
		}
		// Over the air and back.
		parsed, err := ParseAs[*ServiceRequest](mustMarshal(t, sr))
		if err != nil || *parsed != *sr {
			t.Fatalf("framing: %+v, %v", parsed, err)
		}
		srs = append(srs, parsed)
	}
	if srs[0].SeqNum != 0x1E || srs[2].SeqNum != 0x00 {
		t.Fatalf("sequence numbers %d..%d", srs[0].SeqNum, srs[3].SeqNum)
	}
	// The short MAC is the low half of the NAS-MAC over octets 1 and 2.
	mac := refEIA2(t, ue.KNASint[:], 0x11E, 0, 0, []byte{0xC7, 1<<5 | 0x1E})
	if srs[0].ShortMAC != [2]byte(mac[2:]) {
		t.Fatalf("short MAC %x, want %x", srs[0].ShortMAC, mac[2:])
	}
	for i, sr := range srs {
		if i == 1 {
			continue // lost
		}
		if err := mme.VerifyServiceRequest(sr); err != nil {
			t.Fatalf("SR %d: %v", i, err)
		}
	}
	if mme.ULCount != 0x122 {
		t.Fatalf("MME UL COUNT %v, want %v", mme.ULCount, Count(0x122))
	}
	if err := mme.VerifyServiceRequest(srs[3]); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed SR: %v", err)
	}
	bad := *srs[3]
	bad.ShortMAC[0] ^= 0xFF
	if err := mme.VerifyServiceRequest(&bad); !errors.Is(err, ErrMACMismatch) {
		t.Errorf("forged SR: %v", err)
	}
	if _, err := mme.NewServiceRequest(1); !errors.Is(err, ErrInvalid) {
		t.Errorf("MME built an SR: %v", err)
	}
	if err := ue.VerifyServiceRequest(srs[0]); !errors.Is(err, ErrInvalid) {
		t.Errorf("UE verified an SR: %v", err)
	}
}

func TestHeaderTypeOf(t *testing.T) {
	ue, _ := pair(t, EEA2, EIA2)
	pdu, err := ue.Protect(mustMarshal(t, &DetachAccept{}), IntegrityProtectedAndCiphered)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		b    []byte
		want HeaderType
	}{{pdu, IntegrityProtectedAndCiphered}, {unhex(t, "c7a8640c"), ServiceRequestHeader}, {unhex(t, "0746"), Plain}, {unhex(t, "5200c2"), Plain}} {
		if got, err := HeaderTypeOf(c.b); err != nil || got != c.want {
			t.Errorf("HeaderTypeOf(%x) = %d, %v; want %d", c.b, got, err, c.want)
		}
	}
	if _, err := HeaderTypeOf([]byte{0x08, 0x41}); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown PD: %v", err)
	}
}

func TestEstimate(t *testing.T) {
	cases := []struct {
		next Count
		low  uint8
		bits uint
		want Count
	}{
		{0, 0, 8, 0}, {0, 5, 8, 5}, {0x105, 0x05, 8, 0x105}, {0x105, 0x04, 8, 0x204}, {0x1FF, 0x00, 8, 0x200},
		{0x3E, 0x1F, 5, 0x3F}, {0x3E, 0x00, 5, 0x40}, {0x3E, 0x1D, 5, 0x5D},
	}
	for _, c := range cases {
		if got := estimate(c.next, c.low, c.bits); got != c.want {
			t.Errorf("estimate(%#x, %#x, %d) = %#x, want %#x", c.next, c.low, c.bits, got, c.want)
		}
	}
}
