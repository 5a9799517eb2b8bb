package nas5g

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

var (
	testPLMN = PLMN{MCC: "001", MNC: "01"}
	testGUTI = GUTI{PLMN: testPLMN, AMFRegionID: 0xCA, AMFSetID: 1022, AMFPointer: 63, TMSI: 0x01020304}
	slice1   = SNSSAI{SST: 1}
	slice2   = SNSSAI{SST: 1, SD: 0x010203, HasSD: true}
	ueCap    = UESecurityCapability{EA: 0xF0, IA: 0x70}
	ueCapEPS = UESecurityCapability{EA: 0xE0, IA: 0x60, EEA: 0xF0, EIA: 0x70, HasEPS: true}
)

func nullSUCI(t *testing.T, msin string) *SUCI {
	t.Helper()
	out, err := NullSchemeOutput(msin)
	if err != nil {
		t.Fatal(err)
	}
	return &SUCI{PLMN: testPLMN, RoutingIndicator: "0", SchemeOutput: out}
}

func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func roundTripCases(t *testing.T) map[string]Message {
	profileA := &SUCI{PLMN: PLMN{MCC: "208", MNC: "930"}, RoutingIndicator: "1234",
		ProtectionScheme: SchemeProfileA, HomeNetworkKeyID: 7, SchemeOutput: seq(1, 32+5+8)}
	profileB := &SUCI{PLMN: testPLMN, RoutingIndicator: "12", ProtectionScheme: SchemeProfileB,
		HomeNetworkKeyID: 2, SchemeOutput: seq(0x40, 33+5+8)}
	return map[string]Message{
		"registration request SUCI": &RegistrationRequest{
			RegistrationType: RegistrationInitial, FollowOnRequest: true, NgKSI: NoKey,
			Identity: UEIdentity{SUCI: nullSUCI(t, "0000000001")}, SecurityCapability: &ueCap,
			RequestedNSSAI: []SNSSAI{slice1, slice2},
		},
		"registration request odd MSIN": &RegistrationRequest{
			RegistrationType: RegistrationInitial, NgKSI: NoKey,
			Identity: UEIdentity{SUCI: nullSUCI(t, "123456789")}, SecurityCapability: &ueCapEPS,
		},
		"registration request profile A": &RegistrationRequest{
			RegistrationType: RegistrationInitial, NgKSI: NoKey, Identity: UEIdentity{SUCI: profileA},
		},
		"registration request profile B": &RegistrationRequest{
			RegistrationType: RegistrationInitial, NgKSI: NoKey, Identity: UEIdentity{SUCI: profileB},
		},
		"registration request GUTI": &RegistrationRequest{
			RegistrationType: RegistrationMobility, NgKSI: KSI{Value: 3}, Identity: UEIdentity{GUTI: &testGUTI},
			SecurityCapability: &ueCap, NASMessageContainer: []byte{0x7e, 0x00, 0x41, 0x01},
		},
		"registration accept": &RegistrationAccept{
			SMSAllowed: true, GUTI: &testGUTI, AllowedNSSAI: []SNSSAI{slice1, slice2}, T3512: 60 * time.Minute,
			TAIList: []TAI{{PLMN: testPLMN, TAC: 1}, {PLMN: testPLMN, TAC: 7}, {PLMN: PLMN{MCC: "999", MNC: "999"}, TAC: 0xFFFFFE}},
		},
		"registration accept minimal":   &RegistrationAccept{},
		"registration accept T3512 off": &RegistrationAccept{T3512: TimerDeactivated, TAIList: []TAI{{PLMN: testPLMN, TAC: 1}}},
		"registration complete":         &RegistrationComplete{},
		"registration reject":           &RegistrationReject{Cause: CausePLMNNotAllowed},
		"authentication request": &AuthenticationRequest{
			NgKSI: KSI{Value: 2}, ABBA: []byte{0, 0}, RAND: [16]byte(seq(0x10, 16)), AUTN: [16]byte(seq(0x80, 16)),
		},
		"authentication response":     &AuthenticationResponse{RESStar: [16]byte(seq(0xA0, 16))},
		"authentication failure MAC":  &AuthenticationFailure{Cause: CauseMACFailure},
		"authentication failure sync": &AuthenticationFailure{Cause: CauseSynchFailure, AUTS: seq(0x30, AUTSLen)},
		"authentication reject":       &AuthenticationReject{},
		"security mode command": &SecurityModeCommand{
			EncAlg: NEA2, IntAlg: NIA2, NgKSI: KSI{Value: 1}, ReplayedCapability: ueCapEPS,
			IMEISVRequest: true, ABBA: []byte{0, 0},
		},
		"security mode command bare": &SecurityModeCommand{EncAlg: NEA0, IntAlg: NIA1, ReplayedCapability: ueCap},
		"security mode complete": &SecurityModeComplete{
			IMEISV: "4370816125816151", NASMessageContainer: []byte{0x7e, 0x00, 0x41, 0x79},
		},
		"security mode complete bare": &SecurityModeComplete{},
		"security mode reject":        &SecurityModeReject{Cause: CauseUESecurityCapMismatch},
		"deregistration request": &DeregistrationRequest{
			SwitchOff: true, AccessType: Access3GPP, NgKSI: KSI{Value: 1}, Identity: UEIdentity{GUTI: &testGUTI},
		},
		"deregistration request SUCI": &DeregistrationRequest{
			AccessType: Access3GPP, NgKSI: NoKey, Identity: UEIdentity{SUCI: nullSUCI(t, "0123456789")},
		},
		"deregistration accept": &DeregistrationAccept{},
		"service request": &ServiceRequest{
			NgKSI: KSI{Value: 1}, ServiceType: ServiceData, STMSI: testGUTI.STMSI(),
			UplinkDataStatus: 1 << 1, PDUSessionStatus: 1<<1 | 1<<5,
		},
		"service accept":      &ServiceAccept{PDUSessionStatus: 1 << 1},
		"service accept bare": &ServiceAccept{},
		"service reject":      &ServiceReject{Cause: CauseCongestion},
		"UL NAS transport": &ULNASTransport{
			PayloadType: PayloadN1SM, Payload: []byte{0x2e, 0x01, 0x01, 0xc1, 0xff, 0xff, 0x91},
			PDUSessionID: 1, RequestType: RequestInitial, SNSSAI: &slice2, DNN: "internet",
		},
		"UL NAS transport bare": &ULNASTransport{PayloadType: PayloadN1SM, Payload: []byte{1, 2, 3}, PDUSessionID: 5},
		"DL NAS transport": &DLNASTransport{
			PayloadType: PayloadN1SM, Payload: []byte{0x2e, 0x01, 0x01, 0xc3, 0x1b}, PDUSessionID: 1,
			Cause: CauseDNNNotSupportedInSlice,
		},
		"PDU session establishment request": &PDUSessionEstablishmentRequest{
			SessionHeader:      SessionHeader{PDUSessionID: 1, PTI: 1},
			MaxIntegrityRateUL: FullDataRate, MaxIntegrityRateDL: FullDataRate,
			PDUSessionType: SessionIPv4, SSCMode: SSCMode1,
		},
		"PDU session establishment request bare": &PDUSessionEstablishmentRequest{
			SessionHeader: SessionHeader{PDUSessionID: 15, PTI: 254},
		},
		"PDU session establishment accept": &PDUSessionEstablishmentAccept{
			SessionHeader:  SessionHeader{PDUSessionID: 1, PTI: 1},
			PDUSessionType: SessionIPv4, SSCMode: SSCMode1,
			QoSRules:    []QoSRule{{ID: 1, Precedence: 255, QFI: 1, Default: true}},
			SessionAMBR: AMBR{Uplink: 100_000_000, Downlink: 1_000_000_000},
			Address:     netip.MustParseAddr("10.45.0.2"), SNSSAI: &slice1, DNN: "internet",
		},
		"PDU session establishment reject": &PDUSessionEstablishmentReject{
			SessionHeader: SessionHeader{PDUSessionID: 1, PTI: 1}, Cause: SMCauseMissingOrUnknownDNN,
		},
		"PDU session release request": &PDUSessionReleaseRequest{
			SessionHeader: SessionHeader{PDUSessionID: 2, PTI: 3}, Cause: SMCauseRegularDeactivation,
		},
		"PDU session release request bare": &PDUSessionReleaseRequest{SessionHeader: SessionHeader{PDUSessionID: 2, PTI: 3}},
		"PDU session release command": &PDUSessionReleaseCommand{
			SessionHeader: SessionHeader{PDUSessionID: 2, PTI: 3}, Cause: SMCauseRegularDeactivation,
		},
		"PDU session release complete": &PDUSessionReleaseComplete{SessionHeader: SessionHeader{PDUSessionID: 2, PTI: 3}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for name, msg := range roundTripCases(t) {
		t.Run(name, func(t *testing.T) {
			b, err := msg.Encode()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			mt, _, err := PeekType(b)
			if err != nil || mt != msg.MessageType() {
				t.Fatalf("PeekType = %v, %v; want %v", mt, err, msg.MessageType())
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if !reflect.DeepEqual(got, msg) {
				t.Fatalf("round trip changed the message\n got  %+v\n want %+v\n bytes %x", got, msg, b)
			}
			again, err := got.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encoding gave %x (%v), first %x", again, err, b)
			}
		})
	}
}

// Encodings worked out by hand from TS 24.501 (and TS 24.008 for the BCD),
// so a bug shared by free5gc's encoder and decoder cannot hide.
func TestHandVerifiedEncodings(t *testing.T) {
	for name, tc := range map[string]struct {
		msg  Message
		want string
	}{
		"registration request": {
			&RegistrationRequest{RegistrationType: RegistrationInitial, NgKSI: NoKey,
				Identity: UEIdentity{SUCI: nullSUCI(t, "0000000001")}, SecurityCapability: &UESecurityCapability{EA: 0xF0, IA: 0xF0}},
			// 7e 00 41 | ngKSI 7, initial 1 | LV-E: SUCI, IMSI | 001/01 | RI "0" | null scheme, key 0 | MSIN | UE sec cap
			"7e0041" + "71" + "000d01" + "00f110" + "f0ff" + "0000" + "0000000010" + "2e02f0f0",
		},
		"registration accept": {
			&RegistrationAccept{GUTI: &testGUTI},
			// result 3GPP | 5G-GUTI TLV-E: f2, PLMN, region ca, set 1022 = 0xff|10b, pointer 63 | TMSI
			"7e0042" + "0101" + "77000b" + "f2" + "00f110" + "ca" + "ffbf" + "01020304",
		},
		"registration accept TAI list": {
			&RegistrationAccept{GUTI: &testGUTI, TAIList: []TAI{{PLMN: testPLMN, TAC: 1}, {PLMN: testPLMN, TAC: 0x0a0b0c}},
				AllowedNSSAI: []SNSSAI{slice1}, T3512: time.Hour},
			// ... GUTI | TAI list 54: type 00, 2 TACs, one PLMN | allowed NSSAI 15 | T3512 5e: 6 x 10 min
			"7e0042" + "0101" + "77000b" + "f200f110caffbf01020304" + "540a" + "01" + "00f110" + "000001" + "0a0b0c" +
				"1502" + "0101" + "5e0106",
		},
		"authentication failure synch": {
			&AuthenticationFailure{Cause: CauseSynchFailure, AUTS: seq(0x30, AUTSLen)},
			"7e0059" + "15" + "300e" + hex.EncodeToString(seq(0x30, AUTSLen)),
		},
		"security mode command": {
			&SecurityModeCommand{EncAlg: NEA2, IntAlg: NIA2, NgKSI: KSI{Value: 1},
				ReplayedCapability: UESecurityCapability{EA: 0xF0, IA: 0xF0}, IMEISVRequest: true, ABBA: []byte{0, 0}},
			// algs 0x22 | spare, ngKSI 1 | LV cap | IMEISV request TV e1 | ABBA TLV 38
			"7e005d" + "22" + "01" + "02f0f0" + "e1" + "38020000",
		},
		"UL NAS transport": {
			&ULNASTransport{PayloadType: PayloadN1SM, Payload: []byte{0xaa}, PDUSessionID: 1,
				RequestType: RequestInitial, SNSSAI: &slice1, DNN: "internet"},
			// spare, type 1 | LV-E payload | PSI TV 12 | request type TV 8- | S-NSSAI 22 | DNN 25 as labels
			"7e0067" + "01" + "0001aa" + "1201" + "81" + "220101" + "2509" + "08696e7465726e6574",
		},
		"PDU session establishment accept": {
			&PDUSessionEstablishmentAccept{
				SessionHeader:  SessionHeader{PDUSessionID: 1, PTI: 1},
				PDUSessionType: SessionIPv4, SSCMode: SSCMode1,
				QoSRules:    []QoSRule{{ID: 1, Precedence: 255, QFI: 1, Default: true}},
				SessionAMBR: AMBR{Uplink: 1_000_000_000, Downlink: 1_000_000_000},
				Address:     netip.MustParseAddr("10.45.0.2"), SNSSAI: &slice1, DNN: "internet",
			},
			// 2e psi pti c2 | SSC 1, IPv4 | QoS rules LV-E: rule 1, len 6, create+DQR+1 filter,
			// bidirectional filter 1 match-all, precedence ff, QFI 1 | AMBR: 16 Kbps units x 62500
			// | PDU address 29 | S-NSSAI 22 | DNN 25
			"2e0101c2" + "11" + "0009" + "010006" + "31" + "310101" + "ff01" + "0603f42403f424" +
				"2905010a2d0002" + "220101" + "2509" + "08696e7465726e6574",
		},
	} {
		got, err := tc.msg.Encode()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("%s:\n got  %x\n want %s", name, got, tc.want)
		}
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	for name, msg := range map[string]Message{
		"no identity":         &RegistrationRequest{RegistrationType: RegistrationInitial},
		"two identities":      &RegistrationRequest{RegistrationType: RegistrationInitial, Identity: UEIdentity{SUCI: nullSUCI(t, "1"), GUTI: &testGUTI}},
		"bad MCC":             &RegistrationRequest{RegistrationType: 1, Identity: UEIdentity{GUTI: &GUTI{PLMN: PLMN{MCC: "1a1", MNC: "01"}}}},
		"bad registration":    &RegistrationRequest{Identity: UEIdentity{GUTI: &testGUTI}},
		"set ID over 10 bits": &RegistrationAccept{GUTI: &GUTI{PLMN: testPLMN, AMFSetID: 1024}},
		"T3512 not encodable": &RegistrationAccept{T3512: 3 * time.Second},
		"17 TAIs":             &RegistrationAccept{TAIList: make([]TAI, 17)},
		"SST 0":               &RegistrationAccept{AllowedNSSAI: []SNSSAI{{SST: 0}}},
		"synch without AUTS":  &AuthenticationFailure{Cause: CauseSynchFailure},
		"AUTS with MAC cause": &AuthenticationFailure{Cause: CauseMACFailure, AUTS: seq(0, AUTSLen)},
		"short IMEISV":        &SecurityModeComplete{IMEISV: "123"},
		"empty payload":       &ULNASTransport{PayloadType: PayloadN1SM},
		"bad DNN":             &ULNASTransport{PayloadType: PayloadN1SM, Payload: []byte{1}, DNN: "a..b"},
		"PSI 0":               &PDUSessionReleaseComplete{},
		"no QoS rule":         &PDUSessionEstablishmentAccept{SessionHeader: SessionHeader{PDUSessionID: 1}, PDUSessionType: 1, SSCMode: 1},
		"IPv6 address":        &PDUSessionEstablishmentAccept{SessionHeader: SessionHeader{PDUSessionID: 1}, PDUSessionType: 1, SSCMode: 1, QoSRules: []QoSRule{{ID: 1, QFI: 1}}, SessionAMBR: AMBR{1e6, 1e6}, Address: netip.MustParseAddr("::1")},
		"zero AMBR":           &PDUSessionEstablishmentAccept{SessionHeader: SessionHeader{PDUSessionID: 1}, PDUSessionType: 1, SSCMode: 1, QoSRules: []QoSRule{{ID: 1, QFI: 1}}},
		"dereg bad access":    &DeregistrationRequest{Identity: UEIdentity{GUTI: &testGUTI}},
		"routing indicator 5": &RegistrationRequest{RegistrationType: 1, Identity: UEIdentity{SUCI: &SUCI{PLMN: testPLMN, RoutingIndicator: "12345"}}},
		"short profile A":     &RegistrationRequest{RegistrationType: 1, Identity: UEIdentity{SUCI: &SUCI{PLMN: testPLMN, RoutingIndicator: "0", ProtectionScheme: SchemeProfileA, SchemeOutput: seq(0, 39)}}},
		"unknown scheme":      &RegistrationRequest{RegistrationType: 1, Identity: UEIdentity{SUCI: &SUCI{PLMN: testPLMN, RoutingIndicator: "0", ProtectionScheme: 5}}},
	} {
		if b, err := msg.Encode(); err == nil {
			t.Errorf("%s: encoded to %x, want an error", name, b)
		}
	}
}

func TestParseChecksMessageType(t *testing.T) {
	b, err := (&RegistrationComplete{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRegistrationAccept(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Registration Complete parsed as Accept: %v", err)
	}
	if _, err := Decode([]byte{0x7e, 0x00, 0x5b, 0x01}); !errors.Is(err, ErrUnsupported) { // Identity Request
		t.Fatalf("Identity Request: %v, want ErrUnsupported", err)
	}
	if m, err := DecodeRaw([]byte{0x7e, 0x00, 0x5b, 0x01}); err != nil || m == nil {
		t.Fatalf("DecodeRaw Identity Request: %v", err)
	}
}

func TestPLMNBytes(t *testing.T) {
	for _, tc := range []struct {
		p    PLMN
		want string
	}{
		{PLMN{"001", "01"}, "00f110"},
		{PLMN{"208", "93"}, "02f839"},
		{PLMN{"310", "410"}, "130014"},
	} {
		b, err := tc.p.Bytes()
		if err != nil || hex.EncodeToString(b[:]) != tc.want {
			t.Errorf("%v: %x %v, want %s", tc.p, b, err, tc.want)
		}
		back, err := PLMNFromBytes(b[:])
		if err != nil || back != tc.p {
			t.Errorf("%s decodes to %v %v", tc.want, back, err)
		}
	}
	if _, err := PLMNFromBytes([]byte{0xa0, 0xf1, 0x10}); err == nil {
		t.Error("non-decimal PLMN decoded")
	}
}

func TestMSIN(t *testing.T) {
	for _, msin := range []string{"1", "12", "0000000001", "123456789"} {
		s := nullSUCI(t, msin)
		if got, err := s.MSIN(); err != nil || got != msin {
			t.Errorf("MSIN %s came back as %s (%v)", msin, got, err)
		}
	}
	if _, err := NullSchemeOutput("12345678901"); err == nil {
		t.Error("11-digit MSIN accepted")
	}
}

func TestAMBRUnits(t *testing.T) {
	for _, bps := range []uint64{1000, 65_535_000, 100_000_000, 1_000_000_000, 4_096_000_000} {
		s, err := ambrToIE(AMBR{Uplink: bps, Downlink: bps})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ambrFromIE(s)
		if err != nil || got.Uplink != bps {
			t.Errorf("%d bit/s came back as %d (%v)", bps, got.Uplink, err)
		}
	}
	s, _ := ambrToIE(AMBR{Uplink: 1_000_001_000, Downlink: 1000})
	if got, _ := ambrFromIE(s); got.Uplink > 1_000_001_000 || got.Uplink < 999_000_000 {
		t.Errorf("inexact AMBR rounded to %d", got.Uplink)
	}
}
