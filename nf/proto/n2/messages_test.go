package n2

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/free5gc/ngap/ie"
)

var (
	plmn    = PLMN{MCC: "001", MNC: "01"}
	plmn3   = PLMN{MCC: "310", MNC: "410"}
	slice1  = SNSSAI{SST: 1}
	slice2  = SNSSAI{SST: 1, SD: 0x010203, HasSD: true}
	tai1    = TAI{PLMN: plmn, TAC: 1}
	loc     = UserLocation{TAI: tai1, NRCGI: NRCGI{PLMN: plmn, CellID: 0x000000010}}
	ids     = UEIDs{AMFUENGAPID: 1<<40 - 2, RANUENGAPID: 0xFFFFFFFF}
	guami   = GUAMI{PLMN: plmn, RegionID: 0xCA, SetID: 1022, Pointer: 63}
	stmsi   = STMSI{AMFSetID: 1, AMFPointer: 2, TMSI: 0xDEADBEEF}
	testNAS = []byte{0x7e, 0x00, 0x41, 0x79, 0x00, 0x0d, 0x01, 0x00, 0xf1, 0x10, 0xf0, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10}
)

func mustEncode(t *testing.T, e interface{ Encode() ([]byte, error) }) []byte {
	t.Helper()
	b, err := e.Encode()
	if err != nil {
		t.Fatalf("encode %T: %v", e, err)
	}
	return b
}

func sampleTransfers(t *testing.T) (req, rsp, fail, relCmd, relRsp []byte) {
	req = mustEncode(t, &SetupRequestTransfer{
		SessionAMBR:    AMBR{Uplink: 100_000_000, Downlink: 1_000_000_000},
		ULTunnel:       GTPTunnel{Addr: netip.MustParseAddr("10.100.200.1"), TEID: 0x11223344},
		PDUSessionType: SessionTypeIPv4,
		QoSFlows:       []QoSFlowRequest{{QFI: 1, FiveQI: 9, ARP: ARP{Level: 8, MayTriggerPreemption: true}}},
	})
	rsp = mustEncode(t, &SetupResponseTransfer{DLTunnel: GTPTunnel{Addr: netip.MustParseAddr("10.100.200.2"), TEID: 7}, QFIs: []uint8{1}})
	fail = mustEncode(t, &SetupUnsuccessfulTransfer{Cause: CauseUnknownPDUSessionID})
	relCmd = mustEncode(t, &ReleaseCommandTransfer{Cause: CauseNormalRelease})
	relRsp = mustEncode(t, &ReleaseResponseTransfer{})
	return
}

var (
	oldUPF = GTPTunnel{Addr: netip.MustParseAddr("10.100.200.1"), TEID: 0x11223344}
	newUPF = GTPTunnel{Addr: netip.MustParseAddr("10.100.200.9"), TEID: 0x55667788}
	gnbDL  = GTPTunnel{Addr: netip.MustParseAddr("10.100.200.2"), TEID: 7}
)

// sampleModifyTransfers are the transfers of an uplink move to newUPF.
func sampleModifyTransfers(t *testing.T) (req, rsp, fail []byte) {
	req = mustEncode(t, &ModifyRequestTransfer{ULTunnelModify: []ULTunnelModifyItem{{UL: newUPF, DL: gnbDL}}})
	rsp = mustEncode(t, &ModifyResponseTransfer{DLTunnel: &gnbDL, ULTunnel: &newUPF})
	fail = mustEncode(t, &ModifyUnsuccessfulTransfer{Cause: CauseUnknownPDUSessionID})
	return
}

