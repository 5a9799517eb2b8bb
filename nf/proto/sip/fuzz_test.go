package sip

import "testing"

// Each target checks that parsing never panics and that what parses
// prints to something that parses again.

func FuzzParseNameAddrList(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseNameAddrList(s); err == nil {
			if _, err := ParseNameAddrList(v.String()); err != nil {
				t.Fatalf("reparse %q: %v", v.String(), err)
			}
		}
	})
}

func FuzzParsePHeaders(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParsePAccessNetworkInfo(s); err == nil {
			if _, err := ParsePAccessNetworkInfo(v.String()); err != nil {
				t.Fatalf("pani reparse %q: %v", v.String(), err)
			}
		}
		if v, err := ParsePChargingVector(s); err == nil {
			if _, err := ParsePChargingVector(v.String()); err != nil {
				t.Fatalf("pcv reparse %q: %v", v.String(), err)
			}
		}
		_, _ = ParsePVisitedNetworkID(s)
		_, _ = ParseSecurityMechanisms(s)
		_, _ = ParseFeatureCaps(s)
	})
}

func FuzzParseRegInfo(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := ParseRegInfo(b); err == nil {
			out, err := v.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseRegInfo(out); err != nil {
				t.Fatalf("reparse: %v\n%s", err, out)
			}
		}
	})
}

func FuzzParseSDP(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSDP(b)
		if err != nil {
			return
		}
		if _, err := ParseSDP([]byte(s.String())); err != nil {
			t.Fatalf("reparse %q: %v", s.String(), err)
		}
		_, _ = DeriveMediaComponents(s, s)
	})
}

func FuzzParseChallenge(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseChallenge(s); err == nil {
			_, _, _ = DecodeAKANonce(c.Nonce)
			_, _, _ = c.ChallengeKeys()
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAuthorization(s)
		if err != nil {
			return
		}
		_, _, _, _ = a.ResyncAUTS()
		if _, err := ParseAuthorization(a.String()); err != nil {
			t.Fatalf("reparse %q: %v", a.String(), err)
		}
	})
}
