package ausf

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// FuzzAuthenticationInfo: a POST ue-authentications body is accepted or
// refused with a 400 problem.
func FuzzAuthenticationInfo(f *testing.F) {
	f.Add([]byte(`{"supiOrSuci":"imsi-001010000000001","servingNetworkName":"5G:mnc001.mcc001.3gppnetwork.org"}`))
	f.Add([]byte(`{"supiOrSuci":"suci-0-001-01-0-0-0-0000000001","servingNetworkName":"5G:x","resynchronizationInfo":{"rand":"00","auts":"11"}}`))
	f.Add([]byte(`{"supiOrSuci":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var info models.Ausf_UEAU_AuthenticationInfo
		if pe := sbi.ParseJSON(data, &info); pe != nil {
			return
		}
		if err := CheckAuthenticationInfo(info); err != nil && sbi.StatusOf(err) != http.StatusBadRequest {
			t.Fatalf("refusal %v is not a 400 problem", err)
		}
	})
}

// FuzzConfirmationData: a confirmation body gives a 16-octet RES* or a 400.
func FuzzConfirmationData(f *testing.F) {
	f.Add([]byte(`{"resStar":"00112233445566778899aabbccddeeff"}`))
	f.Add([]byte(`{"resStar":null}`))
	f.Add([]byte(`{"resStar":"0g"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c models.Ausf_UEAU_ConfirmationData
		if pe := sbi.ParseJSON(data, &c); pe != nil {
			return
		}
		rs, err := ParseResStar(c)
		if err != nil {
			if sbi.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("refusal %v is not a 400 problem", err)
			}
			return
		}
		if c.ResStar == nil || len(*c.ResStar) != 2*len(rs) {
			t.Fatalf("accepted %v", c.ResStar)
		}
	})
}

// FuzzChallenge: the AMF-side decoding of a UeAuthenticationCtx gives a
// complete challenge or an error.
func FuzzChallenge(f *testing.F) {
	f.Add([]byte(`{"authType":"5G_AKA","5gAuthData":{"rand":"00112233445566778899aabbccddeeff","autn":"00112233445566778899aabbccddeeff","hxresStar":"00112233445566778899aabbccddeeff"},"_links":{"5g-aka":[{"href":"http://a/x/5g-aka-confirmation"}]}}`))
	f.Add([]byte(`{"authType":"5G_AKA","5gAuthData":"x"}`))
	f.Add([]byte(`{"authType":"EAP_AKA_PRIME"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out models.Ausf_UEAU_UEAuthenticationCtx
		if err := json.Unmarshal(data, &out); err != nil {
			return
		}
		ch, err := challengeFrom(out)
		if err == nil && ch.ConfirmURL == "" {
			t.Fatal("challenge without a confirmation link")
		}
	})
}
