package aka

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/free5gc/util/ueauth"
)

func TestServingNetworkName(t *testing.T) {
	cases := []struct {
		mcc, mnc, want string
		ok             bool
	}{
		{"001", "01", "5G:mnc001.mcc001.3gppnetwork.org", true},
		{"208", "93", "5G:mnc093.mcc208.3gppnetwork.org", true},
		{"310", "410", "5G:mnc410.mcc310.3gppnetwork.org", true},
		{"01", "01", "", false},
		{"001", "1", "", false},
		{"001", "0011", "", false},
		{"0a1", "01", "", false},
	}
	for _, c := range cases {
		got, err := ServingNetworkName(c.mcc, c.mnc)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ServingNetworkName(%q, %q) = %q, %v; want %q ok=%v", c.mcc, c.mnc, got, err, c.want, c.ok)
		}
	}
}

// TestKDFFraming checks the generic KDF against vectors that other
// implementations publish for the same TS 33.220 B.2 framing.
func TestKDFFraming(t *testing.T) {
	// RFC 5448 test vector 1 (CK'||IK', FC 0x20), as used by free5gc/util
	// ueauth/ueauth_test.go (TestGetKDFValue).
	ckik := unhex(t, "5349fbe098649f948f5d2e973a81c00f9744871ad32bf9bbd1dd5ce54e3e2e5a")
	got, err := KDF(ckik, FC(0x20), []byte("WLAN"), unhex(t, "bb52e91c747a"))
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "CK'||IK'", got[:], "0093962d0dd84aa5684b045c9edffa04ccfc230ca74fcc96c0a5d61164f5a76c")

	// KeNB from KASME with uplink NAS COUNT 0 (TS 33.401 A.3, FC 0x11: the
	// same 4-octet COUNT parameter as KgNB), from srsran/srsRAN_4G
	// lib/test/common/test_security_kdf.cc (test_generate_k_enb).
	var count [4]byte
	kasme := unhex(t, "6144c681d1bea9dae1b8cf6cd10a686341db8046a1e7a9ab4d1ea0e33c994ac0")
	got, err = KDF(kasme, FC(0x11), count[:])
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "KeNB", got[:], "c4c7bc798ab94e3d354cd6608e79aa92f5569df46519507850051e36f018ca5f")
}

func TestKDFRejectsOversizedParameter(t *testing.T) {
	_, err := KDF(make([]byte, 32), FCKSEAF, make([]byte, maxKDFParam+1))
	if !errors.Is(err, ErrInvalidLength) {
		t.Fatalf("err = %v, want ErrInvalidLength", err)
	}
}

// TestAlgorithmKeySRSRAN checks A.8 against srsran/srsRAN_Project
// tests/unittests/security/security_test.cpp (security_gen_k_rrc and
// security_gen_k_up, testset1): KDF FC 0x69 from a gNB key with the RRC and
// UP distinguishers; srsRAN prints the whole 256-bit output, the key is its
// last 16 octets.
func TestAlgorithmKeySRSRAN(t *testing.T) {
	kgnb := Key256(unhex(t, "45cbc3f8a81193fd5c5229300d59edf812e998a115ec4e0ce903ba89367e2628"))
	cases := []struct {
		d    AlgorithmDistinguisher
		alg  uint8
		full string
	}{
		{NRRCEncAlg, 2, "52a995dff89bc294bd89ffb137a29f2466a09e992386c8d1df7892964c6fb522"},
		{NRRCIntAlg, 0, "534208f43b924efb677d95f93dbcbcb05c2cc2fda0f318a1e0ce35b9db5e80a5"},
		{NUPEncAlg, 2, "7ce20670bbbcc5904087c0d42653c540152052d3dfbc3f05869b7f920095be68"},
		{NUPIntAlg, 0, "1ac74475a60bea4b4002a0439b722361d0deb4584095599e5806eae4f67656d8"},
	}
	for _, c := range cases {
		k, err := DeriveAlgorithmKey(kgnb, c.d, c.alg)
		if err != nil {
			t.Fatal(err)
		}
		eqHex(t, "algorithm key", k[:], c.full[32:])
	}
}

