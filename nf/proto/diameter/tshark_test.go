package diameter

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"

	"github.com/fiorix/go-diameter/v4/diam"
)

// TestTsharkDecodes writes every sample exchange (S6a, Gx, Rx) into a pcap
// as TCP on port 3868, each request followed by its answer, and has
// Wireshark decode it: nothing malformed, no expert warning, and each
// frame's command code, application id and R bit as sent. Skips when
// tshark is not installed.
func TestTsharkDecodes(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	byName := map[string]builder{}
	for _, s := range samples(t) {
		byName[s.name] = s.msg
	}
	type exchange struct {
		flow      *nfkittest.TCPFlow
		req, ans  string
		reqFromUp bool // the request goes client -> server
	}
	s6a := nfkittest.NewTCPFlow([4]byte{10, 0, 1, 2}, [4]byte{10, 0, 1, 3}, 40001, 3868) // MME -> HSS
	gx := nfkittest.NewTCPFlow([4]byte{10, 0, 2, 2}, [4]byte{10, 0, 2, 3}, 40002, 3868)  // PGW -> PCRF
	rx := nfkittest.NewTCPFlow([4]byte{10, 0, 3, 2}, [4]byte{10, 0, 2, 3}, 40003, 3868)  // P-CSCF -> PCRF
	exchanges := []exchange{
		{s6a, "AIR", "AIA", true}, {s6a, "AIR resync", "AIA unknown user", true},
		{s6a, "ULR", "ULA", true}, {s6a, "PUR", "PUA", true}, {s6a, "CLR", "CLA", false},
		{gx, "CCR-I", "CCA", true}, {gx, "RAR", "RAA", false}, {gx, "CCR-T", "CCA rejected", true},
		{rx, "AAR", "AAA", true}, {rx, "STR", "STA", true},
	}
	var frames [][]byte
	type want struct {
		code, app uint32
		request   bool
	}
	var wants []want
	for i, ex := range exchanges {
		rm, err := byName[ex.req].Build()
		if err != nil {
			t.Fatal(err)
		}
		am, err := byName[ex.ans].Build()
		if err != nil {
			t.Fatal(err)
		}
		rm.Header.HopByHopID, rm.Header.EndToEndID = uint32(0x1000+i), uint32(0x2000+i)
		am.Header.HopByHopID, am.Header.EndToEndID = rm.Header.HopByHopID, rm.Header.EndToEndID
		for j, m := range []*diam.Message{rm, am} {
			raw, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			up := ex.reqFromUp == (j == 0)
			frames = append(frames, ex.flow.Segment(up, raw)...)
			wants = append(wants, want{m.Header.CommandCode, m.Header.ApplicationID, j == 0})
		}
	}
	pcap := filepath.Join(t.TempDir(), "diameter.pcap")
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
	out := run("-Y", "diameter", "-T", "fields", "-e", "diameter.cmd.code", "-e", "diameter.applicationId", "-e", "diameter.flags.request")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("tshark saw %d Diameter frames, want %d:\n%s", len(lines), len(wants), out)
	}
	for i, line := range lines {
		f := strings.Split(line, "\t")
		w := wants[i]
		if len(f) != 3 || f[0] != itoa(w.code) || f[1] != itoa(w.app) || (f[2] == "1") != w.request {
			t.Errorf("frame %d: tshark %q, want code %d app %d request %v", i+1, line, w.code, w.app, w.request)
		}
	}
	// The 3GPP AVPs decode by name, values included.
	fields := run("-Y", "diameter", "-T", "fields", "-E", "separator=|",
		"-e", "diameter.User-Name", "-e", "diameter.Service-Selection", "-e", "diameter.Experimental-Result-Code",
		"-e", "diameter.Charging-Rule-Name", "-e", "diameter.Media-Type", "-e", "diameter.KASME")
	// Charging-Rule-Name is an OctetString: tshark shows "voice-1" in hex.
	k := vector(0).KASME
	for _, want := range []string{imsi, "|internet,ims|", "|5001|", "766f6963652d31", "||||0|", hex.EncodeToString(k[:])} {
		if !strings.Contains(fields, want) {
			t.Errorf("tshark fields lack %q:\n%s", want, fields)
		}
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
