package udm

import (
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// FuzzAuthInfoRequest: a generate-auth-data body is accepted, or refused
// with a 400 problem; never a panic.
func FuzzAuthInfoRequest(f *testing.F) {
	f.Add([]byte(`{"servingNetworkName":"5G:mnc001.mcc001.3gppnetwork.org"}`))
	f.Add([]byte(`{"servingNetworkName":"5G:x","resynchronizationInfo":{"rand":"00112233445566778899aabbccddeeff","auts":"00112233445566778899aabbccdd"}}`))
	f.Add([]byte(`{"servingNetworkName":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req models.Udm_UEAU_AuthenticationInfoRequest
		if pe := sbi.ParseJSON(data, &req); pe != nil {
			return
		}
		rs, err := CheckAuthInfoRequest(req)
		if err != nil {
			if sbi.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("refusal %v is not a 400 problem", err)
			}
			return
		}
		if !strings.HasPrefix(req.ServingNetworkName, "5G:") {
			t.Fatalf("accepted serving network %q", req.ServingNetworkName)
		}
		if (rs == nil) != (req.ResynchronizationInfo == nil) {
			t.Fatalf("resync info %+v lost or invented", req.ResynchronizationInfo)
		}
	})
}

// Fixed home network keys for the fuzzer (any valid scalar works).
var (
	fuzzKeyA = strings.Repeat("4a", 32)
	fuzzKeyB = strings.Repeat("2b", 32)
)

var supiOut = regexp.MustCompile(`^imsi-[0-9]{5,15}$`)

// FuzzResolve: a supiOrSuci path segment resolves to an imsi- SUPI or is
// refused with one of the TS 29.503 answers.
func FuzzResolve(f *testing.F) {
	ks, err := SUCIConfig{NullScheme: true, Keys: []SUCIKey{
		{ID: 1, Scheme: "A", PrivateKey: fuzzKeyA}, {ID: 2, Scheme: "B", PrivateKey: fuzzKeyB}}}.keys()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("imsi-001010000000001")
	f.Add("suci-0-001-01-0-0-0-0000000001")
	f.Add("suci-0-001-01-1234-1-1-" + concealFor(f, ks, aka.SchemeProfileA, 1))
	f.Add("suci-0-001-01-0-2-2-" + concealFor(f, ks, aka.SchemeProfileB, 2))
	f.Add("suci-0-001-01-0-2-9-00")
	f.Fuzz(func(t *testing.T, id string) {
		supi, _, err := ks.resolve(id)
		if err != nil {
			switch sbi.StatusOf(err) {
			case http.StatusBadRequest, http.StatusForbidden, http.StatusNotImplemented:
				return
			}
			t.Fatalf("refusal %v is not 400, 403 or 501", err)
		}
		if !supiOut.MatchString(supi) {
			t.Fatalf("%q resolved to %q", id, supi)
		}
	})
}

// concealFor is the scheme output of IMSI 001010000000001 under key id.
func concealFor(f *testing.F, ks *suciKeys, s aka.ProtectionScheme, id uint8) string {
	imsi := aka.IMSI{MCC: "001", MNC: "01", MSIN: "0000000001"}
	suci, err := aka.Conceal(imsi, "0", s, id, ks.byID[id].priv.PublicKey(), nil)
	if err != nil {
		f.Fatal(err)
	}
	return hex.EncodeToString(suci.SchemeOutput)
}
