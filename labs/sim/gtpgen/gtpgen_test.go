package gtpgen

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// TestBothDirectionsNoLoss runs traffic both ways through a real UPF at a
// modest rate: nothing is lost, every count agrees with the UPF's own, and
// the sessions are gone afterwards.
func TestBothDirectionsNoLoss(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, nil, nil)
	const sessions = 8
	res, err := l.gen.Generator().Run(ctxT(t), Params{Sessions: sessions, RatePPS: 2000,
		Duration: 500 * time.Millisecond, Size: 64, Direction: Both})
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*Flow{"uplink": res.Uplink, "downlink": res.Downlink} {
		if f == nil {
			t.Fatalf("no %s result: %+v", name, res)
		}
		// 2000 pps for 0.5 s: never more; less only if this machine
		// cannot keep up (the race detector on a loaded one).
		if f.Sent < 500 || f.Sent > 1000 {
			t.Errorf("%s sent %d, want up to 1000", name, f.Sent)
		}
		if f.Received != f.Sent || f.Lost != 0 || f.LossRatio != 0 || f.Duplicates != 0 || f.SendErrors != 0 {
			t.Errorf("%s: %+v, want everything received once", name, *f)
		}
		if f.Latency.Samples != f.Received || f.Latency.P50Us <= 0 || f.Latency.P50Us > f.Latency.P99Us ||
			f.Latency.P99Us > f.Latency.MaxUs || f.Latency.MinUs > f.Latency.P50Us {
			t.Errorf("%s latency %+v", name, f.Latency)
		}
		pps := float64(f.Received) / res.SendSeconds
		if math.Abs(f.RxPPS-pps) > 1e-6 || math.Abs(f.RxGbps-pps*64*8/1e9) > 1e-12 || res.SendSeconds < 0.5 {
			t.Errorf("%s rates: %v pps %v Gbps over %v s", name, f.RxPPS, f.RxGbps, res.SendSeconds)
		}
	}
	if res.Malformed != 0 || res.Stray != 0 {
		t.Errorf("malformed %d, stray %d", res.Malformed, res.Stray)
	}
	ul, dl := float64(res.Uplink.Sent), float64(res.Downlink.Sent)
	for series, want := range map[string]float64{
		`corebox_upf_rx_packets_total{direction="uplink"}`:   ul,
		`corebox_upf_tx_packets_total{direction="uplink"}`:   ul,
		`corebox_upf_tx_bytes_total{direction="uplink"}`:     ul * 64,
		`corebox_upf_rx_packets_total{direction="downlink"}`: dl,
		`corebox_upf_tx_packets_total{direction="downlink"}`: dl,
		`corebox_upf_pfcp_sessions_established_total`:        sessions,
		`corebox_upf_pfcp_sessions_deleted_total`:            sessions,
		`corebox_upf_sessions`:                               0,
	} {
		if got := metric(t, l.upf.Ops(), series); got != want {
			t.Errorf("UPF %s = %v, want %v", series, got, want)
		}
	}
	want := Usage{UplinkPackets: res.Uplink.Sent, UplinkBytes: res.Uplink.Sent * 64,
		DownlinkPackets: res.Downlink.Sent, DownlinkBytes: res.Downlink.Sent * 64}
	if res.UPFUsage != want {
		t.Errorf("UPF usage reports %+v, want %+v", res.UPFUsage, want)
	}
	for series, want := range map[string]float64{
		`corebox_gtpgen_sent_packets_total{direction="uplink"}`:       ul,
		`corebox_gtpgen_received_packets_total{direction="uplink"}`:   ul,
		`corebox_gtpgen_received_packets_total{direction="downlink"}`: dl,
		`corebox_gtpgen_lost_packets_total{direction="downlink"}`:     0,
		`corebox_gtpgen_sessions`:                                     0,
		`corebox_gtpgen_runs_total{result="ok"}`:                      1,
	} {
		if got := metric(t, l.gen.Ops(), series); got != want {
			t.Errorf("gtpgen %s = %v, want %v", series, got, want)
		}
	}
	if last := l.gen.Generator().Last(); last == nil || last.RunID != res.RunID {
		t.Errorf("Last() = %+v", last)
	}
}

// TestLossDetected drops every 10th packet on the N6 side in both
// directions: the result must count exactly those as lost.
func TestLossDetected(t *testing.T) {
	var lossy *lossyN6
	l := startLab(t, func(p N6Port) N6Port { lossy = &lossyN6{N6Port: p, every: 10}; return lossy }, nil)
	res, err := l.gen.Generator().Run(ctxT(t), Params{Sessions: 3, RatePPS: 1000, Duration: 300 * time.Millisecond, Size: 1400})
	if err != nil {
		t.Fatal(err)
	}
	ul, dl := res.Uplink, res.Downlink
	if ul.Lost == 0 || ul.Lost != lossy.droppedUL.Load() || ul.Received+ul.Lost != ul.Sent {
		t.Errorf("uplink %+v, dropped %d", *ul, lossy.droppedUL.Load())
	}
	if dl.Lost == 0 || dl.Lost != lossy.droppedDL.Load() || dl.Received+dl.Lost != dl.Sent {
		t.Errorf("downlink %+v, dropped %d", *dl, lossy.droppedDL.Load())
	}
	if want := float64(ul.Lost) / float64(ul.Sent); ul.LossRatio != want {
		t.Errorf("uplink loss ratio %v, want %v", ul.LossRatio, want)
	}
	// The UPF forwarded every downlink packet that reached it.
	if got := metric(t, l.upf.Ops(), `corebox_upf_tx_packets_total{direction="downlink"}`); got != float64(dl.Received) {
		t.Errorf("UPF sent %v downlink packets, gtpgen received %d", got, dl.Received)
	}
	if got := metric(t, l.gen.Ops(), `corebox_gtpgen_lost_packets_total{direction="uplink"}`); got != float64(ul.Lost) {
		t.Errorf("lost metric %v, want %d", got, ul.Lost)
	}
}