// TestWmnskMilenageVector pins the 5G AKA values of github.com/wmnsk/milenage
// milenage_test.go (case "normal"): K = OP = RAND = 00112233..ff, SQN 1,
// AMF 8000, RES* for MCC 001 / MNC 01, and the AUTS for SQN 1.
func TestWmnskMilenageVector(t *testing.T) {
	k := unhex(t, "00112233445566778899aabbccddeeff")
	m, err := NewMilenageOP(k, k)
	if err != nil {
		t.Fatal(err)
	}
	opc := m.OPc()
	eqHex(t, "OPc", opc[:], "62e75b8d6fa5bf46ec87a9276f9df54d")
	r := RAND(k)
	snn, err := ServingNetworkName("001", "01")
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.GenerateVector(1, AMF5G, snn, r)
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "AUTN", v.AUTN[:], "de656c8b0bcf80004af30b82a8531115")
	eqHex(t, "XRES*", v.XRESStar[:], "31b6d938a5290ccc65bc829f9820a8d9")
	res, ck, ik, ak := m.F2345(r)
	eqHex(t, "RES", res[:], "700eb2300b2c4799")
	eqHex(t, "CK", ck[:], "b379874b3d183d2a21291d439e7761e1")
	eqHex(t, "IK", ik[:], "f4706f66629cf7ddf881d80025bf1255")
	eqHex(t, "AK", ak[:], "de656c8b0bce")
	auts := m.BuildAUTS(r, 1)
	eqHex(t, "AUTS", auts[:], "b9ac50c48a82cdf74673bc86e7ab")
}

// TestKeyChainAgreesWithFree5gcComposition derives KAUSF, KSEAF, KAMF,
// KNASenc/KNASint and KgNB the way free5gc's AMF/AUSF and its test UE
// compose free5gc/util ueauth calls (amf internal/context/amf_ue.go
// DerivateKamf/DerivateAlgKey/DerivateAnKey: SUPI digits, ABBA 0x0000,
// the last 16 octets for NAS keys, COUNT big-endian and access type 0x01)
// and compares with ours. This checks which parameters go where; the TS
// 33.220 framing itself is pinned by TestKDFFraming.
func TestKeyChainAgreesWithFree5gcComposition(t *testing.T) {
	m := mustMilenage(t, "5122250214c33e723a5dd523fc145fc0", "981d464c7c52eb6e5036234984ad0bcf") // TS 35.208 set 19
	r := mustRAND(t, "81e92b6c0ee0e12ebceba8d92a99dfa5")
	snn := "5G:mnc093.mcc208.3gppnetwork.org"
	supi := "imsi-208930000007487"
	v, err := m.GenerateVector(sqnHex(t, "16f3b3f70fc2"), AMF5G, snn, r)
	if err != nil {
		t.Fatal(err)
	}
	_, ck, ik, _ := m.F2345(r)

	f := func(key []byte, fc string, ps ...[]byte) []byte {
		t.Helper()
		var args [][]byte
		for _, p := range ps {
			args = append(args, p, ueauth.KDFLen(p))
		}
		out, err := ueauth.GetKDFValue(key, fc, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	kausf := f(append(ck[:], ik[:]...), ueauth.FC_FOR_KAUSF_DERIVATION, []byte(snn), v.AUTN[:6])
	kseaf := f(kausf, ueauth.FC_FOR_KSEAF_DERIVATION, []byte(snn))
	kamf := f(kseaf, ueauth.FC_FOR_KAMF_DERIVATION, []byte(strings.TrimPrefix(supi, "imsi-")), []byte{0, 0})
	kenc := f(kamf, ueauth.FC_FOR_ALGORITHM_KEY_DERIVATION, []byte{0x01}, []byte{2})
	kint := f(kamf, ueauth.FC_FOR_ALGORITHM_KEY_DERIVATION, []byte{0x02}, []byte{2})
	var count [4]byte
	binary.BigEndian.PutUint32(count[:], 0x00000102)
	kgnb := f(kamf, ueauth.FC_FOR_KGNB_KN3IWF_DERIVATION, count[:], []byte{0x01})

	eqHex(t, "KAUSF", v.KAUSF[:], hexOf(kausf))
	ourKSEAF, err := v.KSEAF()
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "KSEAF", ourKSEAF[:], hexOf(kseaf))
	ourKAMF, err := DeriveKAMF(ourKSEAF, supi, nil)
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "KAMF", ourKAMF[:], hexOf(kamf))
	enc, integ, err := DeriveNASKeys(ourKAMF, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "KNASenc", enc[:], hexOf(kenc[16:]))
	eqHex(t, "KNASint", integ[:], hexOf(kint[16:]))
	ourKgNB, err := DeriveKgNB(ourKAMF, 0x102, Access3GPP)
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "KgNB", ourKgNB[:], hexOf(kgnb))
}

