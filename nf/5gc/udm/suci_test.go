package udm_test

import (
	"crypto/ecdh"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func hnKey(t *testing.T, s aka.ProtectionScheme) *ecdh.PrivateKey {
	t.Helper()
	k, err := aka.GenerateHNKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func conceal(t *testing.T, s aka.ProtectionScheme, id uint8, pub *ecdh.PublicKey) string {
	t.Helper()
	i, err := aka.ParseSUPI(supi, 2)
	if err != nil {
		t.Fatal(err)
	}
	suci, err := aka.Conceal(i, "0", s, id, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return suci.String()
}

// SUCIs of each scheme are de-concealed to the SUPI the vector is for.
func TestSUCIDeconcealment(t *testing.T) {
	keyA, keyB := hnKey(t, aka.SchemeProfileA), hnKey(t, aka.SchemeProfileB)
	other := hnKey(t, aka.SchemeProfileA)
	file := filepath.Join(t.TempDir(), "hn-b.hex")
	if err := os.WriteFile(file, []byte(hex.EncodeToString(keyB.Bytes())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := setup(t, func(c *udm.Config) {
		c.SUCI.Keys = []udm.SUCIKey{
			{ID: 1, Scheme: "A", PrivateKey: hex.EncodeToString(keyA.Bytes())},
			{ID: 7, Scheme: "B", PrivateKeyFile: file},
		}
	})
	good := map[string]string{
		"null":      "suci-0-001-01-0-0-0-0000000001",
		"profile A": conceal(t, aka.SchemeProfileA, 1, keyA.PublicKey()),
		"profile B": conceal(t, aka.SchemeProfileB, 7, keyB.PublicKey()),
	}
	for name, suci := range good {
		res, err := e.c.GenerateAuthData(bg, suci, authReq())
		if err != nil || res.Supi != supi {
			t.Errorf("%s %s: supi %q err %v", name, suci, res.Supi, err)
		}
	}
	tampered := []byte(conceal(t, aka.SchemeProfileA, 1, keyA.PublicKey()))
	// Another hex digit at the end of the MAC tag (flipping a bit of 'a'
	// would give '`', not hex: a decoding error, not a failed MAC).
	if last := &tampered[len(tampered)-1]; *last == '0' {
		*last = '1'
	} else {
		*last = '0'
	}
	bad := []struct {
		name, suci string
		code       int
		cause      string
	}{
		{"unknown key id", conceal(t, aka.SchemeProfileA, 2, keyA.PublicKey()), 403, udm.CauseInvalidHNKeyID},
		{"key id of the other profile", conceal(t, aka.SchemeProfileA, 7, keyA.PublicKey()), 403, udm.CauseInvalidHNKeyID},
		{"another network's key", conceal(t, aka.SchemeProfileA, 1, other.PublicKey()), 403, udm.CauseInvalidSchemeOutput},
		{"tampered output", string(tampered), 403, udm.CauseInvalidSchemeOutput},
	}
	for _, b := range bad {
		_, err := e.c.GenerateAuthData(bg, b.suci, authReq())
		if sbi.StatusOf(err) != b.code || sbi.CauseOf(err) != b.cause {
			t.Errorf("%s: %v, want %d %s", b.name, err, b.code, b.cause)
		}
	}
	for _, l := range []string{
		`corebox_udm_suci_deconcealed_total{result="ok",scheme="profile_a"} 1`,
		`corebox_udm_suci_deconcealed_total{result="ok",scheme="profile_b"} 1`,
		`corebox_udm_suci_deconcealed_total{result="failed",scheme="profile_a"} 4`,
	} {
		if !metric(t, e.udm, l) {
			t.Errorf("metrics lack %s", l)
		}
	}
	// The public keys are published for provisioning USIMs.
	_, body := nfkittest.Do(t, "GET", "http://"+e.udm.Ops().Addr().String()+"/suci-keys", "")
	var pubs []udm.PublicKey
	if err := json.Unmarshal([]byte(body), &pubs); err != nil || len(pubs) != 2 {
		t.Fatalf("GET /suci-keys = %s (%v)", body, err)
	}
	wantA, _ := aka.MarshalHNPublicKey(aka.SchemeProfileA, keyA.PublicKey())
	if pubs[0].ID != 1 || pubs[0].Scheme != "A" || pubs[0].PublicKey != hex.EncodeToString(wantA) || pubs[1].Scheme != "B" {
		t.Errorf("public keys %+v", pubs)
	}
}

// Profile B SUCIs without any profile B key are an unsupported scheme.
func TestSUCISchemeWithoutKeys(t *testing.T) {
	e := setup(t, nil)
	_, err := e.c.GenerateAuthData(bg, conceal(t, aka.SchemeProfileB, 1, hnKey(t, aka.SchemeProfileB).PublicKey()), authReq())
	if sbi.StatusOf(err) != 501 || sbi.CauseOf(err) != udm.CauseUnsupportedProtection {
		t.Errorf("%v, want 501 UNSUPPORTED_PROTECTION_SCHEME", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := udm.DefaultConfig()
	cfg.UDR.URI = "http://10.0.0.6:8000"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults with a UDR: %v", err)
	}
	key := strings.Repeat("11", 32)
	tests := map[string]struct {
		mod  func(*udm.Config)
		want string
	}{
		"no udr nor nrf": {func(c *udm.Config) { c.UDR.URI = "" }, "udr.uri: set it, or nrf.uri"},
		"bad udr uri":    {func(c *udm.Config) { c.UDR.URI = "udr:8000" }, "udr.uri"},
		"bad plmn":       {func(c *udm.Config) { c.HomePLMN.MNC = "1" }, "home_plmn"},
		"bad scheme":     {func(c *udm.Config) { c.SUCI.Keys = []udm.SUCIKey{{ID: 1, Scheme: "C", PrivateKey: key}} }, `scheme "C"`},
		"short key":      {func(c *udm.Config) { c.SUCI.Keys = []udm.SUCIKey{{ID: 1, Scheme: "A", PrivateKey: "11"}} }, "64 hex digits"},
		"key and file": {func(c *udm.Config) {
			c.SUCI.Keys = []udm.SUCIKey{{ID: 1, Scheme: "A", PrivateKey: key, PrivateKeyFile: "/x"}}
		}, "exactly one"},
		"missing file": {func(c *udm.Config) {
			c.SUCI.Keys = []udm.SUCIKey{{ID: 1, Scheme: "B", PrivateKeyFile: "/nonexistent/k"}}
		}, "read private_key_file"},
		"id out of range": {func(c *udm.Config) { c.SUCI.Keys = []udm.SUCIKey{{ID: 256, Scheme: "A", PrivateKey: key}} }, "id 256"},
		"id twice": {func(c *udm.Config) {
			c.SUCI.Keys = []udm.SUCIKey{{ID: 1, Scheme: "A", PrivateKey: key}, {ID: 1, Scheme: "B", PrivateKey: key}}
		}, "id 1 twice"},
		"P-256 key zero": {func(c *udm.Config) {
			c.SUCI.Keys = []udm.SUCIKey{{ID: 1, Scheme: "B", PrivateKey: strings.Repeat("0", 64)}}
		}, "invalid key"},
	}
	for name, tt := range tests {
		c := cfg
		tt.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}
