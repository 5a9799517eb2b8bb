package s1ap

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTsharkDecodes has Wireshark's S1AP dissector (and, through the
// NAS-PDUs, its NAS-EPS one) read every message we build, carried in SCTP
// with PPID 18, and fails on any malformed packet or expert info of
// warning level or worse. It then checks, frame by frame, the procedure
// code, the UE S1AP IDs and the node names Wireshark reads against ours.
// It skips when tshark is not installed.
func TestTsharkDecodes(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	cases := roundTripCases()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range cases {
			if !yield(n) {
				return
			}
		}
	})
	var pdus [][]byte
	for _, n := range names {
		pdus = append(pdus, mustEncode(t, cases[n]))
	}
	pcap := filepath.Join(t.TempDir(), "s1ap.pcap")
	if err := os.WriteFile(pcap, pcapSCTPInUDP(pdus), 0o644); err != nil {
		t.Fatal(err)
	}

	if bad := runTshark(t, tshark, pcap, "-Y", "_ws.malformed || _ws.expert.severity >= warning", "-O", "s1ap,nas-eps"); strings.TrimSpace(bad) != "" {
		t.Errorf("Wireshark finds fault:\n%s", bad)
	}

	out := runTshark(t, tshark, pcap, "-T", "fields", "-E", "separator=|",
		"-e", "frame.protocols", "-e", "sctp.checksum.status", "-e", "s1ap.procedureCode",
		"-e", "s1ap.MME_UE_S1AP_ID", "-e", "s1ap.ENB_UE_S1AP_ID", "-e", "s1ap.ENBname", "-e", "s1ap.MMEname")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("tshark read %d frames, we wrote %d:\n%s", len(lines), len(names), out)
	}
	for i, line := range lines {
		checkFrame(t, names[i], cases[names[i]], strings.Split(line, "|"))
	}
}

// checkFrame compares one frame's tshark fields with the message we sent.
func checkFrame(t *testing.T, name string, m Message, f []string) {
	t.Helper()
	protocols, checksum, proc, mmeID, enbID, enbName, mmeName := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	if !strings.Contains(protocols, "sctp:s1ap") {
		t.Errorf("%s: protocols %s", name, protocols)
	}
	if checksum != "1" {
		t.Errorf("%s: SCTP checksum status %q", name, checksum)
	}
	if want := strconv.Itoa(int(m.ProcedureCode())); proc != want {
		t.Errorf("%s: procedureCode %q, want %s", name, proc, want)
	}
	if dissected := strings.Contains(protocols, "nas-eps"); dissected != carriesNAS(m) {
		t.Errorf("%s: NAS-EPS dissected %v, carries NAS %v", name, dissected, carriesNAS(m))
	}
	info, err := Classify(mustEncode(t, m))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, viaChoice := m.(*UEContextReleaseCommand); !viaChoice {
		if want := optID(info.HasMMEUES1APID, info.MMEUES1APID); mmeID != want {
			t.Errorf("%s: MME-UE-S1AP-ID %q, want %q", name, mmeID, want)
		}
		if want := optID(info.HasENBUES1APID, info.ENBUES1APID); enbID != want {
			t.Errorf("%s: ENB-UE-S1AP-ID %q, want %q", name, enbID, want)
		}
	}
	switch m := m.(type) {
	case *S1SetupRequest:
		if enbName != m.ENBName {
			t.Errorf("%s: ENBname %q, want %q", name, enbName, m.ENBName)
		}
	case *S1SetupResponse:
		if mmeName != m.MMEName {
			t.Errorf("%s: MMEname %q, want %q", name, mmeName, m.MMEName)
		}
	}
}

func optID(has bool, v uint32) string {
	if !has {
		return ""
	}
	return fmt.Sprint(v)
}

func carriesNAS(m Message) bool {
	switch m := m.(type) {
	case *InitialUEMessage, *DownlinkNASTransport, *UplinkNASTransport, *ERABSetupRequest:
		return true
	case *InitialContextSetupRequest:
		return slices.ContainsFunc(m.ERABs, func(e ERABToSetup) bool { return len(e.NASPDU) > 0 })
	case *ERABReleaseCommand:
		return len(m.NASPDU) > 0
	}
	return false
}

// runTshark reads pcap with tshark, the SCTP checksum checked, and
// returns what it prints.
func runTshark(t *testing.T, tshark, pcap string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tshark, append([]string{"-n", "-r", pcap, "-o", "sctp.checksum:CRC 32c"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}
