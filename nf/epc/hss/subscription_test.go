package hss_test

import (
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/proto/diameter"
)

func TestSubscriptionDataMapping(t *testing.T) {
	sub := udr.Subscriber{IMSI: "001010000000001", MSISDN: "33612345678",
		// internet is in two slices (one APN); the default slice is sst 2,
		// whose default DNN is iot.
		DNNs: []udr.DNN{{DNN: "iot", SST: 2, Default: true}, {DNN: "internet", SST: 2},
			{DNN: "internet", SST: 1, Default: true}, {DNN: "ims", SST: 1}},
		UEAMBR: udr.AMBR{Uplink: "10 Gbps", Downlink: "2.5 Mbps"}}
	q := udr.SessionConfig{AMBR: udr.AMBR{Uplink: "100 Mbps", Downlink: "200 Mbps"}, FiveQI: 7, ARPPriority: 3}
	am := udr.AMData(sub)
	am.Nssai.DefaultSingleNssais = am.Nssai.DefaultSingleNssais[:1] // sst 2 first
	sd, notes, err := hss.SubscriptionData(am, udr.SMData(sub, q, nil, ""), udr.SMFSelectionData(sub))
	if err != nil || len(notes) != 0 {
		t.Fatalf("%v, notes %v", err, notes)
	}
	if sd.MSISDN != "33612345678" || *sd.AMBR != (diameter.AMBR{Uplink: 10e9, Downlink: 2.5e6}) {
		t.Errorf("MSISDN %q, AMBR %+v", sd.MSISDN, sd.AMBR)
	}
	var names []string
	for i, c := range sd.APNProfile.APNs {
		names = append(names, c.APN)
		if c.ContextID != uint32(i+1) || c.QoS.QCI != 7 || c.QoS.ARP.PriorityLevel != 3 || c.PDNType != diameter.PDNTypeIPv4v6 ||
			*c.AMBR != (diameter.AMBR{Uplink: 100e6, Downlink: 200e6}) {
			t.Errorf("APN %+v", c)
		}
	}
	// Slices in provisioning order (sst 2, then 1), names sorted within.
	if want := []string{"internet", "iot", "ims"}; len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Errorf("APNs %v, want %v", names, want)
	}
	if sd.APNProfile.DefaultContextID != 2 {
		t.Errorf("default context %d, want iot's (2)", sd.APNProfile.DefaultContextID)
	}

	// A 5QI without a QCI falls back to 9, with a note.
	q.FiveQI = 90
	sd, notes, err = hss.SubscriptionData(am, udr.SMData(sub, q, nil, ""), udr.SMFSelectionData(sub))
	if err != nil || len(notes) != 3 || sd.APNProfile.APNs[0].QoS.QCI != 9 {
		t.Errorf("5QI 90: %v, notes %v", err, notes)
	}
	// No DNN at all: no EPS subscription.
	if _, _, err := hss.SubscriptionData(am, nil, models.Udr_DR_SmfSelectionSubscriptionData{}); err == nil {
		t.Error("no DNN accepted")
	}
	// A corrupt bit rate is an error, not a guess.
	am.SubscribedUeAmbr.Uplink = "fast"
	if _, _, err := hss.SubscriptionData(am, udr.SMData(sub, q, nil, ""), udr.SMFSelectionData(sub)); err == nil {
		t.Error("bad UE-AMBR accepted")
	}
}