// TestWrongTEIDDetected makes the UPF encapsulate session 0's downlink
// toward a TEID gtpgen did not assign: those packets are lost and counted
// as mismatched, the other session's arrive.
func TestWrongTEIDDetected(t *testing.T) {
	l := startLab(t, nil, nil)
	g := l.gen.Generator()
	g.editRules = func(i int, s *pfcp.Session) {
		if i == 0 {
			s.FARs[1].Forwarding.OuterHeaderCreation.TEID += 1000
		}
	}
	res, err := g.Run(ctxT(t), Params{Sessions: 2, RatePPS: 1000, Duration: 300 * time.Millisecond, Size: 100, Direction: Downlink})
	if err != nil {
		t.Fatal(err)
	}
	if res.Uplink != nil {
		t.Errorf("a downlink run reported uplink %+v", res.Uplink)
	}
	dl := res.Downlink
	half := (dl.Sent + 1) / 2 // session 0 takes the odd one
	if dl.Lost != half || dl.Received != dl.Sent-half || res.Stray != half {
		t.Errorf("downlink %+v, stray %d; want session 0's %d lost", *dl, res.Stray, half)
	}
	if got := metric(t, l.gen.Ops(), `corebox_gtpgen_dropped_packets_total{reason="mismatch"}`); got != float64(half) {
		t.Errorf("mismatch drops %v, want %d", got, half)
	}
}

// TestStopDeletesSessions stops gtpgen during a run: the run ends and the
// UPF holds no session afterwards.
func TestStopDeletesSessions(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, nil, nil)
	done := make(chan error, 1)
	go func() {
		_, err := l.gen.Generator().Run(context.Background(), Params{Sessions: 20, RatePPS: 500, Duration: time.Minute, Size: 64})
		done <- err
	}()
	nfkittest.Eventually(t, wait, "sessions installed and traffic flowing", func() bool {
		return metric(t, l.upf.Ops(), "corebox_upf_sessions") == 20 &&
			metric(t, l.gen.Ops(), `corebox_gtpgen_received_packets_total{direction="downlink"}`) > 0
	})
	if err := l.run.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("run ended with %v, want cancelled", err)
	}
	if got := metric(t, l.upf.Ops(), "corebox_upf_sessions"); got != 0 {
		t.Errorf("UPF sessions after stop: %v", got)
	}
}

// TestRunRefusals: bad parameters name the field, a second run at once is
// refused, a draining generator starts nothing.
func TestRunRefusals(t *testing.T) {
	l := startLab(t, nil, nil)
	g := l.gen.Generator()
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{Sessions: 0, Duration: time.Second, Size: 64}, "sessions 0: want 1..65534"},
		{Params{Sessions: 1, Duration: time.Second, Size: 55}, "size 55: want an IP packet size of 56..9000"},
		{Params{Sessions: 1, Duration: 0, Size: 64}, "duration 0s"},
		{Params{Sessions: 1, Duration: time.Second, Size: 64, RatePPS: -1}, "rate_pps -1"},
		{Params{Sessions: 1, Duration: time.Second, Size: 64, Direction: "up"}, `direction "up": want ul, dl or both`},
	} {
		_, err := g.Run(ctxT(t), tc.p)
		if !errors.Is(err, ErrBadParams) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v, want %q", tc.p, err, tc.want)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := g.Run(ctxT(t), Params{Sessions: 1, RatePPS: 100, Duration: time.Second, Size: 64})
		done <- err
	}()
	nfkittest.Eventually(t, wait, "a run in progress", func() bool { return g.busy.Load() })
	if _, err := g.Run(ctxT(t), Params{Sessions: 1, Duration: time.Second, Size: 64}); !errors.Is(err, ErrBusy) {
		t.Errorf("second run: %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.gen.Ops().StartDrain()
	if _, err := g.Run(ctxT(t), Params{Sessions: 1, Duration: time.Second, Size: 64}); !errors.Is(err, ErrDraining) {
		t.Errorf("run while draining: %v", err)
	}
	if got := metric(t, l.upf.Ops(), "corebox_upf_pfcp_sessions_established_total"); got != 1 {
		t.Errorf("refused runs reached the UPF: %v sessions established", got)
	}
}