func TestHXRESStarIsLeastSignificantHalf(t *testing.T) {
	r := RAND(unhex(t, "00112233445566778899aabbccddeeff"))
	x := RESStar(unhex(t, "31b6d938a5290ccc65bc829f9820a8d9"))
	h := DeriveHXRESStar(r, x)
	// SHA-256(RAND || XRES*) computed independently; A.5 keeps octets 16..31.
	eqHex(t, "HXRES*", h[:], "3308fb7cf06a35f1cd086b904ce82ecf")
	if !VerifyHRESStar(r, x, h) || VerifyHRESStar(r, RESStar{}, h) {
		t.Fatal("VerifyHRESStar disagrees with DeriveHXRESStar")
	}
}

func TestDerivationInputErrors(t *testing.T) {
	var k Key256
	if _, err := DeriveKSEAF(k, "mnc001.mcc001.3gppnetwork.org"); !errors.Is(err, ErrInvalidServingNetworkName) {
		t.Errorf("SNN without 5G: prefix: %v", err)
	}
	if _, err := DeriveKSEAF(k, "5G:"); !errors.Is(err, ErrInvalidServingNetworkName) {
		t.Errorf("empty SN Id: %v", err)
	}
	for _, supi := range []string{"208930000007487", "imsi-", "imsi-2089x0000007487", "imsi-1234567890123456", "nai-"} {
		if _, err := DeriveKAMF(k, supi, nil); !errors.Is(err, ErrInvalidSUPI) {
			t.Errorf("DeriveKAMF(%q) err = %v, want ErrInvalidSUPI", supi, err)
		}
	}
	if _, err := DeriveKAMF(k, "imsi-208930000007487", []byte{0}); !errors.Is(err, ErrInvalidLength) {
		t.Errorf("1-octet ABBA: %v", err)
	}
	a, _ := DeriveKAMF(k, "imsi-208930000007487", nil)
	b, _ := DeriveKAMF(k, "imsi-208930000007487", DefaultABBA[:])
	if a != b {
		t.Error("nil ABBA is not DefaultABBA")
	}
	if _, err := DeriveRESStar([16]byte{}, [16]byte{}, "5G:x", RAND{}, make([]byte, 3)); !errors.Is(err, ErrInvalidLength) {
		t.Errorf("3-octet RES: %v", err)
	}
	if _, err := ServingNetworkName("1", "01"); !errors.Is(err, ErrInvalidServingNetworkName) {
		t.Errorf("ServingNetworkName bad MCC: %v", err)
	}
	m := mustMilenage(t, testK, testOPc)
	if _, err := m.GenerateVector(1, AMF5G, "internet", RAND{}); !errors.Is(err, ErrInvalidServingNetworkName) {
		t.Errorf("GenerateVector bad SNN: %v", err)
	}
	u := newTestUSIM(t, 0)
	v := newVector(t, 1<<INDBits, AMF5G)
	if _, err := u.Authenticate(v.RAND, v.AUTN, "internet", nil); !errors.Is(err, ErrInvalidServingNetworkName) {
		t.Errorf("Authenticate bad SNN: %v", err)
	}
	if _, err := u.Authenticate(v.RAND, v.AUTN, testSNN, []byte{0}); !errors.Is(err, ErrInvalidLength) {
		t.Errorf("Authenticate 1-octet ABBA: %v", err)
	}
	if u.HighestSQN() != 0 {
		t.Error("rejected inputs moved the SQN state")
	}
}
