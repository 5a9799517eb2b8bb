package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Third octets of the VoLTE lab's networks.
const octetLabVoLTE = 70 // 70..78

// volteSets puts the imslab profile's networks on this run's subnets.
func volteSets() []string { return netSets(octetLabVoLTE, epcNetworks...) }

// TestLabVoLTECall runs the shipped volte-call lab in containers with two
// pairs: the UEs attach, connect the ims APN, register with IMS-AKA
// through the P-CSCF of their PCO, and call. Each call must be answered,
// carry RTP both ways over a QCI 1 bearer the network set up on the
// answer, and release it after the BYE. tshark must decode the capture
// cleanly and find SIP, Cx, Rx, Gx, the Create Bearer and the E-RAB Setup.
func TestLabVoLTECall(t *testing.T) {
	c := setup(t)
	dir := t.TempDir()
	pcap := filepath.Join(t.TempDir(), "volte.pcap")
	args := append([]string{"lab", "run", "volte-call", "--tag", "e2e", "--pairs", "2", "--report", dir,
		"--set", "talk=4s", "--set", "ciphering=EEA0", "--capture", pcap}, volteSets()...)
	out := c.ok(args...)
	t.Logf("lab output:\n%s", out)
	rep := readReport(t, dir)
	call := rep.Find("call")
	if call == nil || call.Calls == nil {
		t.Fatalf("no call step in the report: %+v", call)
	}
	calls := call.Calls
	if calls.Calls != 2 || calls.Answered != 2 || calls.BearersGot != 4 || calls.BearersReleased != 4 {
		t.Errorf("calls %d answered %d, QCI 1 bearers got %d released %d; want 2, 2, 4, 4",
			calls.Calls, calls.Answered, calls.BearersGot, calls.BearersReleased)
	}
	for _, cl := range calls.List {
		for dir, m := range map[string]any{"at caller": cl.AtCaller, "at callee": cl.AtCallee} {
			if m == nil {
				t.Errorf("call %s: no media report %s", cl.CallID, dir)
			}
		}
		if cl.AtCaller != nil && cl.AtCallee != nil {
			// 4 s of 20 ms packets is 200; allow the first and last few.
			if cl.AtCaller.Received < 150 || cl.AtCallee.Received < 150 {
				t.Errorf("call %s: %d and %d RTP packets received, want about 200 each way",
					cl.CallID, cl.AtCaller.Received, cl.AtCallee.Received)
			}
			t.Logf("call %s: setup %.1f ms; at caller loss %.4f jitter %.2f ms MOS %.2f QCI %d; at callee loss %.4f jitter %.2f ms MOS %.2f QCI %d",
				cl.CallID, cl.SetupMs, cl.AtCaller.LossRatio, cl.AtCaller.JitterMs, cl.AtCaller.MOS, cl.AtCaller.QCI,
				cl.AtCallee.LossRatio, cl.AtCallee.JitterMs, cl.AtCallee.MOS, cl.AtCallee.QCI)
		}
	}
	checkVoLTECapture(t, pcap)
}

func checkVoLTECapture(t *testing.T, pcap string) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (make deps installs it)")
	}
	c := capture{t: t, pcap: pcap, decodeAs: lteDecodeAs}
	c.clean()
	want := map[string]struct {
		filter, field string
		values        []string
	}{
		"SIP requests":  {"sip.Request-Line", "sip.Method", []string{"REGISTER", "INVITE", "ACK", "BYE"}},
		"SIP responses": {"sip.Status-Line", "sip.Status-Code", []string{"100", "180", "200", "401"}},
		// Cx UAR 300, SAR 301, MAR 303 (no LIR: one S-CSCF serves both
		// users); Rx AAR 265, STR 275; Gx CCR 272, RAR 258.
		"Diameter commands": {"diameter", "diameter.cmd.code", []string{"300", "301", "303", "265", "275", "272", "258"}},
		// Create Bearer request/response 95/96, Delete Bearer request/response 99/100.
		"GTPv2-C messages": {"gtpv2", "gtpv2.message_type", []string{"95", "96", "99", "100"}},
		// E-RAB Setup 5, E-RAB Release 7.
		"S1AP procedures": {"s1ap", "s1ap.procedureCode", []string{"5", "7"}},
		// Activate dedicated EPS bearer context request/accept, deactivate request/accept.
		"ESM messages": {"nas-eps", "nas_eps.nas_msg_esm_type", []string{"0xc5", "0xc6", "0xcd", "0xce"}},
	}
	for name, w := range want {
		c.expect(name, w.filter, w.field, w.values...)
	}
}
