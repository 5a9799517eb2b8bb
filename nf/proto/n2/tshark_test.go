package n2

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/nas5g"
)

// TestTsharkDecodes has Wireshark's NGAP dissector (and, through the NAS
// PDUs, its NAS-5GS dissector) decode every message we build, and fails on
// any malformed packet or error-level expert info. It skips when tshark is
// not installed.
func TestTsharkDecodes(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	var frames [][]byte
	var names []string
	add := func(name string, b []byte) { frames, names = append(frames, b), append(names, name) }
	for name, msg := range roundTripCases(t) {
		add(name, mustEncode(t, msg))
	}
	for name, nas := range nasSamples(t) {
		add("NAS "+name, mustEncode(t, &DownlinkNASTransport{UEIDs: ids, NASPDU: nas}))
	}
	ngSetup, err := hex.DecodeString("00150043000004001b000900133001500000000000524011070067" +
		"6e622e73706972656e742e636f6d0066001500000000010013300100011008010203100811223300154001" + "00")
	if err != nil {
		t.Fatal(err)
	}
	add("free5gc NG setup request", ngSetup)

	for i, frame := range tsharkFrames(t, tshark, frames) {
		if i >= len(names) {
			break
		}
		if bad := regexp.MustCompile(`Malformed|Expert Info \(Error|Dissector bug|Unknown message type`).FindString(frame); bad != "" {
			t.Errorf("frame %d (%s): %s\n%s", i+1, names[i], bad, frame)
		}
		if !strings.Contains(frame, "NG Application Protocol") {
			t.Errorf("frame %d (%s) not dissected as NGAP", i+1, names[i])
		}
		// Every 3-digit MNC we use is 410 (plmn3), in NGAP and in NAS.
		for _, mnc := range regexp.MustCompile(`Mobile Network Code \(MNC\): [^\n]*\((\d+)\)`).FindAllStringSubmatch(frame, -1) {
			if len(mnc[1]) == 3 && mnc[1] != "410" && mnc[1] != "310" {
				t.Errorf("frame %d (%s): Wireshark reads MNC %s", i+1, names[i], mnc[1])
			}
		}
	}
}

// tsharkFrames has tshark dissect frames as NGAP and returns its verbose
// output, one string per frame.
func tsharkFrames(t *testing.T, tshark string, frames [][]byte) []string {
	t.Helper()
	pcap := filepath.Join(t.TempDir(), "ngap.pcap")
	if err := os.WriteFile(pcap, pcapUser0(frames), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tshark, "-n", "-r", pcap,
		"-o", `uat:user_dlts:"User 0 (DLT=147)","ngap","0","","0",""`, "-V").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	return splitFrames(string(out))
}

// nasSamples are plain NAS messages to carry inside NGAP for Wireshark.
func nasSamples(t *testing.T) map[string][]byte {
	suciOut, _ := nas5g.NullSchemeOutput("0000000001")
	slice := nas5g.SNSSAI{SST: 1, SD: 0x010203, HasSD: true}
	estReq := mustEncode(t, &nas5g.PDUSessionEstablishmentRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: 1, PTI: 1},
		MaxIntegrityRateUL: nas5g.FullDataRate, MaxIntegrityRateDL: nas5g.FullDataRate, PDUSessionType: nas5g.SessionIPv4, SSCMode: 1})
	estAcc := mustEncode(t, &nas5g.PDUSessionEstablishmentAccept{SessionHeader: nas5g.SessionHeader{PDUSessionID: 1, PTI: 1},
		PDUSessionType: nas5g.SessionIPv4, SSCMode: 1, QoSRules: []nas5g.QoSRule{{ID: 1, Precedence: 255, QFI: 1, Default: true}},
		SessionAMBR: AMBR{Uplink: 1e8, Downlink: 1e9}, Address: netip.MustParseAddr("10.45.0.2"), SNSSAI: &slice, DNN: "internet"})
	guti := nas5g.GUTI{PLMN: plmn, AMFRegionID: 0xCA, AMFSetID: 1022, AMFPointer: 63, TMSI: 1}
	return map[string][]byte{
		"registration request": mustEncode(t, &nas5g.RegistrationRequest{RegistrationType: 1, NgKSI: nas5g.NoKey,
			Identity:           nas5g.UEIdentity{SUCI: &nas5g.SUCI{PLMN: plmn3, RoutingIndicator: "0", SchemeOutput: suciOut}},
			SecurityCapability: &nas5g.UESecurityCapability{EA: 0xF0, IA: 0x70}, RequestedNSSAI: []SNSSAI{slice}}),
		"authentication request": mustEncode(t, &nas5g.AuthenticationRequest{NgKSI: nas5g.KSI{Value: 0}, ABBA: []byte{0, 0}}),
		"authentication failure": mustEncode(t, &nas5g.AuthenticationFailure{Cause: nas5g.CauseSynchFailure, AUTS: make([]byte, 14)}),
		"security mode command": mustEncode(t, &nas5g.SecurityModeCommand{EncAlg: 2, IntAlg: 2, NgKSI: nas5g.KSI{Value: 0},
			ReplayedCapability: nas5g.UESecurityCapability{EA: 0xF0, IA: 0x70}, IMEISVRequest: true}),
		"security mode complete": mustEncode(t, &nas5g.SecurityModeComplete{IMEISV: "4370816125816151"}),
		"registration accept": mustEncode(t, &nas5g.RegistrationAccept{GUTI: &guti, AllowedNSSAI: []SNSSAI{slice},
			TAIList: []TAI{tai1, {PLMN: plmn, TAC: 5}}, T3512: time.Hour}),
		"deregistration request": mustEncode(t, &nas5g.DeregistrationRequest{SwitchOff: true, AccessType: 1, NgKSI: nas5g.KSI{},
			Identity: nas5g.UEIdentity{GUTI: &guti}}),
		"service request": mustEncode(t, &nas5g.ServiceRequest{ServiceType: nas5g.ServiceData, STMSI: guti.STMSI(), UplinkDataStatus: 2}),
		"UL NAS transport": mustEncode(t, &nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: estReq, PDUSessionID: 1,
			RequestType: nas5g.RequestInitial, SNSSAI: &slice, DNN: "internet"}),
		"DL NAS transport": mustEncode(t, &nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: estAcc, PDUSessionID: 1}),
		"PDU session establishment reject": mustEncode(t, &nas5g.PDUSessionEstablishmentReject{
			SessionHeader: nas5g.SessionHeader{PDUSessionID: 1, PTI: 1}, Cause: nas5g.SMCauseMissingOrUnknownDNN}),
		"PDU session release command": mustEncode(t, &nas5g.PDUSessionReleaseCommand{
			SessionHeader: nas5g.SessionHeader{PDUSessionID: 1, PTI: 2}, Cause: nas5g.SMCauseRegularDeactivation}),
	}
}

// pcapUser0 writes frames as a classic pcap with link type USER0 (147).
func pcapUser0(frames [][]byte) []byte {
	var buf bytes.Buffer
	hdr := []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 65535, 147}
	for _, v := range hdr {
		_ = binary.Write(&buf, binary.LittleEndian, v)
	}
	for i, f := range frames {
		_ = binary.Write(&buf, binary.LittleEndian, []uint32{uint32(i), 0, uint32(len(f)), uint32(len(f))})
		buf.Write(f)
	}
	return buf.Bytes()
}

func splitFrames(out string) []string {
	parts := regexp.MustCompile(`(?m)^Frame \d+: `).Split(out, -1)
	if len(parts) > 0 {
		parts = parts[1:]
	}
	return parts
}
