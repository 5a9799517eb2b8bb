package udm

import (
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// SUCIConfig is the "suci:" section: the SIDF's home network keys.
type SUCIConfig struct {
	// NullScheme accepts SUCIs with protection scheme 0 (the MSIN in the
	// clear), which test SIMs use.
	NullScheme bool `yaml:"null_scheme"`
	// Keys are the home network private keys by key identifier.
	Keys []SUCIKey `yaml:"keys"`
}

// SUCIKey is one home network key pair's private half.
type SUCIKey struct {
	// ID is the home network public key identifier (0..255) the USIM puts
	// in the SUCI.
	ID int `yaml:"id"`
	// Scheme is the ECIES profile: "A" (X25519) or "B" (P-256).
	Scheme string `yaml:"scheme"`
	// PrivateKey is 64 hex digits; PrivateKeyFile a file holding them.
	// Exactly one is set.
	PrivateKey     string `yaml:"private_key"`
	PrivateKeyFile string `yaml:"private_key_file"`
}

// SUPI/SUCI errors of TS 29.503 generate-auth-data.
const (
	CauseInvalidHNKeyID         = "INVALID_HN_PUBLIC_KEY_IDENTIFIER"
	CauseInvalidSchemeOutput    = "INVALID_SCHEME_OUTPUT"
	CauseUnsupportedProtection  = "UNSUPPORTED_PROTECTION_SCHEME"
	CauseAuthenticationRejected = "AUTHENTICATION_REJECTED"
	CauseServingNetworkNotAuth  = "SERVING_NETWORK_NOT_AUTHORIZED"
	CauseUserNotFound           = "USER_NOT_FOUND"
)

type hnKey struct {
	scheme aka.ProtectionScheme
	priv   *ecdh.PrivateKey
}

type suciKeys struct {
	null bool
	byID map[uint8]hnKey
}

func parseScheme(s string) (aka.ProtectionScheme, error) {
	switch strings.ToUpper(strings.TrimPrefix(strings.ToLower(s), "profile")) {
	case "A", "_A", "1":
		return aka.SchemeProfileA, nil
	case "B", "_B", "2":
		return aka.SchemeProfileB, nil
	}
	return 0, fmt.Errorf("scheme %q: want A (X25519) or B (P-256)", s)
}

// keys loads and checks every key.
func (c SUCIConfig) keys() (*suciKeys, error) {
	ks := &suciKeys{null: c.NullScheme, byID: map[uint8]hnKey{}}
	var errs []error
	for i, k := range c.Keys {
		key, err := k.load()
		if err != nil {
			errs = append(errs, fmt.Errorf("suci.keys[%d]: %w", i, err))
			continue
		}
		if _, dup := ks.byID[uint8(k.ID)]; dup {
			errs = append(errs, fmt.Errorf("suci.keys[%d]: id %d twice", i, k.ID))
		}
		ks.byID[uint8(k.ID)] = key
	}
	return ks, errors.Join(errs...)
}

var hex64 = regexp.MustCompile(`^[0-9A-Fa-f]{64}$`)

func (k SUCIKey) load() (hnKey, error) {
	if k.ID < 0 || k.ID > 255 {
		return hnKey{}, fmt.Errorf("id %d: want 0..255", k.ID)
	}
	scheme, err := parseScheme(k.Scheme)
	if err != nil {
		return hnKey{}, err
	}
	text := k.PrivateKey
	switch {
	case (k.PrivateKey == "") == (k.PrivateKeyFile == ""):
		return hnKey{}, errors.New("set exactly one of private_key and private_key_file")
	case k.PrivateKeyFile != "":
		b, err := os.ReadFile(k.PrivateKeyFile)
		if err != nil {
			return hnKey{}, fmt.Errorf("read private_key_file: %w", err)
		}
		text = strings.TrimSpace(string(b))
	}
	if !hex64.MatchString(text) {
		return hnKey{}, errors.New("private key: want 64 hex digits")
	}
	raw, _ := hex.DecodeString(text) // checked just above
	priv, err := aka.ParseHNPrivateKey(scheme, raw)
	if err != nil {
		return hnKey{}, err
	}
	return hnKey{scheme: scheme, priv: priv}, nil
}

// PublicKey is what GET /suci-keys shows, for provisioning USIMs.
type PublicKey struct {
	ID        int    `json:"id"`
	Scheme    string `json:"scheme"`
	PublicKey string `json:"public_key"`
}

func (ks *suciKeys) public() []PublicKey {
	out := []PublicKey{}
	for id := range 256 {
		k, ok := ks.byID[uint8(id)]
		if !ok {
			continue
		}
		pub, err := aka.MarshalHNPublicKey(k.scheme, k.priv.PublicKey())
		if err != nil {
			continue // cannot happen: the scheme was checked at load
		}
		name := "A"
		if k.scheme == aka.SchemeProfileB {
			name = "B"
		}
		out = append(out, PublicKey{ID: id, Scheme: name, PublicKey: hex.EncodeToString(pub)})
	}
	return out
}

var supiRe = regexp.MustCompile(`^imsi-[0-9]{5,15}$`)

// resolve turns a SUPI or SUCI into the SUPI, answering the causes of TS
// 29.503 for SUCIs it cannot open. scheme is a metric label ("" for SUPIs).
func (ks *suciKeys) resolve(id string) (supi, scheme string, err error) {
	switch {
	case supiRe.MatchString(id):
		return id, "", nil
	case !strings.HasPrefix(id, "suci-"):
		return "", "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			fmt.Sprintf("supiOrSuci %q: want imsi-<digits> or suci-0-<mcc>-<mnc>-<routing>-<scheme>-<keyid>-<output>", id))
	}
	s, err := aka.ParseSUCI(id)
	if errors.Is(err, aka.ErrUnsupportedScheme) {
		return "", "other", sbi.NewProblem(http.StatusNotImplemented, CauseUnsupportedProtection, err.Error())
	}
	if err != nil {
		return "", "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, err.Error())
	}
	scheme = schemeLabel(s.Scheme)
	var priv *ecdh.PrivateKey
	switch {
	case s.Scheme == aka.SchemeNull && !ks.null:
		return "", scheme, sbi.NewProblem(http.StatusNotImplemented, CauseUnsupportedProtection, "the null scheme is not accepted")
	case s.Scheme != aka.SchemeNull:
		k, ok := ks.byID[s.HNKeyID]
		if !ok || k.scheme != s.Scheme {
			return "", scheme, ks.keyProblem(s)
		}
		priv = k.priv
	}
	imsi, err := s.Deconceal(priv)
	if err != nil {
		return "", scheme, sbi.NewProblem(http.StatusForbidden, CauseInvalidSchemeOutput, err.Error())
	}
	return imsi.SUPI(), scheme, nil
}

// keyProblem: no key for the SUCI's id. Without any key of its profile
// the scheme itself is unsupported.
func (ks *suciKeys) keyProblem(s aka.SUCI) error {
	for _, k := range ks.byID {
		if k.scheme == s.Scheme {
			return sbi.NewProblem(http.StatusForbidden, CauseInvalidHNKeyID,
				fmt.Sprintf("no profile %s key with id %d", schemeLabel(s.Scheme), s.HNKeyID))
		}
	}
	return sbi.NewProblem(http.StatusNotImplemented, CauseUnsupportedProtection,
		fmt.Sprintf("no home network key for %s", schemeLabel(s.Scheme)))
}

func schemeLabel(s aka.ProtectionScheme) string {
	switch s {
	case aka.SchemeNull:
		return "null"
	case aka.SchemeProfileA:
		return "profile_a"
	case aka.SchemeProfileB:
		return "profile_b"
	}
	return "other"
}
