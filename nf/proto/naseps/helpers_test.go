package naseps

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustMarshal(t testing.TB, m Message) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatalf("marshal %v: %v", m.MessageType(), err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

var (
	testPLMN  = PLMN{MCC: "001", MNC: "01"}
	testPLMN3 = PLMN{MCC: "310", MNC: "410"}
	testGUTI  = GUTI{PLMN: testPLMN, MMEGroupID: 0x8001, MMECode: 0x01, MTMSI: 0xC0DE0001}
	testUECap = UENetworkCapability{EEA: CapEEA0 | CapEEA1 | CapEEA2, EIA: CapEIA1 | CapEIA2, Extra: []byte{0xE0, 0xE0}}
)

func testPCORequest() *PCO {
	p := &PCO{}
	p.Add(PCOIPCP, mustHex("01000010810600000000830600000000")) // IPCP Configure-Request, DNS 0.0.0.0 x2
	p.Add(PCODNSServerIPv4, nil)
	p.Add(PCOPCSCFIPv4, nil)
	p.Add(PCOIPAddressViaNAS, nil)
	return p
}

func testPCOResponse() *PCO {
	p := &PCO{}
	_ = p.AddIPv4(PCODNSServerIPv4, netip.MustParseAddr("8.8.8.8"))
	_ = p.AddIPv4(PCODNSServerIPv4, netip.MustParseAddr("8.8.4.4"))
	_ = p.AddIPv4(PCOPCSCFIPv4, netip.MustParseAddr("10.45.0.1"))
	return p
}

// mustHex is for fixed test data; only a typo here makes it panic.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func testPDNRequest() *PDNConnectivityRequest {
	return &PDNConnectivityRequest{ESMHeader: ESMHeader{PTI: 1}, RequestType: RequestInitial, PDNType: PDNTypeIPv4v6,
		ESMInfoTransfer: true, APN: "internet", PCO: testPCORequest()}
}

func testDefaultBearer() *ActivateDefaultBearerRequest {
	return &ActivateDefaultBearerRequest{ESMHeader: ESMHeader{EBI: 5, PTI: 1}, QoS: EPSQoS{QCI: 9}, APN: "internet",
		PDNAddress: PDNAddress{Type: PDNTypeIPv4, IPv4: netip.MustParseAddr("10.45.0.2")},
		APNAMBR:    &AMBR{Downlink: 1000000, Uplink: 500000}, PCO: testPCOResponse()}
}

func testTFT() TFT {
	return TFT{Op: TFTCreate, Filters: []PacketFilter{
		{ID: 1, Direction: FilterBidirectional, Precedence: 10, RemoteAddress: netip.MustParsePrefix("10.45.0.1/32"),
			Protocol: ptr[uint8](17), LocalPorts: &PortRange{Low: 5060, High: 5060}, RemotePorts: &PortRange{Low: 5060, High: 5070}},
		{ID: 2, Direction: FilterDownlink, Precedence: 11, RemoteAddress: netip.MustParsePrefix("192.0.2.0/24"),
			Protocol: ptr[uint8](17), RemotePorts: &PortRange{Low: 40000, High: 40100}, TrafficClass: &TrafficClass{Value: 0xB8, Mask: 0xFC}},
		{ID: 3, Direction: FilterUplink, Precedence: 12, RemoteAddress: netip.MustParsePrefix("2001:db8::/32"),
			LocalAddress: netip.MustParsePrefix("2001:db8:1::/48"), SPI: ptr[uint32](0x1234), FlowLabel: ptr[uint32](0xABCDE)},
		{ID: 4, Direction: FilterUplink, Precedence: 13, LocalAddress: netip.MustParsePrefix("10.45.0.2/32"), Protocol: ptr[uint8](6)},
	}}
}

type namedMessage struct {
	name string
	msg  Message
}

