package aka

import (
	"encoding/hex"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustMilenage(t testing.TB, k, opc string) *Milenage {
	t.Helper()
	m, err := NewMilenage(unhex(t, k), unhex(t, opc))
	if err != nil {
		t.Fatalf("NewMilenage: %v", err)
	}
	return m
}

func mustRAND(t testing.TB, s string) RAND {
	t.Helper()
	r, err := ParseRAND(unhex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sqnHex(t testing.TB, s string) SQN {
	t.Helper()
	return SQNFromBytes([SQNLen]byte(unhex(t, s)))
}

func eqHex(t testing.TB, what string, got []byte, want string) {
	t.Helper()
	if g := hex.EncodeToString(got); g != want {
		t.Errorf("%s = %s, want %s", what, g, want)
	}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }
