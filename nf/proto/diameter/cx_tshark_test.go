package diameter

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"

	"github.com/fiorix/go-diameter/v4/diam"
)

// TestTsharkDecodesCx writes the Cx sample exchanges (I-CSCF and S-CSCF
// to HSS) into a pcap and has Wireshark decode them: nothing malformed,
// no expert warning, application 16777216 and each command code as
// sent, and the Cx AVPs decoded by name. Skips without tshark.
func TestTsharkDecodesCx(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	byName := map[string]builder{}
	for _, s := range cxSamples(t) {
		byName[s.name] = s.msg
	}
	flow := nfkittest.NewTCPFlow([4]byte{10, 0, 4, 2}, [4]byte{10, 0, 1, 3}, 40004, 3868) // CSCF -> HSS
	pairs := [][2]string{{"UAR", "UAA first"}, {"UAR capabilities", "UAA subsequent"}, {"MAR", "MAA"},
		{"MAR resync", "MAA scheme refused"}, {"SAR", "SAA"}, {"SAR deregistration", "SAA minimal"},
		{"LIR", "LIA"}, {"LIR originating", "LIA capabilities"}, {"LIR", "LIA not registered"}}
	var frames [][]byte
	var wantCodes []string
	for i, p := range pairs {
		rm, err := byName[p[0]].Build()
		if err != nil {
			t.Fatal(err)
		}
		am, err := byName[p[1]].Build()
		if err != nil {
			t.Fatal(err)
		}
		rm.Header.HopByHopID, rm.Header.EndToEndID = uint32(0x3000+i), uint32(0x4000+i)
		am.Header.HopByHopID, am.Header.EndToEndID = rm.Header.HopByHopID, rm.Header.EndToEndID
		for j, m := range []*diam.Message{rm, am} {
			raw, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, flow.Segment(j == 0, raw)...)
			wantCodes = append(wantCodes, itoa(m.Header.CommandCode)+"\t"+itoa(AppCx)+"\t"+map[bool]string{true: "1", false: "0"}[j == 0])
		}
	}
	pcap := filepath.Join(t.TempDir(), "cx.pcap")
	if err := os.WriteFile(pcap, nfkittest.RawPcap(frames), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, tshark, append([]string{"-n", "-r", pcap}, args...)...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
	const flagged = "_ws.malformed || _ws.expert.severity >= warning"
	if s := strings.TrimSpace(run("-Y", flagged)); s != "" {
		t.Errorf("tshark flags frames:\n%s\n%s", s, run("-V", "-Y", flagged))
	}
	out := strings.TrimSpace(run("-Y", "diameter", "-T", "fields", "-e", "diameter.cmd.code", "-e", "diameter.applicationId",
		"-e", "diameter.flags.request"))
	if got := strings.Split(out, "\n"); strings.Join(got, "\n") != strings.Join(wantCodes, "\n") {
		t.Errorf("tshark saw:\n%s\nwant:\n%s", out, strings.Join(wantCodes, "\n"))
	}
	fields := run("-Y", "diameter", "-T", "fields", "-E", "separator=|", "-e", "diameter.Public-Identity",
		"-e", "diameter.Server-Name", "-e", "diameter.Server-Assignment-Type", "-e", "diameter.Experimental-Result-Code",
		"-e", "diameter.Confidentiality-Key")
	for _, want := range []string{impu + "|", "|" + scscfURI + "|", "|1|", "|2001|", "|2002|", "|5003|",
		"28292a2b2c2d2e2f3031323334353637"} {
		if !strings.Contains(fields, want) {
			t.Errorf("tshark fields lack %q:\n%s", want, fields)
		}
	}
}
