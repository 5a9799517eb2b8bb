package diameter

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

const (
	icscf    = "icscf.ims.mnc001.mcc001.3gppnetwork.org"
	scscf    = "scscf.ims.mnc001.mcc001.3gppnetwork.org"
	scscfURI = "sip:scscf.ims.mnc001.mcc001.3gppnetwork.org:6060"
	impi     = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org"
	impu     = "sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org"
)

func akaItem(start byte) AKAItem {
	return AKAItem{RAND: [16]byte(seq(16, start)), AUTN: [16]byte(seq(16, start+16)), XRES: seq(8, start+32),
		CK: [16]byte(seq(16, start+40)), IK: [16]byte(seq(16, start+56))}
}

// cxSamples covers every Cx command both ways, with optional parts
// present and absent.
func cxSamples(t testing.TB) []sample {
	s := "icscf.ims;1;1"
	caps := &ServerCapabilities{Mandatory: []uint32{1, 2}, Optional: []uint32{7}, ServerNames: []string{scscfURI}}
	ud, err := (&IMSSubscription{PrivateID: impi, ServiceProfiles: []ServiceProfile{{PublicIdentities: []PublicIdentity{
		{Identity: impu}, {Identity: "tel:+33612345678"}}}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return []sample{
		{"UAR", &UAR{RequestHeader: req(s, icscf, ""), UserName: impi, PublicIdentity: impu,
			VisitedNetwork: "ims.mnc001.mcc001.3gppnetwork.org", AuthorizationType: AuthTypeRegistration}, wrap(ParseUAR)},
		{"UAR capabilities", &UAR{RequestHeader: req(s, icscf, hssHost), UserName: impi, PublicIdentity: impu,
			VisitedNetwork: "visited", AuthorizationType: AuthTypeRegistrationAndCapabilities, Flags: 1}, wrap(ParseUAR)},
		{"UAA first", &UAA{AnswerHeader: ans(s, hssHost, Experimental(ExpFirstRegistration)), Capabilities: caps}, wrap(ParseUAA)},
		{"UAA subsequent", &UAA{AnswerHeader: ans(s, hssHost, Experimental(ExpSubsequentRegistration)), ServerName: scscfURI}, wrap(ParseUAA)},
		{"UAA unknown", &UAA{AnswerHeader: ans(s, hssHost, Experimental(ExpErrorUserUnknown))}, wrap(ParseUAA)},
		{"MAR", &MAR{RequestHeader: req(s, scscf, ""), UserName: impi, PublicIdentity: impu, ServerName: scscfURI,
			Scheme: SchemeDigestAKAv1MD5, Items: 1}, wrap(ParseMAR)},
		{"MAR resync", &MAR{RequestHeader: req(s, scscf, hssHost), UserName: impi, PublicIdentity: impu, ServerName: scscfURI,
			Scheme: SchemeUnknown, Items: 2, Resync: &Resync{RAND: [16]byte(seq(16, 1)), AUTS: [14]byte(seq(14, 100))}}, wrap(ParseMAR)},
		{"MAA", &MAA{AnswerHeader: ans(s, hssHost, Success), UserName: impi, PublicIdentity: impu,
			Items: []AKAItem{akaItem(0), akaItem(100)}}, wrap(ParseMAA)},
		{"MAA scheme refused", &MAA{AnswerHeader: ans(s, hssHost, Experimental(ExpErrorAuthSchemeNotSupported))}, wrap(ParseMAA)},
		{"SAR", &SAR{RequestHeader: req(s, scscf, hssHost), UserName: impi, PublicIdentities: []string{impu},
			ServerName: scscfURI, AssignmentType: AssignRegistration, UserDataAvailable: UserDataNotAvailable}, wrap(ParseSAR)},
		{"SAR deregistration", &SAR{RequestHeader: req(s, scscf, ""), PublicIdentities: []string{impu, "tel:+33612345678"},
			ServerName: scscfURI, AssignmentType: AssignUserDeregistration, UserDataAvailable: UserDataAlreadyAvailable}, wrap(ParseSAR)},
		{"SAA", &SAA{AnswerHeader: ans(s, hssHost, Success), UserName: impi, UserData: ud}, wrap(ParseSAA)},
		{"SAA minimal", &SAA{AnswerHeader: ans(s, hssHost, Success)}, wrap(ParseSAA)},
		{"LIR", &LIR{RequestHeader: req(s, icscf, ""), PublicIdentity: impu}, wrap(ParseLIR)},
		{"LIR originating", &LIR{RequestHeader: req(s, scscf, hssHost), PublicIdentity: "tel:+33612345678",
			Originating: true, Capabilities: true}, wrap(ParseLIR)},
		{"LIA", &LIA{AnswerHeader: ans(s, hssHost, Success), ServerName: scscfURI}, wrap(ParseLIA)},
		{"LIA capabilities", &LIA{AnswerHeader: ans(s, hssHost, Experimental(ExpUnregisteredService)), Capabilities: caps}, wrap(ParseLIA)},
		{"LIA not registered", &LIA{AnswerHeader: ans(s, hssHost, Experimental(ExpErrorIdentityNotRegistered))}, wrap(ParseLIA)},
	}
}

func TestCxRoundTrip(t *testing.T) {
	for _, s := range cxSamples(t) {
		t.Run(s.name, func(t *testing.T) {
			m, raw := wire(t, s.msg)
			got, err := s.parse(m)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, s.msg) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", got, s.msg)
			}
			dm, err := Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got2, err := s.parse(dm); err != nil || !reflect.DeepEqual(got2, s.msg) {
				t.Errorf("Decode then parse: %v, %+v", err, got2)
			}
		})
	}
}

// TestCxDictionary: the Cx commands and AVPs decode by name and type,
// and loading the dictionary twice is harmless.
func TestCxDictionary(t *testing.T) {
	for code, name := range map[uint32]string{CmdUserAuthorization: "UA", CmdServerAssignment: "SA",
		CmdLocationInfo: "LI", CmdMultimediaAuth: "MA", CmdRegistrationTermination: "RT", CmdPushProfile: "PP"} {
		if got := CommandName(AppCx, code, true); got != name+"R" {
			t.Errorf("command %d: %q, want %sR", code, got, name)
		}
	}
	for code, typ := range map[uint32]datatype.TypeID{600: datatype.OctetStringType, 601: datatype.UTF8StringType,
		603: datatype.GroupedType, 606: datatype.OctetStringType, 612: datatype.GroupedType, 614: datatype.EnumeratedType,
		619: datatype.DiameterURIType, 628: datatype.GroupedType, 637: datatype.Unsigned32Type, 650: datatype.EnumeratedType} {
		a, err := dict.Default.FindAVPWithVendor(AppCx, code, Vendor3GPP)
		if err != nil || a.Data.Type != typ {
			t.Errorf("AVP %d: %v, %+v; want type %d", code, err, a, typ)
		}
	}
	if err := LoadCx(dict.Default); err != nil {
		t.Errorf("second LoadCx: %v", err)
	}
	p, err := dict.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	if err := LoadCx(p); err != nil {
		t.Fatalf("LoadCx into a fresh parser: %v", err)
	}
	if _, err := p.FindCommand(AppCx, CmdMultimediaAuth); err != nil {
		t.Errorf("fresh parser lacks MAR: %v", err)
	}
}

// TestCxFlags: AVPs 600-633 carry M and V, later ones V only (TS 29.229
// table 6.3.1).
func TestCxFlags(t *testing.T) {
	m, _ := wire(t, &UAR{RequestHeader: req("s;1;1", icscf, ""), UserName: impi, PublicIdentity: impu,
		VisitedNetwork: "v", Flags: 1})
	for _, code := range []uint32{600, 601, 623, 637} {
		a := findCode(m.AVP, code)
		if a == nil {
			t.Fatalf("no AVP %d", code)
		}
		want := uint8(flagM | flagV)
		if code >= 634 {
			want = flagV
		}
		if a.Flags != want || a.VendorID != Vendor3GPP {
			t.Errorf("AVP %d: flags %#x vendor %d, want %#x vendor 3GPP", code, a.Flags, a.VendorID, want)
		}
	}
}

func TestCxParseErrors(t *testing.T) {
	build := func(b builder) *diam.Message {
		m, _ := wire(t, b)
		return m
	}
	mar := func() *diam.Message {
		return build(&MAR{RequestHeader: req("s;1;1", scscf, ""), UserName: impi, PublicIdentity: impu,
			ServerName: scscfURI, Scheme: SchemeDigestAKAv1MD5, Items: 1})
	}
	tests := []struct {
		name  string
		msg   func() *diam.Message
		parse func(*diam.Message) (any, error)
		want  error
		avp   string
	}{
		{"MAR without Server-Name", func() *diam.Message { m := mar(); without(t, m, 602); return m }, wrap(ParseMAR), ErrMissingAVP, "Server-Name"},
		{"MAR without auth item", func() *diam.Message { m := mar(); without(t, m, 612); return m }, wrap(ParseMAR), ErrMissingAVP, "SIP-Auth-Data-Item"},
		{"MAR short resync", func() *diam.Message {
			m := mar()
			g := findCode(m.AVP, 612).Data.(*diam.GroupedAVP)
			g.AVP = append(g.AVP, octets(avpSIPAuthorization, seq(20, 0)))
			return m
		}, wrap(ParseMAR), ErrInvalidAVP, "SIP-Auth-Data-Item/SIP-Authorization"},
		{"UAR wrong app", func() *diam.Message {
			m := build(&UAR{RequestHeader: req("s;1;1", icscf, ""), UserName: impi, PublicIdentity: impu, VisitedNetwork: "v"})
			replace(t, m, datatype.Unsigned32(AppS6a), 260, 258)
			return m
		}, wrap(ParseUAR), ErrInvalidAVP, "Vendor-Specific-Application-Id/Auth-Application-Id"},
		{"SAR without identities", func() *diam.Message {
			m := build(&SAR{RequestHeader: req("s;1;1", scscf, ""), UserName: impi, ServerName: scscfURI})
			without(t, m, 1)
			return m
		}, wrap(ParseSAR), ErrMissingAVP, "User-Name or Public-Identity"},
		{"MAA other scheme", func() *diam.Message {
			m := build(&MAA{AnswerHeader: ans("s;1;1", hssHost, Success), Items: []AKAItem{akaItem(0)}})
			replace(t, m, datatype.UTF8String("SIP Digest"), 612, 608)
			return m
		}, wrap(ParseMAA), ErrInvalidAVP, "SIP-Auth-Data-Item/SIP-Authentication-Scheme"},
		{"MAA short AUTN", func() *diam.Message {
			m := build(&MAA{AnswerHeader: ans("s;1;1", hssHost, Success), Items: []AKAItem{akaItem(0)}})
			replace(t, m, datatype.OctetString(seq(31, 0)), 612, 609)
			return m
		}, wrap(ParseMAA), ErrInvalidAVP, "SIP-Auth-Data-Item/SIP-Authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.parse(tt.msg())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.avp) {
				t.Errorf("got %v, want %v naming %s", err, tt.want, tt.avp)
			}
		})
	}
	if _, err := ParseUAR(mar()); !errors.Is(err, ErrWrongCommand) {
		t.Errorf("ParseUAR(MAR) = %v", err)
	}
}

