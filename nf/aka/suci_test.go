package aka

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"strings"
	"testing"
)

// TS 33.501 Annex C.4 home network keys (C.4.3 profile A, C.4.4 profile B).
const (
	hnPrivA = "c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d"
	hnPubA  = "5a8d38864820197c3394b92613b20b91633cbd897119273bf8e4a6f4eec0a650"
	hnPrivB = "f1ab1074477ebcc7f554ea1c5fc368b1616730155e0041ac447d6301975fecda"
	hnPubB  = "0272da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd1"
	hnPubBu = "0472da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd1" +
		"5a7ded52fcbb097a4ed250e036c7b9c8c7004c4eedc4f068cd7bf8d3f900e3b4"
)

var specIMSI = IMSI{MCC: "274", MNC: "012", MSIN: "001002086"}

func hnKeys(t testing.TB, s ProtectionScheme) (*ecdh.PrivateKey, *ecdh.PublicKey) {
	t.Helper()
	privHex, pubHex := hnPrivA, hnPubA
	if s == SchemeProfileB {
		privHex, pubHex = hnPrivB, hnPubB
	}
	priv, err := ParseHNPrivateKey(s, unhex(t, privHex))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParseHNPublicKey(s, unhex(t, pubHex))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.PublicKey()) {
		t.Fatalf("scheme %d: spec public key does not match the private key", s)
	}
	return priv, pub
}

// TestSUCISpecVectors reproduces the scheme outputs of TS 33.501 C.4.3.1
// (profile A) and C.4.4.1 (profile B) from the spec's ephemeral keys, and
// de-conceals them. The keys and outputs were checked against a copy of the
// Annex C.4 text; mitshell/CryptoMobile test/test_ECIES.py uses the same.
func TestSUCISpecVectors(t *testing.T) {
	cases := []struct {
		scheme          ProtectionScheme
		ephPriv, output string
		shared, encKey  string
		icb, macKey     string
	}{
		{
			SchemeProfileA, "c80949f13ebe61af4ebdbd293ea4f942696b9e815d7e8f0096bbf6ed7de62256",
			"b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457dcb02352410cddd9e730ef3fa87",
			"028ddf890ec83cdf163947ce45f6ec1a0e3070ea5fe57e2b1f05139f3e82422a", "2ba342cabd2b3b1e5e4e890da11b65f6",
			"e2622cb0cdd08204e721c8ea9b95a7c6", "d9846966fb7cf5fcf11266c5957dea60b83fff2b7c940690a4bfe57b1eb52bd2",
		},
		{
			SchemeProfileB, "99798858a1dc6a2c68637149a4b1dbfd1fdff5addd62a2142f06699ed7602529",
			"039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d146a33fc2716ac7dae96aa30a4d",
			"6c7e6518980025b982fbb2ff746e3c2e85a196d252099a7ad23ea7b4c0959cae", "8a65c3aed80295c12bd55087e965702a",
			"ef285b4061c3baee858ab6ec68487dae", "a5ebac0bc48d9cf7ae5ce39cd840ac6c761aec04078fab954d634f923e901c64",
		},
	}
	for _, c := range cases {
		priv, pub := hnKeys(t, c.scheme)
		curve, _ := c.scheme.curve()
		eph, err := curve.NewPrivateKey(unhex(t, c.ephPriv))
		if err != nil {
			t.Fatal(err)
		}
		z, err := eph.ECDH(pub)
		if err != nil {
			t.Fatal(err)
		}
		eqHex(t, "shared key", z, c.shared)
		k := x963KDF(z, encodeEphemeral(c.scheme, eph.PublicKey()))
		eqHex(t, "enc key", k.enc[:], c.encKey)
		eqHex(t, "ICB", k.icb[:], c.icb)
		eqHex(t, "mac key", k.mac[:], c.macKey)

		s, err := Conceal(specIMSI, "0000", c.scheme, 1, pub, eph)
		if err != nil {
			t.Fatalf("scheme %d: Conceal: %v", c.scheme, err)
		}
		eqHex(t, "scheme output", s.SchemeOutput, c.output)
		parsed, err := ParseSUCI("suci-0-274-012-0000-" + string('0'+byte(c.scheme)) + "-1-" + strings.ToUpper(c.output))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parsed.Deconceal(priv)
		if err != nil || got != specIMSI {
			t.Fatalf("scheme %d: Deconceal = %+v, %v", c.scheme, got, err)
		}
		if got.SUPI() != "imsi-274012001002086" {
			t.Fatalf("SUPI %q", got.SUPI())
		}
	}
}

