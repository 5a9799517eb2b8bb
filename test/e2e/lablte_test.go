package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Third octets of the LTE lab's networks (see helpers_test.go).
const octetLabLTE = 60 // 60..68

// lteSets puts the epclab profile's networks on this run's subnets.
func lteSets() []string { return netSets(octetLabLTE, epcNetworks...) }

// TestLabLTEAttach runs the shipped lte-attach lab in containers: 10 UEs
// attach (EPS-AKA, NAS-EPS security), get a default bearer each on APN
// internet and echo UDP through eNB -> SGW -> PGW -> DN. Then again with
// EEA0 and a capture, which tshark must decode without a complaint.
func TestLabLTEAttach(t *testing.T) {
	c := setup(t)
	dir := t.TempDir()
	args := append([]string{"lab", "run", "lte-attach", "--tag", "e2e", "--ues", "10", "--report", dir}, lteSets()...)
	out := c.ok(args...)
	t.Logf("lab output:\n%s", out)
	rep := readReport(t, dir)
	if s := rep.Find("register"); s == nil || s.OK != 10 {
		t.Errorf("attach: %+v, want 10 UEs ok", s)
	}
	tr := rep.Find("traffic")
	if tr == nil || tr.Traffic == nil || tr.Traffic.Sent != 200 || tr.Traffic.Received != 200 {
		t.Fatalf("traffic: %+v, want 200 echo requests sent and answered", tr)
	}
	t.Logf("attach p50 %.1f ms p99 %.1f ms; echo RTT p50 %.2f ms",
		rep.Find("register").LatencyMs.P50, rep.Find("register").LatencyMs.P99, tr.Traffic.RTTMs.P50)

	t.Run("capture decodes cleanly with tshark", func(t *testing.T) {
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Skip("tshark not installed (make deps installs it)")
		}
		pcap := filepath.Join(t.TempDir(), "lte.pcap")
		args := append([]string{"lab", "run", "lte-attach", "--tag", "e2e", "--ues", "3", "--report", t.TempDir(),
			"--set", "ciphering=EEA0", "--capture", pcap}, lteSets()...)
		c.on(t).ok(args...)
		checkLTECapture(t, pcap)
	})
}

// lteDecodeAs makes S1-MME (SCTP over UDP on 36412) readable.
var lteDecodeAs = []string{"-d", "udp.port==36412,sctp", "-o", "sctp.checksum:CRC 32c", "-o", "tcp.analyze_sequence_numbers:FALSE"}

func checkLTECapture(t *testing.T, pcap string) {
	c := capture{t: t, pcap: pcap, decodeAs: lteDecodeAs}
	c.clean()
	want := map[string]struct {
		filter, field string
		values        []int
	}{
		// S1Setup 17, InitialUEMessage 12, DownlinkNASTransport 11,
		// UplinkNASTransport 13, InitialContextSetup 9, UEContextRelease 23.
		"S1AP procedures": {"s1ap", "s1ap.procedureCode", []int{17, 12, 11, 13, 9, 23}},
		// Attach request/accept/complete, detach request, authentication
		// request/response, security mode command/complete.
		"EMM messages": {"nas-eps", "nas_eps.nas_msg_emm_type", []int{0x41, 0x42, 0x43, 0x45, 0x52, 0x53, 0x5d, 0x5e}},
		// Activate default EPS bearer context request/accept, PDN connectivity request.
		"ESM messages": {"nas-eps", "nas_eps.nas_msg_esm_type", []int{0xc1, 0xc2, 0xd0}},
		// S6a AIR 318, ULR 316; Gx CCR 272.
		"Diameter commands": {"diameter", "diameter.cmd.code", []int{318, 316, 272}},
		// Create Session request/response, Modify Bearer request, Delete Session request.
		"GTPv2-C messages": {"gtpv2", "gtpv2.message_type", []int{32, 33, 34, 36}},
		"GTP-U messages":   {"gtp", "gtp.message", []int{255}},
	}
	for name, w := range want {
		c.expect(name, w.filter, w.field, decimals(w.values...)...)
	}
}
