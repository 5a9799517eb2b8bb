package scscf

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzRequestHeaders feeds raw SIP messages to the header handling of the
// registrar, the reg event server and routing: errors are fine, panics
// are not.
func FuzzRequestHeaders(f *testing.F) {
	f.Add([]byte("REGISTER sip:ims.example.org SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n" +
		"From: <sip:a@ims.example.org>;tag=1\r\nTo: <sip:a@ims.example.org>\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\n" +
		"Contact: <sip:a@127.0.0.1:5070>;expires=600\r\nExpires: 600\r\nPath: <sip:pcscf.example.org;lr>\r\n" +
		"Authorization: Digest username=\"a@ims.example.org\", realm=\"ims.example.org\", nonce=\"\", uri=\"sip:ims.example.org\", response=\"\"\r\n" +
		"Content-Length: 0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		if r, err := parseRegister(req); err == nil && r.impu == "" {
			t.Fatalf("parseRegister accepted a REGISTER without identity: %q", data)
		}
		_, _ = parseSubscribe(req, 600)
		_, _ = assertedIdentity(req)
		_ = requestIdentity(req.Recipient)
		_ = isRegEvent(req)
	})
}

func TestCanonicalURI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"sip:001010000000001@IMS.Example.org", "sip:001010000000001@ims.example.org"},
		{"<sip:alice@ims.example.org:5060;transport=udp>", "sip:alice@ims.example.org"},
		{"tel:+33600000001;phone-context=x", "tel:+33600000001"},
		{"sip:ims.example.org", "sip:ims.example.org"},
		{"sip:bob@[::1]", "sip:bob@[::1]"},
	} {
		if got := canonicalURI(tc.in); got != tc.want {
			t.Errorf("canonicalURI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
