package sip

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/corebox/corebox/nf/aka"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDigestResponseKnownAnswers: RFC 2617 3.5's example, and an IMS AKA
// vector computed independently with Python hashlib over the binary RES of
// TS 35.208 test set 1 (a54211d5e3ba50bf) as the password.
func TestDigestResponseKnownAnswers(t *testing.T) {
	cases := []struct {
		name string
		in   DigestInput
		want string
	}{
		{"rfc2617", DigestInput{Username: "Mufasa", Realm: "testrealm@host.com", Password: []byte("Circle Of Life"),
			Method: "GET", URI: "/dir/index.html", Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			QOP: "auth", NC: "00000001", CNonce: "0a4f113b"}, "6629fae49393a05397450978507c4ef1"},
		{"aka-binary-res", DigestInput{Username: "user@ims.example", Realm: "ims.example", Password: mustHex(t, "a54211d5e3ba50bf"),
			Method: "REGISTER", URI: "sip:ims.example", Nonce: "bm9uY2U=",
			QOP: "auth", NC: "00000001", CNonce: "0a4f113b"}, "33d68d317e7d1b730d5b9b94c5309f72"},
	}
	for _, tc := range cases {
		if got := DigestResponse(tc.in); got != tc.want {
			t.Errorf("%s: response %s, want %s", tc.name, got, tc.want)
		}
	}
}

type akaFixture struct {
	mil  *aka.Milenage
	card USIMCard
}

func newAKAFixture(t testing.TB, k, cardK string, highest aka.SQN) akaFixture {
	t.Helper()
	opc := mustHex(t, "cd63cb71954a9f4e48a5994e37a02baf")
	mil, err := aka.NewMilenage(mustHex(t, k), opc)
	if err != nil {
		t.Fatal(err)
	}
	usim, err := aka.NewUSIM(aka.USIMConfig{K: mustHex(t, cardK), OPc: opc, SUPI: "imsi-001010000000001", HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	return akaFixture{mil: mil, card: USIMCard{USIM: usim}}
}

const testK = "465b5ce8b199b49faa5f0a2ee238a6bc"

func challengeFor(t testing.TB, f akaFixture, sqn aka.SQN) (AKAVector, Challenge) {
	t.Helper()
	r, err := aka.NewRAND()
	if err != nil {
		t.Fatal(err)
	}
	v := GenerateAKAVector(f.mil, sqn, aka.AMF5G, r)
	return v, NewAKAChallenge("ims.example", v, true)
}

// relay is the P-CSCF: strip keys, serialise, and the UE parses.
func relay(t testing.TB, c Challenge) Challenge {
	t.Helper()
	got, err := ParseChallenge(c.WithoutKeys().String())
	if err != nil {
		t.Fatal(err)
	}
	if got.CK != "" || got.IK != "" {
		t.Fatalf("keys leaked to the UE: %+v", got)
	}
	return got
}

func answer(t testing.TB, c Challenge, card AKACard) AKAAnswer {
	t.Helper()
	ans, err := AnswerAKA(c, card, "001010000000001@ims.example", "REGISTER", "sip:ims.example", 1)
	if err != nil {
		t.Fatal(err)
	}
	// Over the wire to the S-CSCF.
	if ans.Authorization, err = ParseAuthorization(ans.Authorization.String()); err != nil {
		t.Fatal(err)
	}
	return ans
}

func TestAKARoundTrip(t *testing.T) {
	f := newAKAFixture(t, testK, testK, 0)
	v, c := challengeFor(t, f, aka.NewSQN(1, 0))
	ck, ik, err := c.ChallengeKeys()
	if err != nil || ck != v.CK || ik != v.IK {
		t.Fatalf("P-CSCF keys: %v %x %x", err, ck, ik)
	}
	ans := answer(t, relay(t, c), f.card)
	if ans.Resync || ans.CK != v.CK || ans.IK != v.IK {
		t.Fatalf("UE answer %+v", ans)
	}
	if err := VerifyAKA(ans.Authorization, "REGISTER", c, v.XRES[:]); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// The same credentials for another method must fail.
	if err := VerifyAKA(ans.Authorization, "INVITE", c, v.XRES[:]); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("verify other method: %v", err)
	}
}

func TestAKAWrongKey(t *testing.T) {
	// The network holds another K: the card sees a bad MAC and refuses.
	f := newAKAFixture(t, "000102030405060708090a0b0c0d0e0f", testK, 0)
	_, c := challengeFor(t, f, aka.NewSQN(1, 0))
	_, err := AnswerAKA(relay(t, c), f.card, "u@ims.example", "REGISTER", "sip:ims.example", 1)
	if !errors.Is(err, aka.ErrMACFailure) {
		t.Fatalf("err = %v, want MAC failure", err)
	}
	// A response computed with another RES (wrong K on the UE side) fails.
	good := newAKAFixture(t, testK, testK, 0)
	v, c2 := challengeFor(t, good, aka.NewSQN(1, 0))
	ans := answer(t, relay(t, c2), good.card)
	wrong := v.XRES
	wrong[0] ^= 1
	if err := VerifyAKA(ans.Authorization, "REGISTER", c2, wrong[:]); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("verify with wrong XRES: %v", err)
	}
}

