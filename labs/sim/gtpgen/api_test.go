package gtpgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
)

// TestControlAPI: malformed requests answer 400 naming what is wrong and
// reach nothing; a good one runs and its result is also GET /gtpgen/last.
func TestControlAPI(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, nil, nil)
	base := "http://" + l.gen.Ops().Addr().String()
	if code, out := nfkittest.Do(t, "GET", base+PathLast, ""); code != http.StatusNotFound {
		t.Errorf("GET %s before any run = %d %s", PathLast, code, out)
	}
	for _, tc := range []struct{ body, want string }{
		{`{bad`, "decode body"},
		{`{"sessions": 1, "nope": 2}`, `unknown field "nope"`},
		{``, "sessions 0: want 1..65534"},
		{`{"sessions": 1, "duration": "soon", "size": 64}`, `duration "soon"`},
		{`{"sessions": 1, "duration": "1s", "size": 10000}`, "size 10000: want an IP packet size of 56..9000"},
		{`{"sessions": 70000, "duration": "1s", "size": 64}`, "sessions 70000"},
		{`{"sessions": 1, "duration": "1s", "size": 64, "rate_pps": 200000000}`, "rate_pps 200000000"},
		{`{"sessions": 1, "duration": "1s", "size": 64, "direction": "sideways"}`, `direction "sideways"`},
		{`{"sessions": 1, "duration": "1s", "size": 64, "mode": "fast"}`, `mode "fast"`},
	} {
		code, out := nfkittest.Do(t, "POST", base+PathRun, tc.body)
		var e struct{ Error string }
		if code != http.StatusBadRequest || json.Unmarshal([]byte(out), &e) != nil || !strings.Contains(e.Error, tc.want) {
			t.Errorf("POST %s = %d %s, want 400 with %q", tc.body, code, strings.TrimSpace(out), tc.want)
		}
	}
	if got := metric(t, l.upf.Ops(), "corebox_upf_pfcp_sessions_established_total"); got != 0 {
		t.Fatalf("rejected requests reached the UPF: %v", got)
	}
	code, out := nfkittest.Do(t, "POST", base+PathRun,
		`{"sessions": 2, "rate_pps": 1000, "duration": "200ms", "size": 1400, "direction": "ul"}`)
	var res Result
	if code != http.StatusOK || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("POST run = %d %s", code, out)
	}
	if res.Uplink == nil || res.Downlink != nil || res.Uplink.Sent == 0 || res.Uplink.Lost != 0 ||
		res.Params.Size != 1400 || res.Params.Direction != Uplink {
		t.Errorf("run result %s", out)
	}
	code, out = nfkittest.Do(t, "GET", base+PathLast, "")
	var last Result
	if code != http.StatusOK || json.Unmarshal([]byte(out), &last) != nil || last.RunID != res.RunID {
		t.Errorf("GET last = %d %s", code, out)
	}
	code, out = nfkittest.Do(t, "GET", base+"/info", "")
	if code != http.StatusOK || !strings.Contains(out, `"n3":"`+l.gen.Generator().n3Addr.String()) || !strings.Contains(out, `"route":"none`) {
		t.Errorf("GET /info = %d %s", code, out)
	}
}

func TestStatusOf(t *testing.T) {
	for err, want := range map[error]int{
		fmt.Errorf("%w: x", ErrBadParams):  400,
		ErrBusy:                            409,
		fmt.Errorf("%w: y", ErrNotReady):   503,
		ErrDraining:                        503,
		fmt.Errorf("%w: z", ErrKernelPath): 412,
		errors.New("establish sessions"):   500,
	} {
		if got := statusOf(err); got != want {
			t.Errorf("statusOf(%v) = %d, want %d", err, got, want)
		}
	}
}

// TestN3Input: junk on N3 is counted by reason, not fatal, and Echo
// Requests are answered.
func TestN3Input(t *testing.T) {
	l := startLab(t, nil, nil)
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to := net.UDPAddrFromAddrPort(l.gen.Generator().n3Addr)
	for _, b := range [][]byte{
		{0xff, 0x00},                   // not GTP-U
		gpdu(t, 1, []byte("no probe")), // a G-PDU, not ours
		gpdu(t, 1, probeBytes(probe{dir: probeDL, run: 1}, 40)), // a probe, no run
		gtpu.AppendEchoRequest(nil, 7),
	} {
		if _, err := conn.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 100)
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	var h gtpu.Header
	if err != nil || gtpu.Parse(buf[:n], &h) != nil || h.Type != gtpu.MsgEchoResponse || h.Seq != 7 {
		t.Fatalf("echo answer %x, %v", buf[:n], err)
	}
	// The counts are added after the batch the echo came in.
	nfkittest.Eventually(t, wait, "drops counted by reason", func() bool {
		for _, reason := range []string{"malformed_gtpu", "malformed_probe", "other_run", "not_gpdu"} {
			if metric(t, l.gen.Ops(), `corebox_gtpgen_dropped_packets_total{reason="`+reason+`"}`) != 1 {
				return false
			}
		}
		return true
	})
	if ok, why := l.gen.Ready(); !ok {
		t.Errorf("not ready after junk: %s", why)
	}
}
