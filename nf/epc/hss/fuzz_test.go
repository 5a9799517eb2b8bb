package hss_test

import (
	"encoding/json"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// FuzzSubscriptionData: whatever am-data, sm-data and smf-selection data
// a UDR answers (JSON, decoded as the Nudr client does), the mapping
// never panics, and what it accepts builds into a ULA. Seeds:
// testdata/fuzz/FuzzSubscriptionData and the UDR's own output below.
func FuzzSubscriptionData(f *testing.F) {
	sub := udr.Subscriber{IMSI: "001010000000001", MSISDN: "33612345678",
		DNNs:   []udr.DNN{{DNN: "internet", SST: 1, Default: true}, {DNN: "ims", SST: 1}, {DNN: "iot", SST: 2, SD: "000001"}},
		UEAMBR: udr.AMBR{Uplink: "1 Gbps", Downlink: "5 Gbps"}}
	q := udr.SessionConfig{AMBR: udr.AMBR{Uplink: "100 Mbps", Downlink: "200 Mbps"}, FiveQI: 9, ARPPriority: 8}
	am, _ := json.Marshal(udr.AMData(sub))
	sm, _ := json.Marshal(udr.SMData(sub, q, nil, ""))
	sel, _ := json.Marshal(udr.SMFSelectionData(sub))
	f.Add(am, sm, sel)
	f.Fuzz(func(t *testing.T, amJSON, smJSON, selJSON []byte) {
		var (
			am  models.Udr_DR_AccessAndMobilitySubscriptionData
			sm  []models.Udm_SDM_SessionManagementSubscriptionData
			sel models.Udr_DR_SmfSelectionSubscriptionData
		)
		if json.Unmarshal(amJSON, &am) != nil || json.Unmarshal(smJSON, &sm) != nil || json.Unmarshal(selJSON, &sel) != nil {
			return
		}
		sd, _, err := hss.SubscriptionData(am, sm, sel)
		if err != nil {
			return
		}
		ula := &diameter.ULA{AnswerHeader: diameter.AnswerHeader{SessionID: "s;1;1", OriginHost: hssHost,
			OriginRealm: realm, Result: diameter.Success}, Subscription: sd}
		if _, err := ula.Build(); err != nil {
			t.Fatalf("mapped subscription %+v does not build: %v", sd, err)
		}
	})
}
