package aka

import (
	"errors"
	"testing"
)

// Fuzz targets for every decoder the package owns. Seeds live in
// testdata/fuzz/<Target>/; run e.g. go test -fuzz FuzzParseSUCI -fuzztime 20s.

func FuzzParseSUCI(f *testing.F) {
	privA, _ := hnKeys(f, SchemeProfileA)
	privB, _ := hnKeys(f, SchemeProfileB)
	f.Fuzz(func(t *testing.T, str string) {
		s, err := ParseSUCI(str)
		if err != nil {
			if !errors.Is(err, ErrInvalidSUCI) && !errors.Is(err, ErrUnsupportedScheme) {
				t.Fatalf("ParseSUCI(%q) error %v is not ErrInvalidSUCI/ErrUnsupportedScheme", str, err)
			}
			return
		}
		again, err := ParseSUCI(s.String())
		if err != nil || again.String() != s.String() {
			t.Fatalf("canonical form %q does not re-parse: %v", s.String(), err)
		}
		key := privA
		if s.Scheme == SchemeProfileB {
			key = privB
		}
		if imsi, err := s.Deconceal(key); err == nil {
			if err := imsi.Validate(); err != nil {
				t.Fatalf("Deconceal returned invalid IMSI %+v: %v", imsi, err)
			}
		}
	})
}

func FuzzAUTN(f *testing.F) {
	u := newTestUSIM(f, 0)
	f.Fuzz(func(t *testing.T, rand, autn []byte) {
		r, errR := ParseRAND(rand)
		a, errA := ParseAUTN(autn)
		if errR != nil || errA != nil {
			if !errors.Is(errR, ErrInvalidLength) && !errors.Is(errA, ErrInvalidLength) {
				t.Fatalf("parse errors %v / %v", errR, errA)
			}
			return
		}
		conc, amf, mac := a.ConcealedSQN(), a.AMF().Bytes(), a.MAC()
		if string(conc[:])+string(amf[:])+string(mac[:]) != string(autn) {
			t.Fatal("AUTN fields do not rebuild the input")
		}
		res, err := u.Authenticate(r, a, testSNN, nil)
		if err != nil {
			if _, ok := CauseOf(err); !ok {
				t.Fatalf("Authenticate error %v maps to no 5GMM cause", err)
			}
			return
		}
		if res.SQN.SEQ() == 0 {
			t.Fatal("accepted SEQ 0")
		}
	})
}

func FuzzAUTS(f *testing.F) {
	m := mustMilenage(f, testK, testOPc)
	f.Fuzz(func(t *testing.T, rand, auts []byte) {
		r, errR := ParseRAND(rand)
		a, errA := ParseAUTS(auts)
		if errR != nil || errA != nil {
			return
		}
		sqn, err := m.VerifyAUTS(r, a)
		if err != nil {
			if !errors.Is(err, ErrMACSFailure) {
				t.Fatalf("VerifyAUTS error %v", err)
			}
			return
		}
		if m.BuildAUTS(r, sqn) != a {
			t.Fatalf("accepted AUTS %v that BuildAUTS does not produce", a)
		}
	})
}

func FuzzDeconceal(f *testing.F) {
	privA, _ := hnKeys(f, SchemeProfileA)
	privB, _ := hnKeys(f, SchemeProfileB)
	f.Fuzz(func(t *testing.T, scheme byte, output []byte) {
		key := privA
		if ProtectionScheme(scheme) == SchemeProfileB {
			key = privB
		}
		plain, err := Unprotect(ProtectionScheme(scheme), output, key)
		if err == nil && len(plain) != len(output)-ProtectionScheme(scheme).ephPubLen()-eciesMACLen {
			t.Fatalf("plaintext of %d octets from %d", len(plain), len(output))
		}
		s := SUCI{MCC: "274", MNC: "012", RoutingIndicator: "0", Scheme: ProtectionScheme(scheme), HNKeyID: 1, SchemeOutput: output}
		if imsi, err := s.Deconceal(key); err == nil {
			if err := imsi.Validate(); err != nil {
				t.Fatalf("Deconceal returned invalid IMSI %+v: %v", imsi, err)
			}
		}
	})
}
