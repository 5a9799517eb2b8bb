package sipproxy

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestSpentACK(t *testing.T) {
	const domain = "ims.mnc001.mcc001.3gppnetwork.org"
	ack := func(uri string, route bool) *sip.Request {
		var u sip.Uri
		if err := sip.ParseUri(uri, &u); err != nil {
			t.Fatal(err)
		}
		r := sip.NewRequest(sip.ACK, u)
		if route {
			r.AppendHeader(sip.NewHeader("Route", "<sip:10.0.0.5:5060;lr>"))
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		req   *sip.Request
		spent bool
	}{
		{"non-2xx ACK at its last hop", ack("sip:001019999999999@"+domain, false), true},
		{"domain in other case", ack("sip:001010000000001@IMS.MNC001.MCC001.3GPPNETWORK.ORG", false), true},
		{"2xx ACK to the remote target", ack("sip:001010000000001@10.47.0.3:5060", false), false},
		{"still routed on", ack("sip:001010000000001@"+domain, true), false},
	} {
		if got := SpentACK(tc.req, domain); got != tc.spent {
			t.Errorf("%s: SpentACK %v, want %v", tc.name, got, tc.spent)
		}
	}
}