func TestCxBuildRefuses(t *testing.T) {
	h := req("s;1;1", scscf, "")
	for name, b := range map[string]builder{
		"UAR no IMPU":     &UAR{RequestHeader: h, UserName: impi, VisitedNetwork: "v"},
		"MAR no scheme":   &MAR{RequestHeader: h, UserName: impi, PublicIdentity: impu, ServerName: scscfURI},
		"SAR no identity": &SAR{RequestHeader: h, ServerName: scscfURI},
		"SAR no server":   &SAR{RequestHeader: h, UserName: impi},
		"LIR no IMPU":     &LIR{RequestHeader: h},
		"MAA short XRES":  &MAA{AnswerHeader: ans("s;1;1", hssHost, Success), Items: []AKAItem{{XRES: []byte{1}}}},
		"UAA no result":   &UAA{AnswerHeader: AnswerHeader{SessionID: "s", OriginHost: hssHost, OriginRealm: realm}},
		"UAR no session":  &UAR{RequestHeader: RequestHeader{OriginHost: icscf, OriginRealm: realm, DestinationRealm: realm}},
	} {
		if _, err := b.Build(); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

func TestIMSIdentities(t *testing.T) {
	tests := []struct {
		imsi, mcc, mnc, msisdn string
		want                   IMSIdentities
	}{
		{"001010000000001", "001", "01", "33612345678", IMSIdentities{IMPI: impi, IMPU: impu, TelURI: "tel:+33612345678"}},
		{"310150123456789", "310", "150", "", IMSIdentities{IMPI: "310150123456789@ims.mnc150.mcc310.3gppnetwork.org",
			IMPU: "sip:310150123456789@ims.mnc150.mcc310.3gppnetwork.org"}},
	}
	for _, tt := range tests {
		got, err := DeriveIMSIdentities(tt.imsi, tt.mcc, tt.mnc, tt.msisdn)
		if err != nil || got != tt.want {
			t.Errorf("DeriveIMSIdentities(%s) = %+v, %v; want %+v", tt.imsi, got, err, tt.want)
		}
		dom, _ := IMSDomain(tt.mcc, tt.mnc)
		if i, ok := IMSIOfIMPI(got.IMPI, dom); !ok || i != tt.imsi {
			t.Errorf("IMSIOfIMPI(%s) = %s %v", got.IMPI, i, ok)
		}
		if i, ok := IMSIOfIMPU(got.IMPU+";transport=tcp", dom); !ok || i != tt.imsi {
			t.Errorf("IMSIOfIMPU(%s) = %s %v", got.IMPU, i, ok)
		}
	}
	for _, bad := range [][4]string{{"002010000000001", "001", "01", ""}, {"00101", "001", "01", ""},
		{"001010000000001", "001", "1", ""}, {"001010000000001", "001", "01", "+336"}} {
		if _, err := DeriveIMSIdentities(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("DeriveIMSIdentities(%v) accepted", bad)
		}
	}
	dom, _ := IMSDomain("001", "01")
	for _, bad := range []string{"sip:alice@" + dom, "tel:+001010000000001", "sip:001010000000001@ims.example.org", impi} {
		if _, ok := IMSIOfIMPU(bad, dom); ok {
			t.Errorf("IMSIOfIMPU(%q) accepted", bad)
		}
	}
	if d, ok := MSISDNOfTelURI("tel:+33-6-12-34-56-78;phone-context=x"); !ok || d != "33612345678" {
		t.Errorf("MSISDNOfTelURI = %q %v", d, ok)
	}
	if _, ok := MSISDNOfTelURI("tel:0612345678"); ok {
		t.Error("local tel URI accepted")
	}
}

func TestUserData(t *testing.T) {
	s := &IMSSubscription{PrivateID: impi, ServiceProfiles: []ServiceProfile{{PublicIdentities: []PublicIdentity{
		{Identity: impu}, {Identity: "tel:+33612345678", BarringIndication: true}}}}}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<?xml", "<IMSSubscription><PrivateID>" + impi + "</PrivateID><ServiceProfile><PublicIdentity><Identity>" + impu} {
		if !strings.Contains(string(b), want) {
			t.Errorf("User-Data lacks %q:\n%s", want, b)
		}
	}
	got, err := ParseUserData(b)
	if err != nil || !reflect.DeepEqual(got.Identities(), []string{impu, "tel:+33612345678"}) || got.PrivateID != impi ||
		!got.ServiceProfiles[0].PublicIdentities[1].BarringIndication {
		t.Errorf("ParseUserData = %+v, %v", got, err)
	}
	for name, doc := range map[string]string{
		"not xml":       "hello",
		"no private id": "<IMSSubscription><ServiceProfile><PublicIdentity><Identity>x</Identity></PublicIdentity></ServiceProfile></IMSSubscription>",
		"no profile":    "<IMSSubscription><PrivateID>a</PrivateID></IMSSubscription>",
		"empty profile": "<IMSSubscription><PrivateID>a</PrivateID><ServiceProfile></ServiceProfile></IMSSubscription>",
		"other root":    "<Foo><PrivateID>a</PrivateID></Foo>",
		"huge":          strings.Repeat(" ", maxUserData+1),
	} {
		if _, err := ParseUserData([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// fuzzCx: like fuzzParser, seeded from the Cx samples.
func fuzzCx(f *testing.F, prefix string, parse func(*diam.Message) (any, error)) {
	for _, s := range cxSamples(f) {
		if strings.HasPrefix(s.name, prefix) {
			_, raw := wire(f, s.msg)
			f.Add(raw)
		}
	}
	fuzzParser(f, nil, parse)
}

func FuzzParseUAR(f *testing.F) { fuzzCx(f, "UAR", wrap(ParseUAR)) }
func FuzzParseUAA(f *testing.F) { fuzzCx(f, "UAA", wrap(ParseUAA)) }
func FuzzParseMAR(f *testing.F) { fuzzCx(f, "MAR", wrap(ParseMAR)) }
func FuzzParseMAA(f *testing.F) { fuzzCx(f, "MAA", wrap(ParseMAA)) }
func FuzzParseSAR(f *testing.F) { fuzzCx(f, "SAR", wrap(ParseSAR)) }
func FuzzParseSAA(f *testing.F) { fuzzCx(f, "SAA", wrap(ParseSAA)) }
func FuzzParseLIR(f *testing.F) { fuzzCx(f, "LIR", wrap(ParseLIR)) }
func FuzzParseLIA(f *testing.F) { fuzzCx(f, "LIA", wrap(ParseLIA)) }

// FuzzParseUserData: the User-Data parser never panics, and what it
// accepts marshals and parses to the same subscription.
func FuzzParseUserData(f *testing.F) {
	for _, s := range cxSamples(f) {
		if saa, ok := s.msg.(*SAA); ok && saa.UserData != nil {
			f.Add(saa.UserData)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseUserData(b)
		if err != nil {
			return
		}
		again, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed %+v does not marshal: %v", s, err)
		}
		s2, err := ParseUserData(again)
		if err != nil || !reflect.DeepEqual(s.Identities(), s2.Identities()) || s.PrivateID != s2.PrivateID {
			t.Fatalf("marshal/parse differs: %+v %+v %v", s, s2, err)
		}
	})
}
