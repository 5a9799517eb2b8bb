package aka

import (
	"errors"
	"testing"
)

const (
	testK    = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc  = "cd63cb71954a9f4e48a5994e37a02baf"
	testSUPI = "imsi-001010000000001"
	testSNN  = "5G:mnc001.mcc001.3gppnetwork.org"
)

func newTestUSIM(t testing.TB, highest SQN) *USIM {
	t.Helper()
	u, err := NewUSIM(USIMConfig{K: unhex(t, testK), OPc: unhex(t, testOPc), SUPI: testSUPI, HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newVector(t testing.TB, sqn SQN, amf AMF) Vector {
	t.Helper()
	r, err := NewRAND()
	if err != nil {
		t.Fatal(err)
	}
	v, err := mustMilenage(t, testK, testOPc).GenerateVector(sqn, amf, testSNN, r)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestUEAndNetworkAgree runs a full 5G AKA: the UE's RES* passes the AUSF
// and SEAF checks and both sides end with the same KAUSF, KSEAF and KAMF.
func TestUEAndNetworkAgree(t *testing.T) {
	u := newTestUSIM(t, 0)
	sqn := SQN(0).Next()
	v := newVector(t, sqn, AMF5G)
	got, err := u.Authenticate(v.RAND, v.AUTN, testSNN, nil)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if !v.VerifyRESStar(got.RESStar) || !VerifyHRESStar(v.RAND, got.RESStar, v.HXRESStar) {
		t.Fatal("RES* rejected by AUSF or SEAF")
	}
	kseaf, err := v.KSEAF()
	if err != nil {
		t.Fatal(err)
	}
	kamf, err := DeriveKAMF(kseaf, testSUPI, DefaultABBA[:])
	if err != nil {
		t.Fatal(err)
	}
	if got.KAUSF != v.KAUSF || got.KSEAF != kseaf || got.KAMF != kamf || got.SQN != sqn {
		t.Fatalf("keys differ: UE %+v network KAUSF %v KSEAF %v KAMF %v", got, v.KAUSF, kseaf, kamf)
	}
	if u.HighestSQN() != sqn {
		t.Fatalf("HighestSQN = %v, want %v", u.HighestSQN(), sqn)
	}
}

func TestUSIMMACFailure(t *testing.T) {
	u := newTestUSIM(t, 0)
	v := newVector(t, NewSQN(1, 0), AMF5G)
	bad := v.AUTN
	bad[AUTNLen-1] ^= 0x01
	_, err := u.Authenticate(v.RAND, bad, testSNN, nil)
	if !errors.Is(err, ErrMACFailure) {
		t.Fatalf("err = %v, want ErrMACFailure", err)
	}
	if c, ok := CauseOf(err); !ok || c != CauseMACFailure {
		t.Fatalf("CauseOf = %d, %v", c, ok)
	}
	// A wrong K looks the same to the UE.
	other, err := NewUSIM(USIMConfig{K: make([]byte, 16), OPc: unhex(t, testOPc), SUPI: testSUPI})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(v.RAND, v.AUTN, testSNN, nil); !errors.Is(err, ErrMACFailure) {
		t.Fatalf("wrong K: err = %v", err)
	}
	if u.HighestSQN() != 0 {
		t.Fatal("a failed challenge moved the SQN state")
	}
}

// TestResynchronisation: a stale SQN gives cause #21 with AUTS; the network
// recovers SQNms from it, and the next vector is accepted.
func TestResynchronisation(t *testing.T) {
	ms := NewSQN(1000, 3)
	u := newTestUSIM(t, ms)
	v := newVector(t, NewSQN(10, 3), AMF5G)
	_, err := u.Authenticate(v.RAND, v.AUTN, testSNN, nil)
	var sf *SynchFailureError
	if !errors.As(err, &sf) || !errors.Is(err, ErrSynchFailure) {
		t.Fatalf("err = %v, want *SynchFailureError", err)
	}
	if c, _ := CauseOf(err); c != CauseSynchFailure {
		t.Fatalf("cause %d", c)
	}
	m := mustMilenage(t, testK, testOPc)
	got, err := m.VerifyAUTS(v.RAND, sf.AUTS)
	if err != nil || got != ms {
		t.Fatalf("VerifyAUTS = %v, %v; want %v", got, err, ms)
	}
	next := ResyncSQN(got)
	if next.SEQ() != 1001 || next.IND() != 3 {
		t.Fatalf("ResyncSQN = %v", next)
	}
	a, b := newVector(t, next, AMF5G), newVector(t, next, AMF5G)
	if _, err := u.Authenticate(a.RAND, b.AUTN, testSNN, nil); !errors.Is(err, ErrMACFailure) {
		t.Fatalf("RAND of one vector with AUTN of another: err = %v", err)
	}
	v2 := newVector(t, next, AMF5G)
	if _, err := u.Authenticate(v2.RAND, v2.AUTN, testSNN, nil); err != nil {
		t.Fatalf("after resync: %v", err)
	}
}

func TestVerifyAUTSRejectsBadMACS(t *testing.T) {
	m := mustMilenage(t, testK, testOPc)
	r := RAND{1, 2, 3}
	auts := m.BuildAUTS(r, NewSQN(77, 1))
	auts[AUTSLen-1] ^= 0x80
	if _, err := m.VerifyAUTS(r, auts); !errors.Is(err, ErrMACSFailure) {
		t.Fatalf("err = %v, want ErrMACSFailure", err)
	}
	if _, err := m.VerifyAUTS(RAND{9}, m.BuildAUTS(r, 5)); !errors.Is(err, ErrMACSFailure) {
		t.Fatalf("AUTS against another RAND: err = %v", err)
	}
}

func TestUSIMSeparationBit(t *testing.T) {
	u := newTestUSIM(t, 0)
	v := newVector(t, NewSQN(1, 0), 0x0000)
	_, err := u.Authenticate(v.RAND, v.AUTN, testSNN, nil)
	if !errors.Is(err, ErrNon5GAuth) {
		t.Fatalf("err = %v, want ErrNon5GAuth", err)
	}
	if c, _ := CauseOf(err); c != CauseNon5GAuthUnacceptable {
		t.Fatalf("cause %d", c)
	}
}

// TestUSIMFreshness walks the SEQ/IND array of TS 33.102 Annex C.2.
func TestUSIMFreshness(t *testing.T) {
	steps := []struct {
		seq uint64
		ind uint8
		ok  bool
	}{
		{5, 1, true},
		{3, 2, true},  // other IND: an older SEQ is still fresh there
		{5, 1, false}, // replay
		{4, 1, false}, // older than the IND's record
		{6, 1, true},
		{3, 2, false},
		{6 + DefaultDelta, 4, true},    // exactly Δ ahead of the highest
		{7 + 2*DefaultDelta, 5, false}, // more than Δ ahead
	}
	u := newTestUSIM(t, 0)
	for i, s := range steps {
		v := newVector(t, NewSQN(s.seq, s.ind), AMF5G)
		_, err := u.Authenticate(v.RAND, v.AUTN, testSNN, nil)
		if s.ok && err != nil || !s.ok && !errors.Is(err, ErrSynchFailure) {
			t.Fatalf("step %d SEQ %d IND %d: err = %v, want ok=%v", i, s.seq, s.ind, err, s.ok)
		}
	}
	if h := u.HighestSQN(); h != NewSQN(6+DefaultDelta, 4) {
		t.Fatalf("HighestSQN = %v", h)
	}
}

func TestSQN(t *testing.T) {
	s := NewSQN(0x123456789, 7)
	if s.SEQ() != 0x123456789 || s.IND() != 7 {
		t.Fatalf("SEQ/IND = %x/%d", s.SEQ(), s.IND())
	}
	if SQNFromBytes(s.Bytes()) != s {
		t.Fatal("Bytes round trip")
	}
	if n := s.Next(); n.SEQ() != s.SEQ()+1 || n.IND() != 7 {
		t.Fatalf("Next = %v", n)
	}
	if top := SQN(SQNMax); top.Next().SEQ() != 0 || top.Next().IND() != top.IND() {
		t.Fatalf("wrap: %v", top.Next())
	}
	if AMF5G.Bytes() != [2]byte{0x80, 0} || !AMF5G.SeparationBit() || AMFResync.SeparationBit() {
		t.Fatal("AMF bits")
	}
}

func TestNewUSIMValidates(t *testing.T) {
	cases := []USIMConfig{
		{K: unhex(t, testK), OPc: unhex(t, testOPc), SUPI: "001010000000001"},
		{K: unhex(t, testK)[:8], OPc: unhex(t, testOPc), SUPI: testSUPI},
		{K: unhex(t, testK), SUPI: testSUPI}, // neither OP nor OPc
	}
	for i, c := range cases {
		if _, err := NewUSIM(c); err == nil {
			t.Errorf("case %d: NewUSIM accepted %+v", i, c)
		}
	}
	u, err := NewUSIM(USIMConfig{K: unhex(t, testK), OP: unhex(t, "cdc202d5123e20f62b6d676ac72cb318"), SUPI: testSUPI})
	if err != nil {
		t.Fatal(err)
	}
	v := newVector(t, NewSQN(1, 0), AMF5G) // the network holds the OPc of that OP
	if _, err := u.Authenticate(v.RAND, v.AUTN, testSNN, nil); err != nil {
		t.Fatalf("USIM provisioned with OP: %v", err)
	}
}

func TestParseLengths(t *testing.T) {
	if _, err := ParseAUTN(make([]byte, 15)); !errors.Is(err, ErrInvalidLength) {
		t.Error("ParseAUTN 15")
	}
	if _, err := ParseAUTS(make([]byte, 16)); !errors.Is(err, ErrInvalidLength) {
		t.Error("ParseAUTS 16")
	}
	if _, err := ParseRAND(nil); !errors.Is(err, ErrInvalidLength) {
		t.Error("ParseRAND nil")
	}
	a, err := ParseAUTN(unhex(t, "de656c8b0bcf80004af30b82a8531115"))
	if err != nil || a.AMF() != AMF5G || a.MAC() != [8]byte(unhex(t, "4af30b82a8531115")) ||
		a.ConcealedSQN() != [6]byte(unhex(t, "de656c8b0bcf")) {
		t.Fatalf("AUTN fields: %v %v", a, err)
	}
}

// TestUSIMConcurrent authenticates from one goroutine per IND at once;
// every fresh vector must pass and the highest SQN must be recorded.
func TestUSIMConcurrent(t *testing.T) {
	u := newTestUSIM(t, 0)
	m := mustMilenage(t, testK, testOPc)
	errs := make(chan error, INDCount)
	for ind := range uint8(INDCount) {
		go func() {
			for seq := uint64(1); seq <= 5; seq++ {
				v, err := m.GenerateVector(NewSQN(seq, ind), AMF5G, testSNN, RAND{ind, byte(seq)})
				if err == nil {
					_, err = u.Authenticate(v.RAND, v.AUTN, testSNN, nil)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range INDCount {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if h := u.HighestSQN(); h.SEQ() != 5 {
		t.Fatalf("HighestSQN = %v", h)
	}
}
