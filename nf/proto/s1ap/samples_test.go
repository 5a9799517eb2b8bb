package s1ap

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

// Plain NAS-EPS messages (TS 24.301) built by hand, so Wireshark's
// nas-eps dissector has real messages to read inside the S1AP ones.
var (
	// Attach Request: EPS attach, no key, IMSI 001010000000001, UE network
	// capability EEA0-2/EIA0-2, and a PDN Connectivity Request for IPv4.
	nasAttachRequest = mustHex("074171" + "080910100000000010" + "02e0e0" + "0004" + "0201d011")
	// Attach Accept: EPS only, T3412 1 min, TAI list {001-01, TAC 1}, and an
	// Activate Default EPS Bearer Context Request (EBI 5, QCI 9, APN
	// "internet", IPv4 10.45.0.2).
	nasAttachAccept = mustHex("07420121" + "060000f1100001" + "0015" +
		"5201c1" + "0109" + "0908696e7465726e6574" + "05010a2d0002")
	// Attach Complete with its Activate Default EPS Bearer Context Accept.
	nasAttachComplete = mustHex("0743" + "0003" + "5201c2")
	// Authentication Request: KSI 0, RAND, AUTN.
	nasAuthRequest = mustHex("075200" + strings.Repeat("11", 16) + "10" + strings.Repeat("22", 16))
	// Authentication Response: an 8-octet RES.
	nasAuthResponse = mustHex("075308" + strings.Repeat("33", 8))
	// Activate Dedicated EPS Bearer Context Request: EBI 6 linked to 5,
	// QCI 1, a TFT with one bidirectional filter on remote port 5060; in an
	// integrity-protected (not ciphered) NAS message, as Wireshark reads a
	// bare ESM message in E-RAB Setup as a broken security header.
	nasActivateDedicated = mustHex("17a1b2c3d405" + "6200c505" + "0101" + "07213100035013c4")
	// Deactivate EPS Bearer Context Request, cause 36 (regular deactivation).
	nasDeactivateBearer = mustHex("6200cd24")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	plmn  = PLMN{MCC: "001", MNC: "01"}
	plmn3 = PLMN{MCC: "310", MNC: "410"}
	tai1  = TAI{PLMN: plmn, TAC: 1}
	ecgi1 = ECGI{PLMN: plmn, CellID: 0x0001A01}
	ids   = UEIDs{MMEUES1APID: 0xFFFFFFFF, ENBUES1APID: maxENBUES1APID}
	ids1  = UEIDs{MMEUES1APID: 1, ENBUES1APID: 0}
	sgw   = GTPTunnel{Addr: netip.MustParseAddr("10.0.2.1"), TEID: 0x01020304}
	sgw6  = GTPTunnel{Addr: netip.MustParseAddr("2001:db8::1"), TEID: 7}
	sgwDS = GTPTunnel{Addr: netip.MustParseAddr("10.0.2.1"), IPv6: netip.MustParseAddr("2001:db8::1"), TEID: 8}
	enbDL = GTPTunnel{Addr: netip.MustParseAddr("10.0.3.1"), TEID: 0xCAFE0001}
	key   = [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
	qos9  = QoS{QCI: 9, ARP: ARP{PriorityLevel: 8, MayTriggerPreemption: false, Preemptable: true}}
	qos1  = QoS{QCI: 1, ARP: ARP{PriorityLevel: 2, MayTriggerPreemption: true}, GBR: &GBR{
		MaxDL: 128_000, MaxUL: 128_000, GuaranteedDL: 64_000, GuaranteedUL: MaxBitRate}}
	stmsi  = STMSI{MMEC: 0x02, MTMSI: 0xDEADBEEF}
	gummei = GUMMEI{PLMN: plmn3, GroupID: 0x8001, Code: 0x1A}
)

func u32(v uint32) *uint32 { return &v }

func drx(d PagingDRX) *PagingDRX { return &d }

func causePtr(c Cause) *Cause { return &c }

func mustEncode(t testing.TB, m interface{ Encode() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	return b
}

// roundTripCases has every message type, the optional IEs both present
// and absent, and the edges of each value range.
func roundTripCases() map[string]Message {
	return map[string]Message{
		"S1 setup request macro": &S1SetupRequest{
			GlobalENBID: GlobalENBID{PLMN: plmn, Kind: MacroENB, ID: 0xFFFFF}, ENBName: "corebox-enb",
			SupportedTAs: []SupportedTA{
				{TAC: 1, PLMNs: []PLMN{plmn}},
				{TAC: 0xFFFF, PLMNs: []PLMN{plmn, plmn3, {MCC: "999", MNC: "99"}, {MCC: "208", MNC: "93"}, {MCC: "001", MNC: "001"}, {MCC: "262", MNC: "01"}}},
			},
			DefaultPagingDRX: PagingDRX128,
		},
		"S1 setup request home": &S1SetupRequest{
			GlobalENBID:  GlobalENBID{PLMN: plmn3, Kind: HomeENB, ID: 1<<28 - 1},
			SupportedTAs: []SupportedTA{{TAC: 7, PLMNs: []PLMN{plmn3}}}, DefaultPagingDRX: PagingDRX256,
		},
		"S1 setup request short macro": &S1SetupRequest{
			GlobalENBID:  GlobalENBID{PLMN: plmn, Kind: ShortMacroENB, ID: 1<<18 - 1},
			SupportedTAs: []SupportedTA{{TAC: 1, PLMNs: []PLMN{plmn}}},
		},
		"S1 setup request long macro": &S1SetupRequest{
			GlobalENBID: GlobalENBID{PLMN: plmn, Kind: LongMacroENB, ID: 1<<21 - 1}, ENBName: "Long (macro) eNB: 1/2?",
			SupportedTAs: []SupportedTA{{TAC: 1, PLMNs: []PLMN{plmn}}}, DefaultPagingDRX: PagingDRX64,
		},
		"S1 setup response": &S1SetupResponse{
			MMEName: "corebox-mme", RelativeCapacity: 255,
			ServedGUMMEIs: []ServedGUMMEI{
				{PLMNs: []PLMN{plmn}, GroupIDs: []uint16{0x8001}, Codes: []uint8{0x1A}},
				{PLMNs: []PLMN{plmn, plmn3}, GroupIDs: []uint16{1, 0xFFFF}, Codes: []uint8{0, 1, 255}},
			},
		},
		"S1 setup response no name": &S1SetupResponse{ServedGUMMEIs: []ServedGUMMEI{{PLMNs: []PLMN{plmn}, GroupIDs: []uint16{2}, Codes: []uint8{3}}}},
		"S1 setup failure":          &S1SetupFailure{Cause: CauseUnknownPLMN, TimeToWait: 60},
		"S1 setup failure no wait":  &S1SetupFailure{Cause: CauseNotSupportedQCI},
		"initial UE message": &InitialUEMessage{
			ENBUES1APID: 1, NASPDU: nasAttachRequest, TAI: tai1, ECGI: ecgi1, RRCCause: RRCMOSignalling,
		},
		"initial UE message S-TMSI GUMMEI": &InitialUEMessage{
			ENBUES1APID: maxENBUES1APID, NASPDU: nasAttachRequest, TAI: TAI{PLMN: plmn3, TAC: 0xFFFF},
			ECGI: ECGI{PLMN: plmn3, CellID: 1<<28 - 1}, RRCCause: RRCMOExceptionData, STMSI: &stmsi, GUMMEI: &gummei,
		},
		"downlink NAS transport": &DownlinkNASTransport{UEIDs: ids, NASPDU: nasAuthRequest},
		"uplink NAS transport":   &UplinkNASTransport{UEIDs: ids1, NASPDU: nasAuthResponse, ECGI: ecgi1, TAI: tai1},
		"initial context setup request": &InitialContextSetupRequest{
			UEIDs: ids, UEAMBR: AMBR{DL: MaxBitRate, UL: 0},
			ERABs:                []ERABToSetup{{ID: 5, QoS: qos9, Tunnel: sgw, NASPDU: nasAttachAccept}},
			SecurityCapabilities: UESecurityCapabilities{Encryption: 0xE000, Integrity: Alg128Bit(1) | Alg128Bit(2)},
			SecurityKey:          key,
		},
		"initial context setup request bearers": &InitialContextSetupRequest{
			UEIDs: ids1, UEAMBR: AMBR{DL: 1_000_000_000, UL: 500_000_000},
			ERABs: []ERABToSetup{{ID: 0, QoS: qos9, Tunnel: sgw6}, {ID: 15, QoS: qos1, Tunnel: sgwDS}},
		},
		"initial context setup response": &InitialContextSetupResponse{
			UEIDs: ids, ERABs: []ERABSetupItem{{ID: 5, Tunnel: enbDL}},
		},
		"initial context setup response failed": &InitialContextSetupResponse{
			UEIDs: ids1, ERABs: []ERABSetupItem{{ID: 5, Tunnel: enbDL}, {ID: 6, Tunnel: sgwDS}},
			Failed: []ERABItem{{ID: 7, Cause: CauseRadioResourcesNotAvailable}, {ID: 8, Cause: CauseNotSupportedQCI}},
		},
		"initial context setup failure": &InitialContextSetupFailure{UEIDs: ids, Cause: CauseTransportResourceUnavailable},
		"E-RAB setup request": &ERABSetupRequest{
			UEIDs: ids, ERABs: []ERABToSetup{{ID: 6, QoS: qos1, Tunnel: sgw, NASPDU: nasActivateDedicated}},
		},
		"E-RAB setup request AMBR": &ERABSetupRequest{
			UEIDs: ids1, UEAMBR: &AMBR{DL: 2_000_000, UL: 1_000_000},
			ERABs: []ERABToSetup{{ID: 6, QoS: qos1, Tunnel: sgw, NASPDU: nasActivateDedicated}, {ID: 7, QoS: qos9, Tunnel: sgw6, NASPDU: nasActivateDedicated}},
		},
		"E-RAB setup response":         &ERABSetupResponse{UEIDs: ids, ERABs: []ERABSetupItem{{ID: 6, Tunnel: enbDL}}},
		"E-RAB setup response failed":  &ERABSetupResponse{UEIDs: ids, Failed: []ERABItem{{ID: 6, Cause: CauseRadioResourcesNotAvailable}}},
		"E-RAB setup response nothing": &ERABSetupResponse{UEIDs: ids1},
		"E-RAB release command": &ERABReleaseCommand{
			UEIDs: ids, ERABs: []ERABItem{{ID: 6, Cause: CauseNormalRelease}}, NASPDU: nasDeactivateBearer,
		},
		"E-RAB release command AMBR": &ERABReleaseCommand{
			UEIDs: ids1, UEAMBR: &AMBR{DL: 1, UL: 2}, ERABs: []ERABItem{{ID: 6, Cause: CauseNormalRelease}, {ID: 7, Cause: CauseUnspecified}},
		},
		"E-RAB release response":        &ERABReleaseResponse{UEIDs: ids, Released: []uint8{6, 7}},
		"E-RAB release response failed": &ERABReleaseResponse{UEIDs: ids, Released: []uint8{6}, Failed: []ERABItem{{ID: 9, Cause: CauseUnknownERABID}}},
		"UE context release request":    &UEContextReleaseRequest{UEIDs: ids, Cause: CauseUserInactivity},
		"UE context release command":    &UEContextReleaseCommand{UEIDs: ids, Cause: CauseNormalRelease},
		"UE context release command MME only": &UEContextReleaseCommand{
			UEIDs: UEIDs{MMEUES1APID: 77}, MMEIDOnly: true, Cause: CauseDetach,
		},
		"UE context release complete": &UEContextReleaseComplete{UEIDs: ids},
		"error indication":            &ErrorIndication{Cause: causePtr(CauseTransferSyntaxError)},
		"error indication IDs": &ErrorIndication{MMEUES1APID: u32(5), ENBUES1APID: u32(6),
			Cause: causePtr(CauseUnknownPairUES1APID), STMSI: &stmsi},
		"error indication empty": &ErrorIndication{},
		"paging S-TMSI": &Paging{
			UEIdentityIndex: 1023, STMSI: &stmsi, CNDomain: CNDomainPS, TAIs: []TAI{tai1, {PLMN: plmn3, TAC: 2}},
		},
		"paging IMSI": &Paging{
			UEIdentityIndex: 1, IMSI: "001010000000001", PagingDRX: drx(PagingDRX32), CNDomain: CNDomainCS, TAIs: []TAI{tai1},
		},
		"paging IMSI even": &Paging{UEIdentityIndex: 0, IMSI: "31041012345678", CNDomain: CNDomainPS, TAIs: []TAI{tai1}},
	}
}
