package e2e

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Third octets of the LTE lab's networks (see helpers_test.go).
const octetLabLTE = 60 // 60..68

// lteSets puts the epclab profile's networks on this run's subnets.
func lteSets() []string {
	var out []string
	for i, n := range []string{"sbi", "s1mme", "s1u", "s11", "s5", "sgi", "ims", "diameter", "ran"} {
		out = append(out, "--set", n+"_subnet="+subnetFor(octetLabLTE+i))
	}
	return out
}

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
	run := func(args ...string) string {
		t.Helper()
		all := append(append([]string{"-r", pcap}, lteDecodeAs...), args...)
		out, err := exec.Command("tshark", all...).Output()
		if err != nil {
			t.Fatalf("tshark %v: %v", all, err)
		}
		return string(out)
	}
	if bad := strings.TrimSpace(run("-Y", cleanFilter)); bad != "" {
		t.Errorf("tshark finds malformed packets or warnings:\n%s", bad)
	}
	fields := func(filter, field string) []string {
		var out []string
		for _, line := range strings.Split(run("-Y", filter, "-T", "fields", "-e", field), "\n") {
			for _, v := range strings.Split(strings.TrimSpace(line), ",") {
				if v != "" && !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
		return out
	}
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
		got := fields(w.filter, w.field)
		for _, v := range w.values {
			if !slices.Contains(got, strconv.Itoa(v)) && !slices.Contains(got, "0x"+strconv.FormatInt(int64(v), 16)) {
				t.Errorf("%s: %d (%#x) not in the capture (saw %v)", name, v, v, got)
			}
		}
	}
}