func TestAKAResync(t *testing.T) {
	cardSQN := aka.NewSQN(100, 0)
	f := newAKAFixture(t, testK, testK, cardSQN)
	_, c := challengeFor(t, f, aka.NewSQN(5, 0)) // stale SQN
	ans := answer(t, relay(t, c), f.card)
	if !ans.Resync || ans.Authorization.AUTS == "" {
		t.Fatalf("want auts, got %+v", ans)
	}
	// RFC 3310 3.4: the response is over an empty password.
	if err := VerifyAKA(ans.Authorization, "REGISTER", c, nil); err != nil {
		t.Fatalf("verify resync response: %v", err)
	}
	r, auts, ok, err := ans.Authorization.ResyncAUTS()
	if err != nil || !ok {
		t.Fatalf("ResyncAUTS: %v %v", ok, err)
	}
	sqnMS, err := f.mil.VerifyAUTS(r, auts)
	if err != nil || sqnMS != cardSQN {
		t.Fatalf("VerifyAUTS = %v, %v; want %v", sqnMS, err, cardSQN)
	}
	// The next vector from the resynchronised SQN is accepted.
	v2, c2 := challengeFor(t, f, aka.ResyncSQN(sqnMS))
	ans2 := answer(t, relay(t, c2), f.card)
	if err := VerifyAKA(ans2.Authorization, "REGISTER", c2, v2.XRES[:]); err != nil {
		t.Fatalf("verify after resync: %v", err)
	}
}

func TestAUTSHexAccepted(t *testing.T) {
	a := Authorization{Nonce: EncodeAKANonce(aka.RAND{1}, aka.AUTN{2}), AUTS: "0102030405060708090a0b0c0d0e"}
	r, auts, ok, err := a.ResyncAUTS()
	if err != nil || !ok || r != (aka.RAND{1}) || auts[13] != 0x0e {
		t.Fatalf("hex auts: %v %v %x %x", ok, err, r, auts)
	}
}

func TestVerifyAKAMismatch(t *testing.T) {
	f := newAKAFixture(t, testK, testK, 0)
	v, c := challengeFor(t, f, aka.NewSQN(1, 0))
	ans := answer(t, relay(t, c), f.card)
	cases := map[string]func(a *Authorization){
		"nonce":     func(a *Authorization) { a.Nonce = "x" },
		"realm":     func(a *Authorization) { a.Realm = "other" },
		"algorithm": func(a *Authorization) { a.Algorithm = "MD5" },
		"no qop":    func(a *Authorization) { a.QOP = "" },
	}
	for name, mutate := range cases {
		a := ans.Authorization
		mutate(&a)
		if err := VerifyAKA(a, "REGISTER", c, v.XRES[:]); !errors.Is(err, ErrAuthMismatch) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestInitialAuthorization(t *testing.T) {
	a := InitialAuthorization("001010000000001@ims.example", "ims.example", "sip:ims.example")
	got, err := ParseAuthorization(a.String())
	if err != nil || !got.IsInitial() || got.Username != a.Username || !got.hasResponse {
		t.Fatalf("initial: %+v %v", got, err)
	}
}

func TestDigestHeaderRoundTrip(t *testing.T) {
	chs := []string{
		`Digest realm="ims.example", nonce="AAAA", algorithm=AKAv1-MD5, qop="auth", ck="00", ik="11"`,
		`Digest realm="a b", domain="sip:x", nonce="n", opaque="o", stale=TRUE, algorithm=MD5, qop="auth,auth-int", foo="bar"`,
	}
	for _, s := range chs {
		c, err := ParseChallenge(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if c.String() != s {
			t.Errorf("challenge round trip:\n got %s\nwant %s", c.String(), s)
		}
	}
	auths := []string{
		`Digest username="u@x", realm="x", nonce="n", uri="sip:x", response="", algorithm=AKAv1-MD5, cnonce="c", qop=auth, nc=00000001, auts="YWJj", integrity-protected="yes"`,
		`Digest username="u", realm="r\"q", nonce="", uri="sip:r", response=""`,
	}
	for _, s := range auths {
		a, err := ParseAuthorization(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if a.String() != s {
			t.Errorf("authorization round trip:\n got %s\nwant %s", a.String(), s)
		}
	}
	for _, bad := range []string{`Basic abc`, `Digest realm="x`, `Digest nc=zz`, `Digest realm`, `Digest username="u", nc=1`} {
		if _, err := ParseAuthorization(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseAuthorization(%q) err = %v", bad, err)
		}
	}
}

func BenchmarkAKAChallengeVerify(b *testing.B) {
	f := newAKAFixture(b, testK, testK, 0)
	r := aka.RAND{7}
	v := GenerateAKAVector(f.mil, aka.NewSQN(1, 0), aka.AMF5G, r)
	c := NewAKAChallenge("ims.example", v, true)
	ans, err := AnswerAKA(c, staticCard{v}, "u@ims.example", "REGISTER", "sip:ims.example", 1)
	if err != nil {
		b.Fatal(err)
	}
	hdr := ans.Authorization.String()
	b.ResetTimer()
	for b.Loop() {
		v := GenerateAKAVector(f.mil, aka.NewSQN(1, 0), aka.AMF5G, r)
		c := NewAKAChallenge("ims.example", v, true)
		_ = c.String()
		a, err := ParseAuthorization(hdr)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyAKA(a, "REGISTER", c, v.XRES[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// staticCard answers from a known vector (no SQN state), for benchmarks.
type staticCard struct{ v AKAVector }

func (s staticCard) RunAKA(aka.RAND, aka.AUTN) ([]byte, [aka.CKLen]byte, [aka.IKLen]byte, error) {
	return s.v.XRES[:], s.v.CK, s.v.IK, nil
}