// roundTripCases has at least one case for every message type.
func roundTripCases(t testing.TB) []namedMessage {
	pdn := mustMarshal(t, testPDNRequest())
	dflt := mustMarshal(t, testDefaultBearer())
	dfltAccept := mustMarshal(t, &ActivateDefaultBearerAccept{ESMHeader: ESMHeader{EBI: 5}})
	pdnReject := mustMarshal(t, &PDNConnectivityReject{ESMHeader: ESMHeader{PTI: 1}, Cause: ESMCauseUnknownAPN})
	emmInfoTime := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	return []namedMessage{
		{"attach request IMSI", &AttachRequest{AttachType: AttachEPS, KSI: NoKey, Identity: IMSIIdentity("001010000000001"),
			UENetworkCapability: testUECap, ESMContainer: pdn, DRX: &DRXParameter{CycleLengthCoeff: 0, NonDRXTimer: 0},
			MSNetworkCapability: []byte{0xE5, 0xE0, 0x34}}},
		{"attach request GUTI", &AttachRequest{AttachType: AttachCombined, KSI: KSI{Value: 2}, Identity: GUTIIdentity(testGUTI),
			UENetworkCapability: UENetworkCapability{EEA: 0xF0, EIA: 0x70}, ESMContainer: pdn,
			LastVisitedTAI: &TAI{PLMN: testPLMN3, TAC: 0x3039}, DRX: &DRXParameter{SplitPGCycleCode: 10, SplitOnCCCH: true, NonDRXTimer: 1}}},
		{"attach accept", &AttachAccept{Result: AttachResultEPSOnly, T3412: GPRSTimer{Unit: TimerUnitDecihour, Value: 9},
			TAIList: TAIList{{testPLMN, 1}, {testPLMN, 7}, {testPLMN3, 2}}, ESMContainer: dflt, GUTI: &testGUTI,
			T3402: &GPRSTimer{Unit: TimerUnitMinute, Value: 12}, EPSNetworkFeatureSupport: &EPSNetworkFeatureSupport{IMSVoPS: true, EMCBS: true}}},
		{"attach accept minimal", &AttachAccept{Result: AttachResultCombined, T3412: TimerDeactivated,
			TAIList: TAIList{{testPLMN, 0xFFFE}}, ESMContainer: dflt, EMMCause: ptr(EMMCauseCongestion),
			EPSNetworkFeatureSupport: &EPSNetworkFeatureSupport{CSLCS: 2, ESRPS: true, HasOctet4: true, Octet4: 0x01}}},
		{"attach complete", &AttachComplete{ESMContainer: dfltAccept}},
		{"attach reject", &AttachReject{Cause: EMMCauseESMFailure, ESMContainer: pdnReject}},
		{"attach reject bare", &AttachReject{Cause: EMMCauseNetworkFailure}},
		{"authentication request", &AuthenticationRequest{KSI: KSI{Value: 1},
			RAND: [16]byte(unhex(t, "23553cbe9637a89d218ae64dae47bf35")), AUTN: [16]byte(unhex(t, "55f328b43577b9b94a9ffac354dfafb3"))}},
		{"authentication response", &AuthenticationResponse{RES: unhex(t, "a54211d5e3ba50bf")}},
		{"authentication failure MAC", &AuthenticationFailure{Cause: EMMCauseMACFailure}},
		{"authentication failure synch", &AuthenticationFailure{Cause: EMMCauseSynchFailure,
			AUTS: ptr([AUTSLen]byte(unhex(t, "b9ac50c48a82cdf74673bc86e7ab")))}},
		{"authentication reject", &AuthenticationReject{}},
		{"security mode command", &SecurityModeCommand{EncAlg: EEA2, IntAlg: EIA2, KSI: KSI{Value: 1},
			ReplayedCapability: testUECap.SecurityCapability(), IMEISVRequest: true}},
		{"security mode command plain caps", &SecurityModeCommand{EncAlg: EEA0, IntAlg: EIA1,
			ReplayedCapability: UESecurityCapability{EEA: 0xF0, EIA: 0x70}}},
		{"security mode complete", &SecurityModeComplete{IMEISV: "3534900698733101"}},
		{"security mode complete bare", &SecurityModeComplete{}},
		{"security mode reject", &SecurityModeReject{Cause: EMMCauseUESecurityCapMismatch}},
		{"identity request", &IdentityRequest{Type: IdentityIMSI}},
		{"identity response IMSI", &IdentityResponse{Identity: MobileIdentity{Type: IdentityIMSI, Digits: "001010123456815"}}},
		{"identity response IMEI", &IdentityResponse{Identity: MobileIdentity{Type: IdentityIMEI, Digits: "353490069873319"}}},
		{"identity response TMSI", &IdentityResponse{Identity: MobileIdentity{Type: IdentityTMSI, TMSI: 0xC0DE0001}}},
		{"detach request UE", &DetachRequest{SwitchOff: true, Type: DetachEPS, KSI: KSI{Value: 1}, Identity: GUTIIdentity(testGUTI)}},
		{"detach request UE IMSI", &DetachRequest{Type: DetachCombined, KSI: NoKey, Identity: IMSIIdentity("31041012345678")}},
		{"detach request network", &NetworkDetachRequest{Type: DetachReattachRequired, Cause: ptr(EMMCauseImplicitlyDetached)}},
		{"detach request network bare", &NetworkDetachRequest{Type: DetachReattachNotRequired}},
		{"detach accept", &DetachAccept{}},
		{"TAU request", &TAURequest{UpdateType: UpdatePeriodic, Active: true, KSI: KSI{Value: 3}, OldGUTI: GUTIIdentity(testGUTI),
			UENetworkCapability: &testUECap, LastVisitedTAI: &TAI{PLMN: testPLMN, TAC: 1},
			DRX: &DRXParameter{CycleLengthCoeff: 6}, EPSBearerContextStatus: ptr(EPSBearerContextStatus(1<<5 | 1<<6))}},
		{"TAU accept", &TAUAccept{Result: UpdateResultTA, T3412: &GPRSTimer{Unit: TimerUnitDecihour, Value: 9}, GUTI: &testGUTI,
			TAIList: TAIList{{testPLMN, 1}}, EPSBearerContextStatus: ptr(EPSBearerContextStatus(1 << 5)),
			T3402: &GPRSTimer{Unit: TimerUnit2s, Value: 30}, EPSNetworkFeatureSupport: &EPSNetworkFeatureSupport{IMSVoPS: true}}},
		{"TAU accept bare", &TAUAccept{Result: UpdateResultCombinedTALAISR, EMMCause: ptr(EMMCauseCongestion)}},
		{"TAU complete", &TAUComplete{}},
		{"TAU reject", &TAUReject{Cause: EMMCauseImplicitlyDetached}},
		{"service request", &ServiceRequest{KSI: 5, SeqNum: 8, ShortMAC: [2]byte{0x64, 0x0C}}},
		{"service reject", &ServiceReject{Cause: EMMCauseCongestion, T3442: &GPRSTimer{Unit: TimerUnitMinute, Value: 2}}},
		{"EMM information", &EMMInformation{FullName: &NetworkName{Text: "corebox lab"}, ShortName: &NetworkName{Text: "cbx", AddCI: true},
			LocalTimeZone: ptr(TimeZone(-20)), UniversalTime: &TimeAndZone{Time: emmInfoTime, Zone: 8}, DaylightSaving: ptr[uint8](1)}},
		{"EMM information UCS2", &EMMInformation{FullName: &NetworkName{Text: "Ōsaka 5G ~ lab"}}},
		{"EMM status", &EMMStatus{Cause: EMMCauseMessageTypeNonExistent}},

		{"PDN connectivity request", testPDNRequest()},
		{"PDN connectivity request bare", &PDNConnectivityRequest{ESMHeader: ESMHeader{PTI: 2}, RequestType: RequestEmergency, PDNType: PDNTypeIPv4}},
		{"PDN connectivity reject", &PDNConnectivityReject{ESMHeader: ESMHeader{PTI: 1}, Cause: ESMCauseUnknownAPN, PCO: testPCOResponse()}},
		{"PDN disconnect request", &PDNDisconnectRequest{ESMHeader: ESMHeader{PTI: 3}, LinkedEBI: 5}},
		{"default bearer request", testDefaultBearer()},
		{"default bearer request v4v6", &ActivateDefaultBearerRequest{ESMHeader: ESMHeader{EBI: 6, PTI: 2}, QoS: EPSQoS{QCI: 5},
			APN: "ims.mnc001.mcc001.gprs", ESMCause: ptr(ESMCausePDNTypeIPv4OnlyAllowed),
			PDNAddress: PDNAddress{Type: PDNTypeIPv4v6, IPv4: netip.MustParseAddr("10.46.0.7"), IPv6IID: [8]byte{0, 0, 0, 0, 0, 0, 0, 1}},
			APNAMBR:    &AMBR{Downlink: 8640, Uplink: 63}}},
		{"default bearer request v6", &ActivateDefaultBearerRequest{ESMHeader: ESMHeader{EBI: 7, PTI: 4}, QoS: EPSQoS{QCI: 8},
			APN: "v6", PDNAddress: PDNAddress{Type: PDNTypeIPv6, IPv6IID: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
			APNAMBR: &AMBR{Downlink: 3 * 256000, Uplink: 300000}}},
		{"default bearer accept", &ActivateDefaultBearerAccept{ESMHeader: ESMHeader{EBI: 5}, PCO: testPCORequest()}},
		{"default bearer reject", &ActivateDefaultBearerReject{ESMHeader: ESMHeader{EBI: 5}, Cause: ESMCauseInsufficientResources}},
		{"dedicated bearer request", &ActivateDedicatedBearerRequest{ESMHeader: ESMHeader{EBI: 6}, LinkedEBI: 5,
			QoS: EPSQoS{QCI: 1, Bitrates: &BearerBitrates{MBRUplink: 128, MBRDownlink: 128, GBRUplink: 64, GBRDownlink: 64}},
			TFT: testTFT(), PCO: testPCOResponse()}},
		{"dedicated bearer request fast", &ActivateDedicatedBearerRequest{ESMHeader: ESMHeader{EBI: 7}, LinkedEBI: 5,
			QoS: EPSQoS{QCI: 2, Bitrates: &BearerBitrates{MBRUplink: 50000, MBRDownlink: 1500000, GBRUplink: 10000, GBRDownlink: 9000}},
			TFT: TFT{Op: TFTAddFilters, Filters: testTFT().Filters[:1], Parameters: []TFTParameter{{ID: 2, Contents: []byte{0, 1, 0, 1}}}}}},
		{"dedicated bearer accept", &ActivateDedicatedBearerAccept{ESMHeader: ESMHeader{EBI: 6}}},
		{"dedicated bearer reject", &ActivateDedicatedBearerReject{ESMHeader: ESMHeader{EBI: 6}, Cause: ESMCauseSemanticErrorInTFT}},
		{"deactivate bearer request", &DeactivateBearerRequest{ESMHeader: ESMHeader{EBI: 6}, Cause: ESMCauseRegularDeactivation}},
		{"deactivate bearer accept", &DeactivateBearerAccept{ESMHeader: ESMHeader{EBI: 6}}},
		{"ESM information request", &ESMInformationRequest{ESMHeader: ESMHeader{PTI: 1}}},
		{"ESM information response", &ESMInformationResponse{ESMHeader: ESMHeader{PTI: 1}, APN: "internet", PCO: testPCORequest()}},
		{"ESM status", &ESMStatus{ESMHeader: ESMHeader{EBI: 5, PTI: 0}, Cause: ESMCauseInvalidEBI}},
	}
}