// TestECIESNAIVectors runs Protect/Unprotect on the network specific
// identifier vectors of TS 33.501 C.4.3.2 and C.4.4.2 (plaintext
// "verylongusername1"), which exercise a 17-octet ciphertext.
func TestECIESNAIVectors(t *testing.T) {
	cases := []struct {
		scheme             ProtectionScheme
		ephPriv, ephPub    string
		ciphertext, macTag string
	}{
		{SchemeProfileA, "be9eff3e9f22a4b42a3d236e7a6c500b3f2e7e0c7449988ba800d664bf4fcd97",
			"977d8b2fdaa7b64aa700d04227d5b440630ea4ec50f9082273a26bb678c92222",
			"8e358a1582adb15322c10e515141d2039a", "12e1d7783a97f1ac"},
		{SchemeProfileB, "90a5898bd29ffa3f261e00e980067c70a2b1b992a21f5b4fef6d4df69fe804ad",
			"03759bb22c563d9f4a6b3c1419e543fc2f39d6823f02a9d71162b39399218b244b",
			"be22d8b9f856a52ed381cd7eaf4cf2d525", "3cddc61a0a7882eb"},
	}
	plain := []byte("verylongusername1")
	for _, c := range cases {
		priv, pub := hnKeys(t, c.scheme)
		curve, _ := c.scheme.curve()
		eph, err := curve.NewPrivateKey(unhex(t, c.ephPriv))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Protect(c.scheme, plain, pub, eph)
		if err != nil {
			t.Fatal(err)
		}
		eqHex(t, "NAI scheme output", out, c.ephPub+c.ciphertext+c.macTag)
		back, err := Unprotect(c.scheme, out, priv)
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("Unprotect = %q, %v", back, err)
		}
	}
}

// TestDeconcealFree5gcSUCIs de-conceals the profile A and B SUCIs that
// free5gc generated with its own ephemeral keys (github.com/free5gc/
// CommonConsumerTestData AUSF/TestUEAuth/UEAuthentication.go,
// TEST_SUCI_PROFILE_A/B) under the Annex C.4 home network keys.
func TestDeconcealFree5gcSUCIs(t *testing.T) {
	for scheme, str := range map[ProtectionScheme]string{
		SchemeProfileA: "suci-0-274-012-0001-1-01-445c8f4bbcfb488523c71b5bd90598ddb80449f55c1261dcc42224b779b9e54cfbb72af9893fea0a0d7fef3739",
		SchemeProfileB: "suci-0-274-012-0001-2-01-02b59c228fa869ad0c57b5f9ad575ffcd3af0994098afd5d52d25c32beb96d19f1291c615cfe9f8d480ae336f9a9",
	} {
		s, err := ParseSUCI(str)
		if err != nil {
			t.Fatal(err)
		}
		priv, _ := hnKeys(t, scheme)
		got, err := s.Deconceal(priv)
		if err != nil || got != specIMSI {
			t.Fatalf("scheme %d: %+v, %v", scheme, got, err)
		}
	}
}

