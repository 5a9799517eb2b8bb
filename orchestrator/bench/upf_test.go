package bench

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tc.in...)
		if got := medianOf(tc.in); got != tc.want || !reflect.DeepEqual(in, tc.in) {
			t.Errorf("medianOf(%v) = %v (input now %v), want %v", in, got, tc.in, tc.want)
		}
	}
	one, two, three := 1.0, 2.0, 3.0
	m := medianSample([]Sample{{RxPPS: 10, Sent: 5, P99Us: 9, UPFRxPackets: &three}, {RxPPS: 30, Sent: 7, P99Us: 1, UPFRxPackets: &one},
		{RxPPS: 20, Sent: 6, P99Us: 5, UPFRxPackets: &two}})
	if m.RxPPS != 20 || m.Sent != 6 || m.P99Us != 5 || m.UPFRxPackets == nil || *m.UPFRxPackets != 2 {
		t.Errorf("medianSample = %+v, want each field's own median", m)
	}
	if m := medianSample([]Sample{{UPFRxPackets: &one}, {}}); m.UPFRxPackets != nil {
		t.Errorf("UPF rx median %v from a sample without it", *m.UPFRxPackets)
	}
}

// judge marks the ratio target at 1400 B and the pps target wherever the
// baseline reaches it.
func TestJudge(t *testing.T) {
	mk := func(size int, dir string, kernel, upf float64) UPFCase {
		return UPFCase{Size: size, Direction: dir, Kernel: Series{Median: Sample{RxPPS: kernel}},
			UPF: Series{Median: Sample{RxPPS: upf}}, RatioPPS: upf / kernel}
	}
	got := judge([]UPFCase{
		mk(64, dirUL, 900e3, 420e3),   // pps met
		mk(64, dirDL, 900e3, 300e3),   // pps not met
		mk(1400, dirUL, 400e3, 250e3), // ratio met, pps n/a
		mk(1400, dirDL, 500e3, 200e3), // ratio not met, pps not met
	})
	want := []struct {
		name, status string
		size         int
	}{
		{"UPF pps / kernel pps", "met", 1400}, {"UPF pps / kernel pps", "NOT met", 1400},
		{"UPF delivered pps", "met", 64}, {"UPF delivered pps", "NOT met", 64},
		{"UPF delivered pps", "n/a", 1400}, {"UPF delivered pps", "NOT met", 1400},
	}
	if len(got) != len(want) {
		t.Fatalf("targets %+v", got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Status != w.status || got[i].Size != w.size {
			t.Errorf("target %d = %+v, want %+v", i, got[i], w)
		}
	}
	if !strings.Contains(got[4].Note, "400 kpps") {
		t.Errorf("n/a note %q", got[4].Note)
	}
}

func TestCheckKernelSample(t *testing.T) {
	zero, noise, some := 0.0, 1.0, 12.0
	for _, tc := range []struct {
		s    Sample
		want string
	}{
		{Sample{Sent: 10, Received: 10, Forwarded: 10, UPFRxPackets: &zero}, ""},
		{Sample{Sent: 10, Received: 10, Forwarded: 25}, ""},
		{Sample{Sent: 1000, Received: 1000, Forwarded: 1000, UPFRxPackets: &noise}, ""},
		{Sample{Sent: 10}, "delivered nothing"},
		{Sample{Sent: 10, Received: 10, Forwarded: 3}, "forwarded only 3"},
		{Sample{Sent: 10, Received: 10, Forwarded: 10, UPFRxPackets: &some}, "the UPF process received 12 packets for 10"},
	} {
		err := checkKernelSample(tc.s, 64, dirUL)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestSnmpField(t *testing.T) {
	snmp := "Ip: Forwarding DefaultTTL InReceives ForwDatagrams\nIp: 1 64 100 42\nIcmp: InMsgs\nIcmp: 3\n"
	if n, err := snmpField(strings.NewReader(snmp), "Ip:", "ForwDatagrams"); n != 42 || err != nil {
		t.Errorf("ForwDatagrams = %d, %v", n, err)
	}
	if _, err := snmpField(strings.NewReader(snmp), "Ip:", "Nope"); err == nil {
		t.Error("a missing field read")
	}
	if _, err := snmpField(strings.NewReader("Ip: ForwDatagrams\n"), "Ip:", "ForwDatagrams"); err == nil {
		t.Error("names without values read")
	}
	if n, err := forwarded(os.Getpid()); err != nil {
		t.Errorf("our own forwarding counter: %d, %v", n, err)
	}
}

func TestSumMetric(t *testing.T) {
	text := `# HELP corebox_upf_rx_packets_total x
# TYPE corebox_upf_rx_packets_total counter
corebox_upf_rx_packets_total{direction="downlink"} 7
corebox_upf_rx_packets_total{direction="uplink"} 1.5e+06
corebox_upf_rx_packets_total_other 100
corebox_upf_rx_bytes_total{direction="uplink"} 9
`
	if sum, ok, err := sumMetric(strings.NewReader(text), "corebox_upf_rx_packets_total"); sum != 1500007 || !ok || err != nil {
		t.Errorf("sum = %v %v %v", sum, ok, err)
	}
	if _, ok, err := sumMetric(strings.NewReader(text), "corebox_upf_nope"); ok || err != nil {
		t.Errorf("absent metric: found %v, %v", ok, err)
	}
	if _, _, err := sumMetric(strings.NewReader("m{a=\"b\"} x\n"), "m"); err == nil {
		t.Error("a bad value read")
	}
}

// applySysctls writes only what differs and restoreSysctls puts back
// exactly that.
func TestApplyRestoreSysctls(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"all/rp_filter": "2\n", "n3/rp_filter": "0\n", "n3/accept_local": "0\n"}
	for k, v := range files {
		p := filepath.Join(dir, k)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(k string) string {
		b, err := os.ReadFile(filepath.Join(dir, k))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	changed, err := applySysctls(dir, []sysctl{{"all/rp_filter", "0"}, {"n3/rp_filter", "0"}, {"n3/accept_local", "1"}})
	if err != nil || !reflect.DeepEqual(changed, []sysctl{{"all/rp_filter", "2"}, {"n3/accept_local", "0"}}) {
		t.Fatalf("changed %v, %v", changed, err)
	}
	if read("all/rp_filter") != "0" || read("n3/accept_local") != "1" {
		t.Errorf("not applied")
	}
	if err := restoreSysctls(dir, changed); err != nil {
		t.Fatal(err)
	}
	if read("all/rp_filter") != "2" || read("n3/accept_local") != "0" || read("n3/rp_filter") != "0" {
		t.Errorf("not restored")
	}
	// A missing key undoes what was written before it.
	if _, err := applySysctls(dir, []sysctl{{"all/rp_filter", "0"}, {"n6/rp_filter", "0"}}); err == nil || read("all/rp_filter") != "2" {
		t.Errorf("missing key: %v, all/rp_filter %s", err, read("all/rp_filter"))
	}
}

// The bench never touches its own namespace's sysctls.
func TestOtherNetnsRefusesOurs(t *testing.T) {
	if _, err := otherNetns(os.Getpid()); err == nil || !strings.Contains(err.Error(), "our own network namespace") {
		t.Errorf("our own pid: %v", err)
	}
	if _, err := otherNetns(0); err == nil {
		t.Error("pid 0 accepted")
	}
	if _, err := setSysctls(os.Getpid(), kernelSysctls); err == nil {
		t.Error("setSysctls in our own namespace")
	}
}

func TestGenClient(t *testing.T) {
	var got genRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/gtpgen/run" || r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&got) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch got.Mode {
		case modeKernel:
			w.WriteHeader(http.StatusPreconditionFailed)
			w.Write([]byte(`{"error": "kernel mode cannot run here: accept_local"}`))
		case "empty":
			w.Write([]byte(`{"uplink": null}`))
		default:
			w.Write([]byte(`{"send_s": 1, "uplink": {"sent": 10, "received": 9, "loss_ratio": 0.1, "rx_pps": 9, "latency": {"p50_us": 4}}}`))
		}
	}))
	defer srv.Close()
	g := &genClient{base: srv.URL, http: srv.Client()}
	ctx := context.Background()
	res, err := g.run(ctx, genRequest{Sessions: 4, Duration: "1s", Size: 64, Direction: dirUL, Mode: modeGTP}, time.Minute)
	if err != nil || res.flow(dirUL).Received != 9 || res.flow(dirUL).Latency.P50Us != 4 || got.Sessions != 4 || got.Duration != "1s" {
		t.Fatalf("run: %+v, %v (request %+v)", res, err, got)
	}
	if _, err := g.run(ctx, genRequest{Direction: dirUL, Mode: modeKernel}, time.Minute); err == nil ||
		!strings.Contains(err.Error(), "412") || !strings.Contains(err.Error(), "accept_local") {
		t.Errorf("412: %v", err)
	}
	if _, err := g.run(ctx, genRequest{Direction: dirUL, Mode: "empty"}, time.Minute); err == nil || !strings.Contains(err.Error(), "no ul flow") {
		t.Errorf("no flow: %v", err)
	}
}

