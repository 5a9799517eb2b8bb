package diameter

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

func TestRoundTrip(t *testing.T) {
	for _, s := range samples(t) {
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

func TestParseWrongCommand(t *testing.T) {
	m, _ := wire(t, &ULR{RequestHeader: req("s;1;1", mmeHost, ""), UserName: imsi, RATType: RATTypeEUTRAN, VisitedPLMN: plmn(t)})
	if _, err := ParseAIR(m); !errors.Is(err, ErrWrongCommand) {
		t.Errorf("ParseAIR(ULR) = %v, want ErrWrongCommand", err)
	}
	a, _ := wire(t, &AIA{AnswerHeader: ans("s;1;1", hssHost, Success)})
	if _, err := ParseAIR(a); !errors.Is(err, ErrWrongCommand) {
		t.Errorf("ParseAIR(AIA) = %v, want ErrWrongCommand", err)
	}
}

// without removes the AVP at the end of path (codes from the top level
// down through groups) from m.
func without(t testing.TB, m *diam.Message, path ...uint32) {
	t.Helper()
	list := &m.AVP
	for _, code := range path[:len(path)-1] {
		a := findCode(*list, code)
		if a == nil {
			t.Fatalf("no AVP %d on path %v", code, path)
		}
		list = &a.Data.(*diam.GroupedAVP).AVP
	}
	last := path[len(path)-1]
	kept := (*list)[:0]
	for _, a := range *list {
		if a.Code != last {
			kept = append(kept, a)
		}
	}
	if len(kept) == len(*list) {
		t.Fatalf("no AVP %d to remove on path %v", last, path)
	}
	*list = kept
}

// replace sets the data of the AVP at the end of path.
func replace(t testing.TB, m *diam.Message, data datatype.Type, path ...uint32) {
	t.Helper()
	list := m.AVP
	var a *diam.AVP
	for _, code := range path {
		if a != nil {
			list = a.Data.(*diam.GroupedAVP).AVP
		}
		if a = findCode(list, code); a == nil {
			t.Fatalf("no AVP %d on path %v", code, path)
		}
	}
	a.Data = data
}

func findCode(l []*diam.AVP, code uint32) *diam.AVP {
	for _, a := range l {
		if a.Code == code {
			return a
		}
	}
	return nil
}

// reparse re-encodes a mutated message, as it would arrive.
func reparse(t testing.TB, m *diam.Message) *diam.Message {
	t.Helper()
	raw, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestParseMissingMandatory(t *testing.T) {
	byName := map[string]sample{}
	for _, s := range samples(t) {
		byName[s.name] = s
	}
	for _, tc := range []struct {
		sample string
		path   []uint32
		want   string
	}{
		{"AIR", []uint32{avp.UserName}, "User-Name"},
		{"AIR", []uint32{avp.SessionID}, "Session-Id"},
		{"AIR", []uint32{avp.VisitedPLMNID}, "Visited-PLMN-Id"},
		{"AIR", []uint32{avp.DestinationRealm}, "Destination-Realm"},
		{"AIR", []uint32{avp.AuthSessionState}, "Auth-Session-State"},
		{"AIA", []uint32{avp.ResultCode}, "Result-Code or Experimental-Result"},
		{"AIA", []uint32{avp.AuthenticationInfo, avp.EUTRANVector, avp.KASME}, "Authentication-Info/E-UTRAN-Vector/KASME"},
		{"AIA unknown user", []uint32{avp.ExperimentalResult, avp.ExperimentalResultCode}, "Experimental-Result/Experimental-Result-Code"},
		{"ULR", []uint32{avp.RATType}, "RAT-Type"},
		{"ULR", []uint32{avp.ULRFlags}, "ULR-Flags"},
		{"ULA", []uint32{avp.SubscriptionData, avp.APNConfigurationProfile, avp.ContextIdentifier},
			"Subscription-Data/APN-Configuration-Profile/Context-Identifier"},
		{"ULA", []uint32{avp.SubscriptionData, avp.APNConfigurationProfile, avp.APNConfiguration, avp.ServiceSelection},
			"Subscription-Data/APN-Configuration-Profile/APN-Configuration/Service-Selection"},
		{"ULA", []uint32{avp.SubscriptionData, avp.APNConfigurationProfile, avp.APNConfiguration, avp.EPSSubscribedQoSProfile,
			avp.AllocationRetentionPriority}, "Subscription-Data/APN-Configuration-Profile/APN-Configuration/EPS-Subscribed-QoS-Profile/Allocation-Retention-Priority"},
		{"ULA", []uint32{avp.SubscriptionData, avp.AMBR, avp.MaxRequestedBandwidthDL}, "Subscription-Data/AMBR/Max-Requested-Bandwidth-DL"},
		{"PUR", []uint32{avp.UserName}, "User-Name"},
		{"CLR", []uint32{avp.DestinationHost}, "Destination-Host"},
		{"CLR", []uint32{avp.CancellationType}, "Cancellation-Type"},
		{"CLA", []uint32{avp.OriginHost}, "Origin-Host"},
		{"CCR-I", []uint32{avp.CCRequestType}, "CC-Request-Type"},
		{"CCR-I", []uint32{avp.CCRequestNumber}, "CC-Request-Number"},
		{"CCR-I", []uint32{avp.AuthApplicationID}, "Auth-Application-Id"},
		{"CCR-I", []uint32{avp.SubscriptionID, avp.SubscriptionIDData}, "Subscription-Id/Subscription-Id-Data"},
		{"CCR-I", []uint32{avp.DefaultEPSBearerQoS, avp.QoSClassIdentifier}, "Default-EPS-Bearer-QoS/QoS-Class-Identifier"},
		{"CCA", []uint32{avp.ChargingRuleInstall, avp.ChargingRuleDefinition, avp.ChargingRuleName},
			"Charging-Rule-Install/Charging-Rule-Definition/Charging-Rule-Name"},
		{"RAR", []uint32{avp.ReAuthRequestType}, "Re-Auth-Request-Type"},
		{"RAR", []uint32{avp.DestinationHost}, "Destination-Host"},
		{"AAR", []uint32{avp.MediaComponentDescription, avp.MediaComponentNumber}, "Media-Component-Description/Media-Component-Number"},
		{"AAR", []uint32{avp.MediaComponentDescription, avp.MediaSubComponent, avp.FlowNumber},
			"Media-Component-Description/Media-Sub-Component/Flow-Number"},
		{"STR", []uint32{avp.TerminationCause}, "Termination-Cause"},
		{"STA", []uint32{avp.OriginRealm}, "Origin-Realm"},
	} {
		s, ok := byName[tc.sample]
		if !ok {
			t.Fatalf("no sample %q", tc.sample)
		}
		t.Run(tc.sample+"/"+tc.want, func(t *testing.T) {
			m, err := s.msg.Build()
			if err != nil {
				t.Fatal(err)
			}
			without(t, m, tc.path...)
			_, err = s.parse(reparse(t, m))
			var me *MissingAVPError
			if !errors.As(err, &me) || !errors.Is(err, ErrMissingAVP) {
				t.Fatalf("parse = %v, want a MissingAVPError", err)
			}
			if me.AVP != tc.want {
				t.Errorf("missing AVP = %q, want %q (%v)", me.AVP, tc.want, err)
			}
		})
	}
}

func TestParseInvalidAVP(t *testing.T) {
	byName := map[string]sample{}
	for _, s := range samples(t) {
		byName[s.name] = s
	}
	for _, tc := range []struct {
		sample string
		data   datatype.Type
		path   []uint32
		want   string
	}{
		{"AIA", datatype.OctetString(seq(15, 0)), []uint32{avp.AuthenticationInfo, avp.EUTRANVector, avp.RAND},
			"Authentication-Info/E-UTRAN-Vector/RAND"},
		{"AIA", datatype.OctetString(seq(3, 0)), []uint32{avp.AuthenticationInfo, avp.EUTRANVector, avp.XRES},
			"Authentication-Info/E-UTRAN-Vector/XRES"},
		{"AIR", datatype.OctetString(seq(4, 0)), []uint32{avp.VisitedPLMNID}, "Visited-PLMN-Id"},
		{"AIR resync", datatype.OctetString(seq(29, 0)), []uint32{avp.RequestedEUTRANAuthenticationInfo, avp.ResynchronizationInfo},
			"Requested-EUTRAN-Authentication-Info/Re-Synchronization-Info"},
		{"ULA", datatype.OctetString([]byte{0x33, 0xAB}), []uint32{avp.SubscriptionData, avp.MSISDN}, "Subscription-Data/MSISDN"},
		{"ULA", datatype.OctetString("x"), []uint32{avp.SubscriptionData, avp.APNConfigurationProfile}, "Subscription-Data/APN-Configuration-Profile"},
		{"CCR-I", datatype.OctetString(seq(5, 1)), []uint32{avp.FramedIPAddress}, "Framed-IP-Address"},
		{"CCR-I", datatype.Unsigned32(AppRx), []uint32{avp.AuthApplicationID}, "Auth-Application-Id"},
		{"ULR", datatype.OctetString("abc"), []uint32{avp.ULRFlags}, "ULR-Flags"},
	} {
		s := byName[tc.sample]
		t.Run(tc.sample+"/"+tc.want, func(t *testing.T) {
			m, err := s.msg.Build()
			if err != nil {
				t.Fatal(err)
			}
			replace(t, m, tc.data, tc.path...)
			raw, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(raw)
			if err != nil {
				// The dictionary refused the value already: also malformed.
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Decode = %v, want ErrMalformed", err)
				}
				return
			}
			_, err = s.parse(back)
			var ie *InvalidAVPError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidAVP) {
				t.Fatalf("parse = %v, want an InvalidAVPError", err)
			}
			if ie.AVP != tc.want {
				t.Errorf("invalid AVP = %q, want %q (%v)", ie.AVP, tc.want, err)
			}
		})
	}
}

func TestBuildRefusesIncomplete(t *testing.T) {
	for name, b := range map[string]builder{
		"AIR no session":      &AIR{RequestHeader: RequestHeader{OriginHost: mmeHost, OriginRealm: realm, DestinationRealm: realm}, UserName: imsi},
		"AIR no user":         &AIR{RequestHeader: req("s;1;1", mmeHost, "")},
		"CLR no dest host":    &CLR{RequestHeader: req("s;1;1", hssHost, ""), UserName: imsi},
		"AIA no result":       &AIA{AnswerHeader: AnswerHeader{SessionID: "s", OriginHost: hssHost, OriginRealm: realm}},
		"AIA short XRES":      &AIA{AnswerHeader: ans("s", hssHost, Success), Vectors: []EUTRANVector{{XRES: []byte{1}}}},
		"ULA bad MSISDN":      &ULA{AnswerHeader: ans("s", hssHost, Success), Subscription: &SubscriptionData{MSISDN: "+33"}},
		"ULA empty profile":   &ULA{AnswerHeader: ans("s", hssHost, Success), Subscription: &SubscriptionData{APNProfile: &APNConfigurationProfile{}}},
		"CCR bad type":        &CCR{RequestHeader: req("s;1;1", pgwHost, "")},
		"CCA unnamed rule":    &CCA{AnswerHeader: ans("s", pcrfHost, Success), PolicyUpdate: PolicyUpdate{Install: []ChargingRule{{}}}},
		"AAR three filters":   &AAR{RequestHeader: req("s;1;1", pcscf, ""), Media: []MediaComponent{{Subs: []MediaSubComponent{{Descriptions: []string{"a", "b", "c"}}}}}},
		"RAR no dest host":    &RAR{RequestHeader: req("s;1;1", pcrfHost, "")},
		"STA no origin realm": &STA{AnswerHeader: AnswerHeader{SessionID: "s", OriginHost: pcrfHost, Result: Success}},
	} {
		if _, err := b.Build(); err == nil {
			t.Errorf("%s: Build succeeded", name)
		}
	}
}

func TestPLMNID(t *testing.T) {
	for _, tc := range []struct {
		mcc, mnc string
		want     PLMNID
	}{
		{"001", "01", PLMNID{0x00, 0xF1, 0x10}},
		{"208", "93", PLMNID{0x02, 0xF8, 0x39}},
		{"310", "410", PLMNID{0x13, 0x00, 0x14}},
	} {
		p, err := NewPLMNID(tc.mcc, tc.mnc)
		if err != nil || p != tc.want {
			t.Errorf("NewPLMNID(%s, %s) = %x, %v; want %x", tc.mcc, tc.mnc, p, err, tc.want)
			continue
		}
		if mcc, mnc, err := p.Split(); err != nil || mcc != tc.mcc || mnc != tc.mnc {
			t.Errorf("Split(%x) = %s %s %v", p, mcc, mnc, err)
		}
	}
	for _, bad := range [][2]string{{"01", "01"}, {"001", "1"}, {"0a1", "01"}, {"001", "0101"}} {
		if _, err := NewPLMNID(bad[0], bad[1]); err == nil {
			t.Errorf("NewPLMNID(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if _, _, err := (PLMNID{0xAA, 0xF1, 0x10}).Split(); err == nil {
		t.Error("Split accepted a non-digit nibble")
	}
}

func TestTBCD(t *testing.T) {
	for _, s := range []string{"33612345678", "1", "12", "001010000000001"} {
		b, err := EncodeTBCD(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := DecodeTBCD(b); err != nil || got != s {
			t.Errorf("TBCD %q -> %x -> %q, %v", s, b, got, err)
		}
	}
	if b, _ := EncodeTBCD("33612345678"); string(b) != "\x33\x16\x32\x54\x76\xF8" {
		t.Errorf("EncodeTBCD = %x", b)
	}
	for _, bad := range [][]byte{{0xFA}, {0x1F, 0x21}} {
		if _, err := DecodeTBCD(bad); err == nil {
			t.Errorf("DecodeTBCD(%x) accepted", bad)
		}
	}
}

func TestAMBRExtended(t *testing.T) {
	// 5 Gbps does not fit Max-Requested-Bandwidth (Unsigned32 bps): it
	// must travel as 2^32-1 plus the extended AVP in kbps.
	a := &ULA{AnswerHeader: ans("s", hssHost, Success), Subscription: &SubscriptionData{AMBR: &AMBR{Uplink: 5e9, Downlink: 1e6}}}
	m, _ := wire(t, a)
	g := findCode(findCode(m.AVP, avp.SubscriptionData).Data.(*diam.GroupedAVP).AVP, avp.AMBR).Data.(*diam.GroupedAVP).AVP
	if v := findCode(g, avp.MaxRequestedBandwidthUL).Data.(datatype.Unsigned32); v != 0xFFFFFFFF {
		t.Errorf("Max-Requested-Bandwidth-UL = %d", v)
	}
	if v := findCode(g, 555).Data.(datatype.Unsigned32); v != 5e6 {
		t.Errorf("Extended-Max-Requested-BW-UL = %d kbps", v)
	}
	if findCode(g, 554) != nil {
		t.Error("Extended-Max-Requested-BW-DL sent for a rate that fits")
	}
}

func TestResultOf(t *testing.T) {
	for _, r := range []Result{Success, Experimental(ExpErrorUserUnknown), {Code: ResultUnableToComply}} {
		m, _ := wire(t, &CLA{AnswerHeader: ans("s", mmeHost, r)})
		if got, err := ResultOf(m); err != nil || got != r {
			t.Errorf("ResultOf = %v, %v; want %v", got, err, r)
		}
		if err := r.Err("CLA"); (err == nil) != r.OK() {
			t.Errorf("%v.Err = %v", r, err)
		}
	}
}