func TestSUCINullScheme(t *testing.T) {
	s, err := Conceal(specIMSI, "0", SchemeNull, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// TS 33.501 C.4.2.1: scheme input and output '00012080F6'.
	eqHex(t, "null scheme output", s.SchemeOutput, "00012080f6")
	if s.String() != "suci-0-274-012-0-0-0-001002086" {
		t.Fatalf("String = %q", s.String())
	}
	got, err := s.Deconceal(nil)
	if err != nil || got != specIMSI {
		t.Fatalf("Deconceal = %+v, %v", got, err)
	}
	if _, err := Conceal(specIMSI, "0", SchemeNull, 3, nil, nil); !errors.Is(err, ErrInvalidSUCI) {
		t.Fatalf("null scheme with key id 3: %v", err)
	}
}

func TestSUCIRoundTrip(t *testing.T) {
	for _, scheme := range []ProtectionScheme{SchemeNull, SchemeProfileA, SchemeProfileB} {
		priv, err := GenerateHNKey(scheme)
		if scheme == SchemeNull {
			priv, err = nil, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var pub *ecdh.PublicKey
		if priv != nil {
			pub = priv.PublicKey()
		}
		for _, imsi := range []IMSI{
			{MCC: "001", MNC: "01", MSIN: "0000000001"},
			{MCC: "208", MNC: "93", MSIN: "0000007487"},
			{MCC: "310", MNC: "410", MSIN: "123456789"},
			{MCC: "999", MNC: "70", MSIN: "1"},
		} {
			keyID := uint8(7)
			if scheme == SchemeNull {
				keyID = 0
			}
			s, err := Conceal(imsi, "678", scheme, keyID, pub, nil)
			if err != nil {
				t.Fatalf("Conceal(%v, %d): %v", imsi, scheme, err)
			}
			parsed, err := ParseSUCI(s.String())
			if err != nil {
				t.Fatalf("ParseSUCI(%q): %v", s, err)
			}
			if parsed.String() != s.String() || parsed.HNKeyID != keyID || parsed.RoutingIndicator != "678" {
				t.Fatalf("round trip %q -> %q", s, parsed)
			}
			got, err := parsed.Deconceal(priv)
			if err != nil || got != imsi {
				t.Fatalf("Deconceal(%q) = %+v, %v; want %+v", s, got, err, imsi)
			}
		}
	}
}

func TestSUCITamperAndWrongKey(t *testing.T) {
	for _, scheme := range []ProtectionScheme{SchemeProfileA, SchemeProfileB} {
		priv, pub := hnKeys(t, scheme)
		s, err := Conceal(specIMSI, "0000", scheme, 1, pub, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.SchemeOutput {
			bad := s
			bad.SchemeOutput = bytes.Clone(s.SchemeOutput)
			bad.SchemeOutput[i] ^= 0x01
			if _, err := bad.Deconceal(priv); err == nil {
				t.Fatalf("scheme %d: flipped octet %d accepted", scheme, i)
			}
		}
		other, err := GenerateHNKey(scheme)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Deconceal(other); !errors.Is(err, ErrSchemeOutputMAC) {
			t.Fatalf("scheme %d: wrong key: %v", scheme, err)
		}
		wrongCurve, _ := hnKeys(t, SchemeProfileA+SchemeProfileB-scheme)
		if _, err := s.Deconceal(wrongCurve); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("scheme %d: key of the other profile: %v", scheme, err)
		}
	}
}

func TestParseSUCIErrors(t *testing.T) {
	bad := []string{
		"",
		"suci",
		"imsi-001010000000001",
		"suci-1-001-01-0000-0-0-0000000001",  // NAI type
		"suci-0-01-01-0000-0-0-0000000001",   // MCC
		"suci-0-001-1-0000-0-0-0000000001",   // MNC
		"suci-0-001-01-00000-0-0-0000000001", // routing indicator too long
		"suci-0-001-01--0-0-0000000001",      // empty routing indicator
		"suci-0-001-01-0000-0-1-0000000001",  // null scheme with key id
		"suci-0-001-01-0000-0-0-",            // empty MSIN
		"suci-0-001-01-0000-0-0-00000000011", // IMSI over 15 digits
		"suci-0-001-01-0000-0-0-00000f0001",  // non-digit MSIN
		"suci-0-001-01-0000-3-1-00",          // unsupported scheme
		"suci-0-001-01-0000-256-1-00",        // scheme not a byte
		"suci-0-001-01-0000-1-256-00",        // key id not a byte
		"suci-0-001-01-0000-1-1-zz",          // not hex
		"suci-0-001-01-0000-1-1-0011",        // too short for profile A
		"suci-0-001-01-0000-1-1-0000-extra",  // extra field
	}
	for _, s := range bad {
		if got, err := ParseSUCI(s); err == nil {
			t.Errorf("ParseSUCI(%q) = %+v, want error", s, got)
		}
	}
	good := map[string]SUCI{
		"suci-0-001-01-0000-0-0-0000000001": {MCC: "001", MNC: "01", RoutingIndicator: "0000", MSIN: "0000000001"},
		"suci-0-310-410-1-0-0-12345":        {MCC: "310", MNC: "410", RoutingIndicator: "1", MSIN: "12345"},
	}
	for s, want := range good {
		got, err := ParseSUCI(s)
		if err != nil || got.MCC != want.MCC || got.MNC != want.MNC || got.RoutingIndicator != want.RoutingIndicator ||
			got.MSIN != want.MSIN || got.Scheme != SchemeNull || got.String() != s {
			t.Errorf("ParseSUCI(%q) = %+v, %v", s, got, err)
		}
	}
}

func TestParseSUPI(t *testing.T) {
	i, err := ParseSUPI("imsi-208930000007487", 2)
	if err != nil || i != (IMSI{MCC: "208", MNC: "93", MSIN: "0000007487"}) || i.SUPI() != "imsi-208930000007487" {
		t.Fatalf("ParseSUPI = %+v, %v", i, err)
	}
	for _, c := range []struct {
		s string
		n int
	}{{"imsi-20893", 2}, {"208930000007487", 2}, {"imsi-208930000007487", 4}, {"imsi-2089300000074871", 3}, {"imsi-20893000000748a", 2}} {
		if _, err := ParseSUPI(c.s, c.n); !errors.Is(err, ErrInvalidSUPI) {
			t.Errorf("ParseSUPI(%q, %d) err = %v", c.s, c.n, err)
		}
	}
}

func TestHNKeyEncoding(t *testing.T) {
	_, pub := hnKeys(t, SchemeProfileB)
	full, err := ParseHNPublicKey(SchemeProfileB, unhex(t, hnPubBu))
	if err != nil || !full.Equal(pub) {
		t.Fatalf("uncompressed key: %v", err)
	}
	b, err := MarshalHNPublicKey(SchemeProfileB, pub)
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "compressed", b, hnPubB)
	if _, err := ParseHNPublicKey(SchemeProfileB, append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("x beyond the field: %v", err)
	}
	if _, err := ParseHNPrivateKey(SchemeProfileA, make([]byte, 31)); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("short X25519 key: %v", err)
	}
	if _, err := ParseHNPrivateKey(SchemeNull, make([]byte, 32)); !errors.Is(err, ErrUnsupportedScheme) {
		t.Fatalf("null scheme key: %v", err)
	}
}

func TestBCD(t *testing.T) {
	for _, d := range []string{"1", "12", "001002086", "0000000001", "9876543210"} {
		got, err := decodeBCD(encodeBCD(d))
		if err != nil || got != d {
			t.Errorf("BCD round trip %q -> %q, %v", d, got, err)
		}
	}
	for _, b := range [][]byte{{0x0A}, {0xF1, 0x00}, {0xA0}, {0xFF}} {
		if got, err := decodeBCD(b); err == nil {
			t.Errorf("decodeBCD(%x) = %q, want error", b, got)
		}
	}
}
