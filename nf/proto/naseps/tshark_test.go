package naseps

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Wireshark's nas-eps dissector is the independent check of our encoding:
// each message goes into a pcap of link type WIRESHARK_UPPER_PDU (252),
// whose per-packet tags name the dissector, so no S1AP framing or
// preferences are needed.

const linkTypeUpperPDU = 252

func upperPDUPacket(dissector string, pdu []byte) []byte {
	name := append([]byte(dissector), 0) // NUL padding is allowed
	for len(name)%4 != 0 {
		name = append(name, 0)
	}
	out := binary.BigEndian.AppendUint16(nil, 12) // EXP_PDU_TAG_DISSECTOR_NAME
	out = binary.BigEndian.AppendUint16(out, uint16(len(name)))
	out = append(out, name...)
	out = append(out, 0, 0, 0, 0) // EXP_PDU_TAG_END_OF_OPT
	return append(out, pdu...)
}

func writePcap(t *testing.T, path string, packets [][]byte) {
	t.Helper()
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], linkTypeUpperPDU)
	buf := hdr
	for i, p := range packets {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(p)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(p)))
		buf = append(append(buf, rec...), p...)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

type tsharkFrame struct {
	name       string
	pdu        []byte
	emm, esm   MessageType // expected; 0 when not to be checked
	innerESM   MessageType // type inside an ESM message container
	secHdrType int         // expected nas_eps.security_header_type, -1 unchecked
}

func tsharkFrames(t *testing.T) []tsharkFrame {
	var frames []tsharkFrame
	for _, c := range roundTripCases(t) {
		f := tsharkFrame{name: c.name, pdu: mustMarshal(t, c.msg), secHdrType: -1}
		switch m := c.msg.(type) {
		case *ServiceRequest:
			f.secHdrType = int(ServiceRequestHeader)
		case esmMessage:
			f.esm = m.MessageType()
		default:
			f.emm = m.MessageType()
		}
		var container []byte
		switch m := c.msg.(type) {
		case *AttachRequest:
			container = m.ESMContainer
		case *AttachAccept:
			container = m.ESMContainer
		case *AttachComplete:
			container = m.ESMContainer
		case *AttachReject:
			container = m.ESMContainer
		}
		if container != nil {
			f.innerESM = MessageType(container[2])
		}
		frames = append(frames, f)
	}
	// Protected PDUs Wireshark can read inside: integrity protected (EIA2)
	// and "ciphered" with EEA0.
	ue, mme := pair(t, EEA2, EIA2)
	pdu, err := mme.ProtectMessage(&SecurityModeCommand{EncAlg: EEA2, IntAlg: EIA2, KSI: KSI{Value: 1},
		ReplayedCapability: testUECap.SecurityCapability(), IMEISVRequest: true}, IntegrityProtectedNewContext)
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, tsharkFrame{name: "protected SMC", pdu: pdu, emm: MsgSecurityModeCommand, secHdrType: 3})
	pdu, err = ue.ProtectMessage(testPDNRequest(), IntegrityProtected)
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, tsharkFrame{name: "protected ESM", pdu: pdu, esm: MsgPDNConnectivityRequest, secHdrType: 1})
	null, _ := pair(t, EEA0, EIA2)
	null.AllowNull = true
	pdu, err = null.ProtectMessage(&SecurityModeComplete{IMEISV: "3534900698733101"}, IntegrityProtectedAndCipheredNewContext)
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, tsharkFrame{name: "EEA0 SMC complete", pdu: pdu, emm: MsgSecurityModeComplete, secHdrType: 4})
	return frames
}

func TestTsharkDecodesEveryMessage(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	frames := tsharkFrames(t)
	var packets [][]byte
	for _, f := range frames {
		// A plain ESM message reaches Wireshark's "nas-eps" only inside
		// a security header (it warns otherwise, rightly: after security
		// is set up they always are); the standalone plain ones go to
		// "nas-eps_plain".
		dissector := "nas-eps"
		if f.pdu[0]&0x0F == PDESM {
			dissector = "nas-eps_plain"
		}
		packets = append(packets, upperPDUPacket(dissector, f.pdu))
	}
	pcap := filepath.Join(t.TempDir(), "naseps.pcap")
	writePcap(t, pcap, packets)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tshark, append([]string{"-n", "-r", pcap}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("tshark %v: %v\n%s", args, err, stderr)
		}
		return string(out)
	}

	bad := run("-Y", "_ws.malformed || _ws.expert.severity >= warning", "-T", "fields",
		"-e", "frame.number", "-e", "_ws.expert.message")
	for _, line := range strings.Split(strings.TrimSpace(bad), "\n") {
		if line == "" {
			continue
		}
		n, _ := strconv.Atoi(strings.SplitN(line, "\t", 2)[0])
		name := "?"
		if n >= 1 && n <= len(frames) {
			name = fmt.Sprintf("%s (%x)", frames[n-1].name, frames[n-1].pdu)
		}
		t.Errorf("Wireshark flags frame %s: %s", name, line)
	}

	out := run("-T", "fields", "-E", "separator=|", "-E", "aggregator=,", "-e", "frame.number",
		"-e", "nas_eps.nas_msg_emm_type", "-e", "nas_eps.nas_msg_esm_type", "-e", "nas_eps.security_header_type")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("tshark printed %d frames, want %d:\n%s", len(lines), len(frames), out)
	}
	for i, line := range lines {
		f := frames[i]
		cols := strings.Split(line, "|")
		emm, esm, sht := values(cols[1]), values(cols[2]), values(cols[3])
		if f.emm != 0 && (len(emm) == 0 || emm[0] != int(f.emm)) {
			t.Errorf("%s: EMM types %v, want 0x%02x first", f.name, emm, byte(f.emm))
		}
		if f.esm != 0 && !contains(esm, int(f.esm)) {
			t.Errorf("%s: ESM types %v, want 0x%02x", f.name, esm, byte(f.esm))
		}
		if f.innerESM != 0 && !contains(esm, int(f.innerESM)) {
			t.Errorf("%s: container ESM types %v, want 0x%02x", f.name, esm, byte(f.innerESM))
		}
		if f.secHdrType >= 0 && !contains(sht, f.secHdrType) {
			t.Errorf("%s: security header types %v, want %d", f.name, sht, f.secHdrType)
		}
	}
}

func values(col string) []int {
	var out []int
	for _, v := range strings.Split(col, ",") {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 0, 32)
		if err != nil {
			continue
		}
		out = append(out, int(n))
	}
	return out
}

func contains(vs []int, want int) bool {
	for _, v := range vs {
		if v == want {
			return true
		}
	}
	return false
}