func roundTripCases(t *testing.T) map[string]Message {
	req, rsp, fail, relCmd, relRsp := sampleTransfers(t)
	modReq, modRsp, modFail := sampleModifyTransfers(t)
	amfID, ranID := uint64(5), uint32(6)
	cause := CauseSemanticError
	key := [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
	return map[string]Message{
		"NG setup request": &NGSetupRequest{
			GlobalGNBID: GlobalGNBID{PLMN: plmn, ID: 0x3FFFFF, IDBits: 22}, RANNodeName: "corebox-gnb",
			SupportedTAs: []SupportedTA{
				{TAC: 1, PLMNs: []BroadcastPLMN{{PLMN: plmn, Slices: []SNSSAI{slice1, slice2}}}},
				{TAC: 0xFFFFFF, PLMNs: []BroadcastPLMN{{PLMN: plmn, Slices: []SNSSAI{slice1}}, {PLMN: plmn3, Slices: []SNSSAI{slice2}}}},
			},
			PagingDRX: PagingDRX128,
		},
		"NG setup request 32-bit ID": &NGSetupRequest{
			GlobalGNBID:  GlobalGNBID{PLMN: plmn3, ID: 0xFFFFFFFF, IDBits: 32},
			SupportedTAs: []SupportedTA{{TAC: 1, PLMNs: []BroadcastPLMN{{PLMN: plmn3, Slices: []SNSSAI{slice1}}}}},
		},
		"NG setup response": &NGSetupResponse{
			AMFName: "corebox-amf", ServedGUAMIs: []GUAMI{guami, {PLMN: plmn3, RegionID: 1, SetID: 0, Pointer: 0}},
			RelativeCapacity: 255, PLMNSupport: []PLMNSupport{{PLMN: plmn, Slices: []SNSSAI{slice1, slice2}}},
		},
		"NG setup failure":         &NGSetupFailure{Cause: CauseUnknownPLMN, TimeToWait: 5},
		"NG setup failure no wait": &NGSetupFailure{Cause: Cause{CauseRadioNetwork, 50}},
		"initial UE message": &InitialUEMessage{
			RANUENGAPID: 1, NASPDU: testNAS, Location: loc, RRCCause: RRCMOSignalling,
		},
		"initial UE message with S-TMSI": &InitialUEMessage{
			RANUENGAPID: 0, NASPDU: testNAS, Location: UserLocation{TAI: TAI{PLMN: plmn3, TAC: 0xABCDEF},
				NRCGI: NRCGI{PLMN: plmn3, CellID: 1<<36 - 1}}, RRCCause: RRCMOData, STMSI: &stmsi,
		},
		"downlink NAS transport": &DownlinkNASTransport{UEIDs: ids, NASPDU: testNAS},
		"uplink NAS transport":   &UplinkNASTransport{UEIDs: ids, NASPDU: testNAS, Location: loc},
		"initial context setup request": &InitialContextSetupRequest{
			UEIDs: ids, GUAMI: guami, AllowedNSSAI: []SNSSAI{slice1, slice2},
			SecurityCapabilities: UESecurityCapabilities{NREncryption: 0xE000, NRIntegrity: 0xE000, EUTRAEncryption: 0xC000},
			SecurityKey:          key, NASPDU: testNAS,
		},
		"initial context setup request with session": &InitialContextSetupRequest{
			UEIDs: UEIDs{AMFUENGAPID: 1, RANUENGAPID: 2}, GUAMI: guami, AllowedNSSAI: []SNSSAI{slice1},
			SecurityKey: key, UEAMBR: AMBR{Uplink: 1e9, Downlink: 2e9},
			Sessions: []SessionSetupItem{{PDUSessionID: 1, NASPDU: testNAS, SNSSAI: slice1, Transfer: req},
				{PDUSessionID: 2, SNSSAI: slice2, Transfer: req}},
		},
		"initial context setup response": &InitialContextSetupResponse{
			UEIDs: ids, Sessions: []SessionTransfer{{1, rsp}}, Failed: []SessionTransfer{{2, fail}},
		},
		"initial context setup response bare": &InitialContextSetupResponse{UEIDs: ids},
		"initial context setup failure": &InitialContextSetupFailure{
			UEIDs: ids, Cause: CauseTransportUnspecified, Failed: []SessionTransfer{{1, fail}},
		},
		"PDU session resource setup request": &PDUSessionResourceSetupRequest{
			UEIDs: ids, Sessions: []SessionSetupItem{{PDUSessionID: 1, NASPDU: testNAS, SNSSAI: slice2, Transfer: req}},
			UEAMBR: AMBR{Uplink: 1, Downlink: 4_000_000_000_000},
		},
		"PDU session resource setup response": &PDUSessionResourceSetupResponse{
			UEIDs: ids, Sessions: []SessionTransfer{{1, rsp}, {3, rsp}},
		},
		"PDU session resource setup response failed": &PDUSessionResourceSetupResponse{
			UEIDs: ids, Failed: []SessionTransfer{{1, fail}},
		},
		"PDU session resource release command": &PDUSessionResourceReleaseCommand{
			UEIDs: ids, NASPDU: testNAS, Sessions: []SessionTransfer{{1, relCmd}},
		},
		"PDU session resource release response": &PDUSessionResourceReleaseResponse{
			UEIDs: ids, Sessions: []SessionTransfer{{1, relRsp}},
		},
		"PDU session resource modify request": &PDUSessionResourceModifyRequest{
			UEIDs: ids, Sessions: []SessionModifyItem{{PDUSessionID: 1, NASPDU: testNAS, Transfer: modReq}, {PDUSessionID: 2, Transfer: modReq}},
		},
		"PDU session resource modify response": &PDUSessionResourceModifyResponse{
			UEIDs: ids, Sessions: []SessionTransfer{{1, modRsp}}, Failed: []SessionTransfer{{2, modFail}},
		},
		"PDU session resource modify response failed": &PDUSessionResourceModifyResponse{
			UEIDs: ids, Failed: []SessionTransfer{{9, modFail}},
		},
		"PDU session resource modify response bare": &PDUSessionResourceModifyResponse{UEIDs: ids},
		"UE context release request":                &UEContextReleaseRequest{UEIDs: ids, Sessions: []uint8{1, 2}, Cause: CauseUserInactivity},
		"UE context release request bare":           &UEContextReleaseRequest{UEIDs: ids, Cause: CauseUserInactivity},
		"UE context release command":                &UEContextReleaseCommand{UEIDs: ids, Cause: CauseDeregister},
		"UE context release command AMF only":       &UEContextReleaseCommand{UEIDs: UEIDs{AMFUENGAPID: 9}, AMFIDOnly: true, Cause: CauseNormalRelease},
		"UE context release complete":               &UEContextReleaseComplete{UEIDs: ids},
		"paging":                                    &Paging{STMSI: stmsi, TAIs: []TAI{tai1, {PLMN: plmn3, TAC: 2}}},
		"error indication":                          &ErrorIndication{AMFUENGAPID: &amfID, RANUENGAPID: &ranID, Cause: &cause},
		"error indication empty":                    &ErrorIndication{},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for name, msg := range roundTripCases(t) {
		t.Run(name, func(t *testing.T) {
			b := mustEncode(t, msg)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if !reflect.DeepEqual(got, msg) {
				t.Fatalf("round trip changed the message\n got  %+v\n want %+v", got, msg)
			}
			if again := mustEncode(t, got); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n %x\n %x", again, b)
			}
			raw, err := DecodeRaw(b)
			if err != nil || raw.ProcedureCode() != msg.ProcedureCode() || MessageType(raw.MessageType()) != msg.MessageType() {
				t.Fatalf("DecodeRaw: %v", err)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for name, msg := range roundTripCases(t) {
		h, err := Classify(mustEncode(t, msg))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if h.ProcedureCode != msg.ProcedureCode() || h.Type != msg.MessageType() {
			t.Errorf("%s: classified as %d/%v, want %d/%v", name, h.ProcedureCode, h.Type, msg.ProcedureCode(), msg.MessageType())
		}
		want := Header{ProcedureCode: h.ProcedureCode, Type: h.Type}
		switch m := msg.(type) {
		case *NGSetupRequest, *NGSetupResponse, *NGSetupFailure, *Paging:
		case *InitialUEMessage:
			want.RANUENGAPID, want.HasRANUENGAPID = m.RANUENGAPID, true
		case *UEContextReleaseCommand:
			want.AMFUENGAPID, want.HasAMFUENGAPID = m.AMFUENGAPID, true
			want.RANUENGAPID, want.HasRANUENGAPID = m.RANUENGAPID, !m.AMFIDOnly
		case *ErrorIndication:
			if m.AMFUENGAPID != nil {
				want.AMFUENGAPID, want.HasAMFUENGAPID = *m.AMFUENGAPID, true
				want.RANUENGAPID, want.HasRANUENGAPID = *m.RANUENGAPID, true
			}
		default:
			u := reflect.ValueOf(msg).Elem().FieldByName("UEIDs").Interface().(UEIDs)
			want.AMFUENGAPID, want.HasAMFUENGAPID = u.AMFUENGAPID, true
			want.RANUENGAPID, want.HasRANUENGAPID = u.RANUENGAPID, true
		}
		if h != want {
			t.Errorf("%s: header %+v, want %+v", name, h, want)
		}
	}
}

func TestClassifyKeepsHeaderOfBadBody(t *testing.T) {
	b := mustEncode(t, &DownlinkNASTransport{UEIDs: ids, NASPDU: testNAS})
	h, err := Classify(b[:8])
	if err == nil {
		t.Fatal("truncated PDU classified without error")
	}
	if h.ProcedureCode != ProcDownlinkNASTransport || h.Type != InitiatingMessage {
		t.Fatalf("header %+v lost", h)
	}
}

func TestPLMNLayout(t *testing.T) {
	for _, tc := range []struct {
		p    PLMN
		want string
	}{
		{PLMN{MCC: "001", MNC: "01"}, "00f110"},
		{PLMN{MCC: "310", MNC: "410"}, "134001"}, // NAS would be 130014
		{PLMN{MCC: "310", MNC: "310"}, "133001"},
	} {
		b, err := plmnBytes(tc.p)
		if err != nil || hex.EncodeToString(b) != tc.want {
			t.Errorf("%v: %x %v, want %s", tc.p, b, err, tc.want)
		}
		back, err := plmnFromIE(&ie.PLMNIdentity{Value: b})
		if err != nil || back != tc.p {
			t.Errorf("%s decodes to %v %v", tc.want, back, err)
		}
	}
}

// The NG Setup Request of free5gc/ngap v1.2.0's own test
// (message/ng_setup_request_test.go, "Case 1", a Spirent gNB emulator's
// "gnb.spirent.com" request). TestTsharkDecodes has Wireshark check it too.
func TestNGSetupRequestKnownBytes(t *testing.T) {
	want, _ := hex.DecodeString("00150043000004001b00090013300150000000000052401107" +
		"00676e622e73706972656e742e636f6d" + // "gnb.spirent.com"
		"0066001500000000010013300100011008010203100811223300154001" + "00")
	p := PLMN{MCC: "310", MNC: "310"} // 13 30 01; Wireshark reads it so too
	msg := &NGSetupRequest{
		GlobalGNBID: GlobalGNBID{PLMN: p, ID: 0, IDBits: 32},
		RANNodeName: "gnb.spirent.com",
		SupportedTAs: []SupportedTA{{TAC: 1, PLMNs: []BroadcastPLMN{{PLMN: p,
			Slices: []SNSSAI{{SST: 1, SD: 0x010203, HasSD: true}, {SST: 1, SD: 0x112233, HasSD: true}}}}}},
		PagingDRX: PagingDRX32,
	}
	if got := mustEncode(t, msg); !bytes.Equal(got, want) {
		t.Fatalf("NG Setup Request\n got  %x\n want %x", got, want)
	}
}

func TestTransferRoundTrip(t *testing.T) {
	req := &SetupRequestTransfer{
		SessionAMBR:    AMBR{Uplink: 1_000_000, Downlink: 1_000_000},
		ULTunnel:       GTPTunnel{Addr: netip.MustParseAddr("172.16.31.61"), TEID: 0x263f2591},
		PDUSessionType: SessionTypeIPv4,
		QoSFlows:       []QoSFlowRequest{{QFI: 1, FiveQI: 9, ARP: ARP{Level: 8, MayTriggerPreemption: true}}},
	}
	b := mustEncode(t, req)
	// free5gc/ngap v1.2.0 ie/pdu_session_resource_setup_request_transfer_test.go
	// "Case 1", recorded from a free5gc run; Wireshark checks it too.
	want := "0000040082000808" + "0f4240200f424000" + "8b000a01f0ac101f3d263f2591" + "0086000100" + "00880007000100000" + "91d00"
	if hex.EncodeToString(b) != want {
		t.Fatalf("setup request transfer\n got  %x\n want %s", b, want)
	}
	if got, err := DecodeSetupRequestTransfer(b); err != nil || !reflect.DeepEqual(got, req) {
		t.Fatalf("setup request transfer: %+v %v", got, err)
	}

	rsp := &SetupResponseTransfer{DLTunnel: GTPTunnel{Addr: netip.MustParseAddr("10.0.0.1"), TEID: 0xFFFFFFFF}, QFIs: []uint8{1, 2}}
	if got, err := DecodeSetupResponseTransfer(mustEncode(t, rsp)); err != nil || !reflect.DeepEqual(got, rsp) {
		t.Fatalf("setup response transfer: %+v %v", got, err)
	}
	un := &SetupUnsuccessfulTransfer{Cause: CauseMiscUnspecified}
	if got, err := DecodeSetupUnsuccessfulTransfer(mustEncode(t, un)); err != nil || *got != *un {
		t.Fatalf("setup unsuccessful transfer: %+v %v", got, err)
	}
	rc := &ReleaseCommandTransfer{Cause: CauseNormalRelease}
	if got, err := DecodeReleaseCommandTransfer(mustEncode(t, rc)); err != nil || *got != *rc {
		t.Fatalf("release command transfer: %+v %v", got, err)
	}
	if _, err := DecodeReleaseResponseTransfer(mustEncode(t, &ReleaseResponseTransfer{})); err != nil {
		t.Fatalf("release response transfer: %v", err)
	}
	if _, err := DecodeSetupRequestTransfer(mustEncode(t, rsp)); err == nil {
		t.Fatal("a response transfer decoded as a request transfer")
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	bad := map[string]interface{ Encode() ([]byte, error) }{
		"gNB ID too wide":         &NGSetupRequest{GlobalGNBID: GlobalGNBID{PLMN: plmn, ID: 1 << 22, IDBits: 22}, SupportedTAs: []SupportedTA{{TAC: 1, PLMNs: []BroadcastPLMN{{PLMN: plmn, Slices: []SNSSAI{slice1}}}}}},
		"gNB ID bits 21":          &NGSetupRequest{GlobalGNBID: GlobalGNBID{PLMN: plmn, IDBits: 21}},
		"no TAs":                  &NGSetupRequest{GlobalGNBID: GlobalGNBID{PLMN: plmn, IDBits: 22}},
		"TA without slices":       &NGSetupRequest{GlobalGNBID: GlobalGNBID{PLMN: plmn, IDBits: 22}, SupportedTAs: []SupportedTA{{TAC: 1, PLMNs: []BroadcastPLMN{{PLMN: plmn}}}}},
		"TAC over 24 bits":        &Paging{STMSI: stmsi, TAIs: []TAI{{PLMN: plmn, TAC: 1 << 24}}},
		"bad PLMN":                &Paging{STMSI: stmsi, TAIs: []TAI{{PLMN: PLMN{MCC: "1", MNC: "01"}}}},
		"no paging TAs":           &Paging{STMSI: stmsi},
		"set ID over 10 bits":     &Paging{STMSI: STMSI{AMFSetID: 1024}, TAIs: []TAI{tai1}},
		"AMF UE NGAP ID 41 bits":  &DownlinkNASTransport{UEIDs: UEIDs{AMFUENGAPID: 1 << 40}, NASPDU: testNAS},
		"no NAS PDU":              &DownlinkNASTransport{UEIDs: ids},
		"cell ID 37 bits":         &InitialUEMessage{NASPDU: testNAS, Location: UserLocation{TAI: tai1, NRCGI: NRCGI{PLMN: plmn, CellID: 1 << 36}}},
		"no allowed NSSAI":        &InitialContextSetupRequest{UEIDs: ids, GUAMI: guami},
		"sessions w/o UE AMBR":    &InitialContextSetupRequest{UEIDs: ids, GUAMI: guami, AllowedNSSAI: []SNSSAI{slice1}, Sessions: []SessionSetupItem{{PDUSessionID: 1, SNSSAI: slice1, Transfer: []byte{0}}}},
		"session w/o transfer":    &PDUSessionResourceSetupRequest{UEIDs: ids, Sessions: []SessionSetupItem{{PDUSessionID: 1, SNSSAI: slice1}}},
		"no sessions":             &PDUSessionResourceSetupRequest{UEIDs: ids},
		"bad time to wait":        &NGSetupFailure{Cause: CauseUnknownPLMN, TimeToWait: 3},
		"bad cause group":         &NGSetupFailure{Cause: Cause{Group: 9}},
		"NG setup response bare":  &NGSetupResponse{},
		"IPv6 tunnel":             &SetupResponseTransfer{DLTunnel: GTPTunnel{Addr: netip.MustParseAddr("::1")}, QFIs: []uint8{1}},
		"no QoS flows":            &SetupRequestTransfer{ULTunnel: GTPTunnel{Addr: netip.MustParseAddr("10.0.0.1")}},
		"ARP level 0":             &SetupRequestTransfer{ULTunnel: GTPTunnel{Addr: netip.MustParseAddr("10.0.0.1")}, QoSFlows: []QoSFlowRequest{{QFI: 1}}},
		"AMBR too high":           &SetupRequestTransfer{ULTunnel: GTPTunnel{Addr: netip.MustParseAddr("10.0.0.1")}, SessionAMBR: AMBR{Uplink: maxBitRate + 1}, QoSFlows: []QoSFlowRequest{{QFI: 1, ARP: ARP{Level: 1}}}},
		"AMF-only with RAN ID":    &UEContextReleaseCommand{UEIDs: ids, AMFIDOnly: true},
		"no modify items":         &ModifyRequestTransfer{},
		"five modify items":       &ModifyRequestTransfer{ULTunnelModify: make([]ULTunnelModifyItem, 5)},
		"modify UL not IPv4":      &ModifyRequestTransfer{ULTunnelModify: []ULTunnelModifyItem{{UL: GTPTunnel{Addr: netip.MustParseAddr("::1")}, DL: gnbDL}}},
		"modify DL missing":       &ModifyRequestTransfer{ULTunnelModify: []ULTunnelModifyItem{{UL: newUPF}}},
		"modify response IPv6":    &ModifyResponseTransfer{ULTunnel: &GTPTunnel{Addr: netip.MustParseAddr("::1")}},
		"modify cause group":      &ModifyUnsuccessfulTransfer{Cause: Cause{Group: 7}},
		"modify w/o sessions":     &PDUSessionResourceModifyRequest{UEIDs: ids},
		"modify w/o transfer":     &PDUSessionResourceModifyRequest{UEIDs: ids, Sessions: []SessionModifyItem{{PDUSessionID: 1}}},
		"modify rsp w/o transfer": &PDUSessionResourceModifyResponse{UEIDs: ids, Failed: []SessionTransfer{{PDUSessionID: 1}}},
	}
	for name, m := range bad {
		if b, err := m.Encode(); err == nil {
			t.Errorf("%s: encoded to %x, want an error", name, b)
		}
	}
}

func TestDecodeRejectsTruncated(t *testing.T) {
	for name, msg := range roundTripCases(t) {
		b := mustEncode(t, msg)
		for n := 0; n < len(b); n++ {
			if _, err := Decode(b[:n]); err == nil {
				t.Errorf("%s: %d of %d octets decoded", name, n, len(b))
				break
			}
		}
	}
	if _, err := Decode([]byte{0x00, 0xff, 0x00, 0x00}); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecoderPanic) {
		t.Errorf("unknown procedure: %v", err)
	}
}

func TestParseChecksType(t *testing.T) {
	b := mustEncode(t, &UEContextReleaseComplete{UEIDs: ids})
	if _, err := ParseUEContextReleaseCommand(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Release Complete parsed as Command: %v", err)
	}
	if m, err := ParseUEContextReleaseComplete(b); err != nil || m.UEIDs != ids {
		t.Fatalf("Release Complete: %+v %v", m, err)
	}
}