func TestLineWriter(t *testing.T) {
	var lines []string
	w := &lineWriter{emit: func(s string) { lines = append(lines, s) }}
	for _, part := range []string{"one\ntw", "o\n", "three"} {
		if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
			t.Fatal(n, err)
		}
	}
	w.Flush()
	if !reflect.DeepEqual(lines, []string{"one", "two", "three"}) {
		t.Errorf("lines %q", lines)
	}
}

// summarise takes each field's median and the ratio of the medians; no
// samples give a ratio of 0, never NaN.
func TestSummarise(t *testing.T) {
	res := &UPFResult{Cases: []UPFCase{
		{Size: 1400, Direction: dirUL,
			Kernel: Series{Samples: []Sample{{RxPPS: 100}, {RxPPS: 300}, {RxPPS: 200}}},
			UPF:    Series{Samples: []Sample{{RxPPS: 50}, {RxPPS: 150}, {RxPPS: 120}}}},
		{Size: 64, Direction: dirDL},
	}}
	res.summarise()
	if c := res.Cases[0]; c.Kernel.Median.RxPPS != 200 || c.UPF.Median.RxPPS != 120 || c.RatioPPS != 0.6 {
		t.Errorf("case %+v", c)
	}
	if r := res.Cases[1].RatioPPS; r != 0 || math.IsNaN(r) {
		t.Errorf("ratio without samples %v", r)
	}
	if len(res.Targets) != 3 || res.Targets[0].Status != "met" || res.Targets[0].Got != 0.6 {
		t.Errorf("targets %+v", res.Targets)
	}
}
