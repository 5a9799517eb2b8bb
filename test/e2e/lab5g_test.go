package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corebox/corebox/labs/report"
)

// Third octets of the 5G lab's networks (see helpers_test.go).
const octetLab5G = 40 // 40..45

// labSets puts the 5glab profile's networks on this run's subnets.
func labSets() []string {
	var out []string
	for i, n := range []string{"sbi", "n2", "n3", "n4", "n6", "ran"} {
		out = append(out, "--set", n+"_subnet="+subnetFor(octetLab5G+i))
	}
	return out
}

// TestLab5GBasic runs the shipped 5g-basic lab in containers: 10 UEs
// register (SUCI, 5G-AKA, NAS security), open a PDU session each and echo
// UDP through gNB -> UPF -> DN. Then again with NEA0 and a capture, which
// tshark must decode without a complaint.
func TestLab5GBasic(t *testing.T) {
	c := setup(t)
	dir := t.TempDir()
	args := append([]string{"lab", "run", "5g-basic", "--tag", "e2e", "--ues", "10", "--report", dir}, labSets()...)
	out := c.ok(args...)
	t.Logf("lab output:\n%s", out)
	rep := readReport(t, dir)
	for _, step := range []string{"register", "session"} {
		if s := rep.Find(step); s == nil || s.OK != 10 {
			t.Errorf("%s: %+v, want 10 UEs ok", step, s)
		}
	}
	tr := rep.Find("traffic")
	if tr == nil || tr.Traffic == nil || tr.Traffic.Sent != 200 || tr.Traffic.Received != 200 {
		t.Fatalf("traffic: %+v, want 200 echo requests sent and answered", tr)
	}
	t.Logf("registration p50 %.1f ms p99 %.1f ms; session p50 %.1f ms; echo RTT p50 %.2f ms",
		rep.Find("register").LatencyMs.P50, rep.Find("register").LatencyMs.P99, rep.Find("session").LatencyMs.P50, tr.Traffic.RTTMs.P50)
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Error(err)
	}

	t.Run("capture decodes cleanly with tshark", func(t *testing.T) {
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Skip("tshark not installed (make deps installs it)")
		}
		pcap := filepath.Join(t.TempDir(), "5g.pcap")
		args := append([]string{"lab", "run", "5g-basic", "--tag", "e2e", "--ues", "3", "--report", t.TempDir(),
			"--set", "ciphering=NEA0", "--capture", pcap}, labSets()...)
		c.on(t).ok(args...)
		checkCapture(t, pcap)
	})
}

func readReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Passed {
		t.Errorf("lab failed: %s", rep.Error)
	}
	return &rep
}

// tsharkDecodeAs makes N2 (SCTP over UDP) and SBI (h2c on 8000) readable.
// With NEA0, nas-5gs.null_decipher lets it read the protected NAS. TCP
// sequence analysis is off: under CI load a spurious retransmission
// (answered by a D-SACK) showed as "ACKed segment that wasn't captured",
// a remark on the capture, not on what our NFs sent.
var tsharkDecodeAs = []string{"-d", "udp.port==38412,sctp", "-d", "tcp.port==8000,http2", "-o", "sctp.checksum:CRC 32c",
	"-o", "nas-5gs.null_decipher:TRUE", "-o", "tcp.analyze_sequence_numbers:FALSE"}

func checkCapture(t *testing.T, pcap string) {
	c := capture{t: t, pcap: pcap, decodeAs: tsharkDecodeAs, keepAs: "corebox-e2e-5g.pcap"}
	c.clean()
	want := map[string]struct {
		filter, field string
		values        []int
	}{
		// NGSetup 21, InitialUEMessage 15, DownlinkNASTransport 4,
		// UplinkNASTransport 46, InitialContextSetup 14, PDUSessionResourceSetup 29.
		"NGAP procedures": {"ngap", "ngap.procedureCode", []int{21, 15, 4, 46, 14, 29}},
		// Registration request/accept/complete, deregistration
		// request/accept, authentication request/response, security mode
		// command/complete, UL/DL NAS transport.
		"5GMM messages": {"nas-5gs", "nas_5gs.mm.message_type", []int{0x41, 0x42, 0x43, 0x45, 0x46, 0x56, 0x57, 0x5d, 0x5e, 0x67, 0x68}},
		// PDU session establishment request and accept.
		"5GSM messages": {"nas-5gs", "nas_5gs.sm.message_type", []int{0xc1, 0xc2}},
		// Association setup request, session establishment and modification requests.
		"PFCP messages": {"pfcp", "pfcp.msg_type", []int{5, 50, 52}},
		// G-PDU.
		"GTP-U messages": {"gtp", "gtp.message", []int{255}},
	}
	for name, w := range want {
		c.expect(name, w.filter, w.field, decimals(w.values...)...)
	}
	paths := c.fields("http2.headers.path", "http2.headers.path")
	for _, p := range []string{"/nausf-auth/v1/ue-authentications", "/nsmf-pdusession/v1/sm-contexts", "/nnrf-disc/v1/nf-instances"} {
		if !slices.ContainsFunc(paths, func(s string) bool { return strings.HasPrefix(s, p) }) {
			t.Errorf("no SBI request to %s in the capture (paths: %v)", p, paths)
		}
	}
}
