package pcscf

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestDialogLegsOfOneCall: when one P-CSCF serves both UEs of a call, the
// caller's (originating) and the callee's (terminating) INVITE share the
// Call-ID; each keeps its own UE and offer direction, and ending the call
// drops both.
func TestDialogLegsOfOneCall(t *testing.T) {
	d := newDialogs()
	inv := func(from string) *sip.Request {
		r := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "b", Host: "ims.example"})
		cid := sip.CallIDHeader("call-1")
		r.AppendHeader(&cid)
		r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		r.SetBody([]byte("v=0\r\no=- 1 1 IN IP4 " + from + "\r\n"))
		return r
	}
	d.offer(inv("10.47.0.1"), &plan{dir: dirOriginating, ue: "10.47.0.1:5060"})
	d.offer(inv("10.47.0.1"), &plan{dir: dirTerminating, ue: "10.47.0.3:5060"})
	for _, tc := range []struct {
		dir       direction
		ue        string
		offerByUE bool
	}{{dirOriginating, "10.47.0.1", true}, {dirTerminating, "10.47.0.3", false}} {
		dl, ok := d.get(leg{"call-1", tc.dir})
		if !ok || dl.ue != netip.MustParseAddr(tc.ue) || dl.offerFromUE != tc.offerByUE {
			t.Errorf("leg %v: %+v (found %v), want UE %s, offer from UE %v", tc.dir, dl, ok, tc.ue, tc.offerByUE)
		}
	}
	d.authorized(leg{"call-1", dirOriginating}, "sid-a")
	d.authorized(leg{"call-1", dirTerminating}, "sid-b")
	legs := d.drop("call-1")
	if len(legs) != 2 || legs[0].sid != "sid-a" || legs[1].sid != "sid-b" || d.count() != 0 {
		t.Errorf("drop: %+v, %d left; want both legs with their Rx sessions, none left", legs, d.count())
	}
}
