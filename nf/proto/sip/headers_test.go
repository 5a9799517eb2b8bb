package sip

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// roundTrip parses s, prints it, and checks it reads back the same.
func TestHeaderRoundTrips(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		parse func(string) (interface{ String() string }, error)
	}{
		{"pai", `"Alice" <sip:alice@ims.example>, <tel:+15551234>`, wrapNA},
		{"ppi", `<sip:001010000000001@ims.example>`, wrapNA},
		{"path", `<sip:term@pcscf.ims.example;lr>, <sip:pcscf2.ims.example;lr>;x=1`, wrapNA},
		{"service-route", `<sip:orig@scscf.ims.example:6060;lr>`, wrapNA},
		{"pani", `3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=00101000100000001`, wrapPANI},
		{"pani-quoted", `3GPP-NR-FDD; utran-cell-id-3gpp=001010000100000001; network-provided`, wrapPANI},
		{"pcv", `icid-value=abc123; icid-generated-at=192.0.2.1; orig-ioi=home1.net; term-ioi=home2.net`, wrapPCV},
		{"pcv-extra", `icid-value="a;b"; orig-ioi=x; foo=bar`, wrapPCV},
		{"pvni", `"Visited network number 1", other.net`, wrapPVNI},
		{"sec-client", `ipsec-3gpp; alg=hmac-sha-1-96; spi-c=1111; spi-s=2222; port-c=5062; port-s=5064, digest; q=0.1`, wrapSec},
		{"feature-caps", `*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";+g.3gpp.srvcc`, wrapFC},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.parse(tc.in)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.in, err)
			}
			again, err := tc.parse(v.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", v.String(), err)
			}
			if !reflect.DeepEqual(v, again) {
				t.Fatalf("round trip differs:\n%#v\n%#v", v, again)
			}
		})
	}
}

func wrapNA(s string) (interface{ String() string }, error) { return ParseNameAddrList(s) }
func wrapPANI(s string) (interface{ String() string }, error) {
	return ParsePAccessNetworkInfo(s)
}
func wrapPCV(s string) (interface{ String() string }, error)  { return ParsePChargingVector(s) }
func wrapPVNI(s string) (interface{ String() string }, error) { return ParsePVisitedNetworkID(s) }
func wrapSec(s string) (interface{ String() string }, error)  { return ParseSecurityMechanisms(s) }
func wrapFC(s string) (interface{ String() string }, error)   { return ParseFeatureCaps(s) }

func TestHeaderFields(t *testing.T) {
	pai, err := ParseNameAddrList(`"Alice" <sip:alice@ims.example>, <tel:+15551234>`)
	if err != nil || pai[0].Display != "Alice" || pai[1].URI != "tel:+15551234" {
		t.Fatalf("pai %+v %v", pai, err)
	}
	pani, _ := ParsePAccessNetworkInfo(`3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=00101000100000001`)
	if pani.AccessType != AccessType3GPPEUTRANFDD || pani.CellID() != "00101000100000001" {
		t.Fatalf("pani %+v", pani)
	}
	pcv, _ := ParsePChargingVector(`icid-value=abc; orig-ioi=o; term-ioi=t`)
	if pcv.ICID != "abc" || pcv.OrigIOI != "o" || pcv.TermIOI != "t" {
		t.Fatalf("pcv %+v", pcv)
	}
	sec, _ := ParseSecurityMechanisms(`ipsec-3gpp; alg=hmac-sha-1-96; spi-c=1111; port-s=5064`)
	if v, _ := sec[0].Params.Get("spi-c"); sec[0].Name != "ipsec-3gpp" || v != "1111" {
		t.Fatalf("sec %+v", sec)
	}
	fc, _ := ParseFeatureCaps(`*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"`)
	v, _ := fc.Params.Get(ParamICSIRef)
	if refs := ICSIRefs(v); len(refs) != 1 || refs[0] != ICSIMMTel {
		t.Fatalf("icsi %v", refs)
	}
	for _, bad := range []string{`<sip:a`, `"x <sip:a>`, `<nope>`, `<sip:a> junk`} {
		if _, err := ParseNameAddrList(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseNameAddrList(%q) = %v", bad, err)
		}
	}
	if _, err := ParsePChargingVector(`orig-ioi=x`); !errors.Is(err, ErrMalformed) {
		t.Errorf("pcv without icid: %v", err)
	}
}

func TestContactFeatures(t *testing.T) {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "u", Host: "192.0.2.1", Port: 5060}}
	want := ContactFeatures{Instance: "urn:gsma:imei:35209900-176148-0", ICSIRefs: []string{ICSIMMTel}}
	SetContactFeatures(c, want)
	msg, err := sip.ParseMessage([]byte("REGISTER sip:ims.example SIP/2.0\r\nContact: " + c.Value() + "\r\nContent-Length: 0\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := ContactFeaturesOf(msg.(*sip.Request).Contact())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("contact features %+v, want %+v (header %s)", got, want, c.Value())
	}
}

