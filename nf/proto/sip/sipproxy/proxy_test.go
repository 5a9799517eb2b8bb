package sipproxy

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func request(t *testing.T, raw string) *sip.Request {
	t.Helper()
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*sip.Request)
}

func TestPrepare(t *testing.T) {
	self := func(u sip.Uri) bool { return u.Host == "10.0.0.1" && u.Port == 5060 }
	p := New(nil, slog.New(slog.DiscardHandler), self, nil)
	for _, tc := range []struct {
		name, maxfwd, routes string
		popped               int
		nextRoute            string
		err                  error
	}{
		{"two of ours then a peer", "70", "Route: <sip:orig@10.0.0.1:5060;lr>\r\nRoute: <sip:10.0.0.1:5060;lr>\r\nRoute: <sip:10.0.0.9:5060;lr>\r\n", 2, "10.0.0.9", nil},
		{"no route", "70", "", 0, "", nil},
		{"hops exhausted", "1", "", 0, "", ErrTooManyHops},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := request(t, "INVITE sip:b@ims.example.org SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKx\r\n"+
				tc.routes+"From: <sip:a@ims.example.org>;tag=1\r\nTo: <sip:b@ims.example.org>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"+
				"Max-Forwards: "+tc.maxfwd+"\r\nContent-Length: 0\r\n\r\n")
			fwd, popped, err := p.Prepare(req)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if len(popped) != tc.popped {
				t.Errorf("popped %d routes, want %d", len(popped), tc.popped)
			}
			if r := fwd.Route(); (r == nil) != (tc.nextRoute == "") || (r != nil && r.Address.Host != tc.nextRoute) {
				t.Errorf("next Route %v, want %q", r, tc.nextRoute)
			}
			if mf := fwd.MaxForwards(); mf == nil || mf.Val() != 69 {
				t.Errorf("Max-Forwards %v, want 69", mf)
			}
			if req.Route() == nil && tc.popped > 0 {
				t.Error("Prepare changed the received request")
			}
		})
	}
}

func TestRetarget(t *testing.T) {
	req := request(t, "INVITE sip:b@ims.example.org SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKy\r\n"+
		"From: <sip:a@ims.example.org>;tag=1\r\nTo: <sip:b@ims.example.org>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
	var target sip.Uri
	if err := sip.ParseUri("sip:b@10.0.0.7:5062", &target); err != nil {
		t.Fatal(err)
	}
	if err := Retarget(req, target, []string{"<sip:pcscf1.example.org;lr>", "sip:pcscf2.example.org;lr"}); err != nil {
		t.Fatal(err)
	}
	rs := req.GetHeaders("Route")
	if len(rs) != 2 || rs[0].(*sip.RouteHeader).Address.Host != "pcscf1.example.org" || req.Recipient.Port != 5062 {
		t.Fatalf("after Retarget: Request-URI %s, Route %v", req.Recipient.String(), rs)
	}
	finish(req)
	if req.Destination() != "pcscf1.example.org:5060" || req.Transport() != "UDP" {
		t.Errorf("destination %s over %s, want the first Path hop over UDP", req.Destination(), req.Transport())
	}
	if err := Retarget(req, target, []string{"<not a uri"}); err == nil {
		t.Error("Retarget took a bad route")
	}
}
