package pcscf

import (
	"errors"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestPrepare(t *testing.T) {
	n := fuzzPCSCF(t)
	build := func(method sip.RequestMethod, ruri, src string, extra ...sip.Header) *sip.Request {
		var u sip.Uri
		if err := sip.ParseUri(ruri, &u); err != nil {
			t.Fatal(err)
		}
		r := sip.NewRequest(method, u)
		r.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.2", Port: 5060,
			Params: sip.HeaderParams{{K: "branch", V: "z9hG4bKt"}}})
		r.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "a", Host: "ims.test"}, Params: sip.HeaderParams{{K: "tag", V: "1"}}})
		r.AppendHeader(&sip.ToHeader{Address: u})
		cid := sip.CallIDHeader("c")
		r.AppendHeader(&cid)
		r.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
		mf := sip.MaxForwardsHeader(70)
		r.AppendHeader(&mf)
		for _, h := range extra {
			r.AppendHeader(h)
		}
		r.SetSource(src)
		return r
	}
	pathRoute := &sip.RouteHeader{Address: sip.Uri{Scheme: "sip", User: "tfuzz", Host: "127.0.0.1", Port: 5060}}
	for _, tc := range []struct {
		name     string
		req      *sip.Request
		code     int // 0: forwarded
		dest     string
		asserted string
	}{
		{"originating, owned PPI", build(sip.MESSAGE, "tel:+1", fuzzUE, sip.NewHeader("P-Preferred-Identity", "<"+impuTel+">")),
			0, "127.0.0.1:5062", "<" + impuTel + ">"},
		{"originating, foreign PPI", build(sip.MESSAGE, "tel:+1", fuzzUE, sip.NewHeader("P-Preferred-Identity", "<tel:+999>")),
			0, "127.0.0.1:5062", "<" + impu + ">"},
		{"bad PPI", build(sip.MESSAGE, "tel:+1", fuzzUE, sip.NewHeader("P-Preferred-Identity", "<")), 400, "", ""},
		{"unregistered", build(sip.MESSAGE, "tel:+1", "127.0.0.7:5060"), 403, "", ""},
		{"terminating via Path", build(sip.MESSAGE, "sip:ue@127.0.0.2:5060", "127.0.0.1:5062", pathRoute), 0, fuzzUE, ""},
		{"unknown token", build(sip.MESSAGE, "sip:ue@127.0.0.2:5060", "127.0.0.1:5062",
			&sip.RouteHeader{Address: sip.Uri{Scheme: "sip", User: "tgone", Host: "127.0.0.1", Port: 5060}}), 480, "", ""},
		{"register to the I-CSCF", build(sip.REGISTER, "sip:ims.test", "127.0.0.8:5060"), 0, "127.0.0.1:5061", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := n.prepare(tc.req)
			if tc.code != 0 {
				var rej *rejection
				if !errors.As(err, &rej) || rej.code != tc.code {
					t.Fatalf("prepare: %v, want %d", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.fwd.Destination(); got != tc.dest {
				t.Errorf("destination %s, want %s", got, tc.dest)
			}
			if got := headerValue(p.fwd, "P-Asserted-Identity"); got != tc.asserted {
				t.Errorf("P-Asserted-Identity %q, want %q", got, tc.asserted)
			}
			if p.fwd.GetHeader("P-Preferred-Identity") != nil {
				t.Error("P-Preferred-Identity kept")
			}
		})
	}
}