func TestRegInfoRoundTrip(t *testing.T) {
	aor := "sip:001010000000001@ims.example"
	cases := []RegInfo{
		NewRegInfoNotify(0, RegInfoFull, aor, "r1", ContactChange{ID: "c1", URI: "sip:u@192.0.2.1:5060", Event: ContactEventRegistered, Expires: 600000, CallID: "abc", CSeq: 1}),
		NewRegInfoNotify(1, RegInfoFull, aor, "r1", ContactChange{ID: "c1", URI: "sip:u@192.0.2.1:5060", Event: ContactEventRefreshed, Expires: 600000}),
		NewRegInfoNotify(2, RegInfoPartial, aor, "r1", ContactChange{ID: "c1", URI: "sip:u@192.0.2.1:5060", Event: ContactEventExpired, Expires: 5}),
		NewRegInfoNotify(3, RegInfoFull, aor, "r1", ContactChange{ID: "c1", URI: "sip:u@192.0.2.1", Event: ContactEventDeactivated}),
		NewRegInfoNotify(4, RegInfoFull, aor, "r1", ContactChange{ID: "c1", URI: "sip:u@192.0.2.1", Event: ContactEventUnregistered}),
	}
	wantState := []string{RegStateActive, RegStateActive, RegStateTerminated, RegStateTerminated, RegStateTerminated}
	for i, ri := range cases {
		b, err := ri.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseRegInfo(b)
		if err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, b)
		}
		got.XMLName = ri.XMLName
		if !reflect.DeepEqual(got, ri) {
			t.Fatalf("case %d round trip:\n%+v\n%+v", i, got, ri)
		}
		if got.Registrations[0].State != wantState[i] || got.Version != uint32(i) {
			t.Errorf("case %d: registration state %s version %d", i, got.Registrations[0].State, got.Version)
		}
		if terminates(got.Registrations[0].Contacts[0].Event) && *got.Registrations[0].Contacts[0].Expires != 0 {
			t.Errorf("case %d: terminated contact has expires", i)
		}
	}
	for _, bad := range []string{`<reginfo/>`, `<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full"><registration aor="" id="1" state="active"/></reginfo>`, `<<`} {
		if _, err := ParseRegInfo([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseRegInfo(%q) = %v", bad, err)
		}
	}
}

const ueOffer = "v=0\r\no=ue 1 1 IN IP4 10.45.0.2\r\ns=-\r\nc=IN IP4 10.45.0.2\r\nb=AS:80\r\nt=0 0\r\nm=audio 49152 RTP/AVP 0 8 101\r\nb=TIAS:64000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
const peerAnswer = "v=0\r\no=peer 2 2 IN IP4 10.45.0.9\r\ns=-\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\nc=IN IP4 10.45.0.9\r\nb=AS:80\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 10.45.0.9\r\n"

func TestSDPRoundTrip(t *testing.T) {
	offer, err := NewAudioOffer(7, netip.MustParseAddr("10.45.0.2"), 49152, CodecPCMU, CodecPCMA)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{ueOffer, peerAnswer, offer.String()} {
		s, err := ParseSDP([]byte(in))
		if err != nil {
			t.Fatalf("%v\n%s", err, in)
		}
		if s.String() != in {
			t.Errorf("round trip:\n got %q\nwant %q", s.String(), in)
		}
	}
	for _, bad := range []string{"", "v=1\r\n", "v=0\r\nm=audio x RTP/AVP 0\r\n", "v=0\r\nb=AS\r\n", "garbage"} {
		if _, err := ParseSDP([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSDP(%q) = %v", bad, err)
		}
	}
}

func TestDeriveMediaComponents(t *testing.T) {
	ue, err := ParseSDP([]byte(ueOffer))
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ParseSDP([]byte(peerAnswer))
	if err != nil {
		t.Fatal(err)
	}
	mcs, err := DeriveMediaComponents(ue, peer)
	if err != nil {
		t.Fatal(err)
	}
	a := mcs[0]
	if a.MediaType != "audio" || a.RxMediaType != 0 || a.FlowStatus != FlowEnabled ||
		a.MaxRequestedBandwidthDL != 64000 || a.MaxRequestedBandwidthUL != 80000 || len(a.Codecs) != 3 {
		t.Fatalf("audio component %+v", a)
	}
	want := []FlowDescription{
		{1, "permit in 17 from 10.45.0.2 49152 to 10.45.0.9 50000", "permit out 17 from 10.45.0.9 50000 to 10.45.0.2 49152"},
		{2, "permit in 17 from 10.45.0.2 49153 to 10.45.0.9 50001", "permit out 17 from 10.45.0.9 50001 to 10.45.0.2 49153"},
	}
	if !reflect.DeepEqual(a.Flows, want) {
		t.Fatalf("flows %+v", a.Flows)
	}
	if mcs[1].FlowStatus != FlowRemoved || mcs[1].RxMediaType != 1 || len(mcs[1].Flows) != 0 {
		t.Fatalf("video component %+v", mcs[1])
	}
}

func TestAudioAnswer(t *testing.T) {
	offer, _ := NewAudioOffer(1, netip.MustParseAddr("10.0.0.1"), 4000, CodecPCMA, CodecPCMU)
	ans, err := NewAudioAnswer(offer, 2, netip.MustParseAddr("10.0.0.2"), 5000)
	if err != nil || ans.Media[0].Formats[0] != "8" || !strings.Contains(ans.String(), "a=rtpmap:8 PCMA/8000") {
		t.Fatalf("answer %v %v", ans, err)
	}
	offer.Media[0].Formats = []string{"18"}
	if _, err := NewAudioAnswer(offer, 2, netip.MustParseAddr("10.0.0.2"), 5000); err == nil {
		t.Fatal("answer to G.729 only should fail")
	}
}
