package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/profiles"
)

// Directions and paths of the UPF benchmark (gtpgen's names).
const (
	dirUL      = "ul"
	dirDL      = "dl"
	modeKernel = "kernel"
	modeGTP    = "gtp"
)

// Targets of the issue: at 1400 B the UPF delivers at least half the
// kernel baseline's pps; and 415 kpps per direction where the baseline
// itself gets there.
const (
	TargetRatio1400 = 0.5
	TargetPPS       = 415_000
)

// Baseline says what the kernel figures measure.
const Baseline = "plain IPv4/UDP of the same size through the same sockets, veths and bridges, " +
	"forwarded by the kernel of the UPF's namespace (ip_forward) with the UPF process idle: " +
	"uplink from gen's n3 to gen's n6 address via the UPF's n3, downlink from gen's n6 to gen's n3 address via the UPF's n6. " +
	"Over veths the kernel forwards on the sending CPU, so the baseline's forwarding runs on gen's CPUs, not the UPF's"

// UPFConfig says what `corebox bench upf` measures.
type UPFConfig struct {
	Client *api.Client
	// Profile is upfbench (NFs upf and gen), variables applied; Set is
	// what was set on the command line.
	Profile  *profiles.Profile
	Set      map[string]string
	ImageTag string
	Runs     int
	Duration time.Duration
	Sessions int
	Sizes    []int // IP packet sizes; default 64 and 1400
	// Keep leaves the profile up afterwards.
	Keep     bool
	Progress func(string)
	// HTTP reaches the NFs' ops ports (nil: a default client).
	HTTP *http.Client
}

// UPFResult is the benchmark's report: per case the kernel baseline and
// the UPF, measured interleaved in the same run, and the targets.
type UPFResult struct {
	Profile   string `json:"profile"`
	UPFImage  string `json:"upf_image"`
	UPFCPUSet string `json:"upf_cpuset,omitempty"`
	GenCPUSet string `json:"gen_cpuset,omitempty"`
	// LoadAvg is /proc/loadavg before and after: the machine's load
	// beside the bench (its figures are relative to it).
	LoadAvg    [2]string `json:"loadavg"`
	Runs       int       `json:"runs"`
	Duration   string    `json:"duration"`
	Sessions   int       `json:"sessions"`
	Baseline   string    `json:"baseline"`
	KernelPath []string  `json:"kernel_path"`
	Cases      []UPFCase `json:"cases"`
	Targets    []Target  `json:"targets"`
}

// UPFCase is one packet size and direction.
type UPFCase struct {
	Size      int    `json:"size"`
	Direction string `json:"direction"`
	Kernel    Series `json:"kernel"`
	UPF       Series `json:"upf"`
	// RatioPPS is the UPF's median delivered pps over the kernel's.
	RatioPPS float64 `json:"ratio_pps"`
}

// Series is one path's samples and their medians, field by field.
type Series struct {
	Median  Sample   `json:"median"`
	Samples []Sample `json:"samples"`
}

// Sample is one run of one case, flat out.
type Sample struct {
	Sent      uint64  `json:"sent"`
	Received  uint64  `json:"received"`
	TxPPS     float64 `json:"tx_pps"`
	RxPPS     float64 `json:"rx_pps"` // delivered
	RxGbps    float64 `json:"rx_gbps"`
	LossRatio float64 `json:"loss_ratio"`
	P50Us     float64 `json:"p50_us"`
	P99Us     float64 `json:"p99_us"`
	// Forwarded is what the kernel of the UPF's namespace forwarded
	// during the run (IP ForwDatagrams).
	Forwarded uint64 `json:"upf_netns_forwarded"`
	// UPFRxPackets is what the UPF process received during the run
	// (corebox_upf_rx_packets_total), when it exports it.
	UPFRxPackets *float64 `json:"upf_rx_packets,omitempty"`
}

// Target is one target, judged on the medians.
type Target struct {
	Name      string  `json:"name"`
	Size      int     `json:"size"`
	Direction string  `json:"direction"`
	Want      float64 `json:"want"`
	Got       float64 `json:"got"`
	// Status is met, NOT met, or n/a (the baseline itself is below it).
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// UPF brings the profile up (or finds it up), measures every case, and
// brings it down again unless cfg.Keep.
func UPF(ctx context.Context, cfg UPFConfig) (res *UPFResult, err error) {
	cfg = cfg.withDefaults()
	if cfg.Duration <= 0 || cfg.Sessions < 1 {
		return nil, fmt.Errorf("bench: duration %v and sessions %d: want both above 0", cfg.Duration, cfg.Sessions)
	}
	if err := cfg.apply(ctx); err != nil {
		return nil, err
	}
	if !cfg.Keep { // also when it never gets ready
		defer func() { err = errors.Join(err, cfg.down()) }()
	}
	if err := cfg.waitReady(ctx); err != nil {
		return nil, err
	}
	b, err := cfg.newUPFBench(ctx)
	if err != nil {
		return nil, err
	}
	res = &UPFResult{Profile: cfg.Profile.Name, UPFImage: b.upfImage, UPFCPUSet: b.upf.CPUSet, GenCPUSet: b.genCPUSet,
		Runs: cfg.Runs, Duration: cfg.Duration.String(), Sessions: cfg.Sessions, Baseline: Baseline}
	res.LoadAvg[0] = loadAvg()
	defer func() { res.LoadAvg[1] = loadAvg() }()
	for _, size := range cfg.Sizes {
		for _, dir := range []string{dirUL, dirDL} {
			res.Cases = append(res.Cases, UPFCase{Size: size, Direction: dir})
		}
	}
	for run := range cfg.Runs {
		for i := range res.Cases {
			if err := b.measure(ctx, &res.Cases[i], run, res); err != nil {
				return res, err
			}
		}
	}
	res.summarise()
	return res, nil
}

// summarise computes the medians, ratios and targets from the samples.
func (res *UPFResult) summarise() {
	for i := range res.Cases {
		c := &res.Cases[i]
		c.Kernel.Median, c.UPF.Median = medianSample(c.Kernel.Samples), medianSample(c.UPF.Samples)
		c.RatioPPS = 0
		if k := c.Kernel.Median.RxPPS; k > 0 { // always after a run: a kernel sample delivers (checkKernelSample)
			c.RatioPPS = c.UPF.Median.RxPPS / k
		}
	}
	res.Targets = judge(res.Cases)
}

func (cfg UPFConfig) withDefaults() UPFConfig {
	if len(cfg.Sizes) == 0 {
		cfg.Sizes = []int{64, 1400}
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Progress == nil {
		cfg.Progress = func(string) {}
	}
	cfg.Runs = max(cfg.Runs, 1)
	return cfg
}

// apply brings the profile up, or keeps it as it is when it is up as
// asked.
func (cfg UPFConfig) apply(ctx context.Context) error {
	plan, err := cfg.Client.Apply(ctx, api.ApplyRequest{Profile: *cfg.Profile, Set: cfg.Set, ImageTag: cfg.ImageTag})
	if err != nil {
		return fmt.Errorf("bench: up %s: %w", cfg.Profile.Name, err)
	}
	cfg.Progress(fmt.Sprintf("profile %s: %s", cfg.Profile.Name, plan.Summary()))
	return nil
}

func (cfg UPFConfig) waitReady(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	w := &lineWriter{emit: cfg.Progress}
	defer w.Flush()
	return cfg.Client.WaitProfileReady(wctx, cfg.Profile.Name, w)
}

// down removes the profile even when ctx has ended.
func (cfg UPFConfig) down() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cfg.Client.Down(ctx, cfg.Profile.Name)
	if err == nil {
		err = cfg.Client.WaitRemoved(ctx, cfg.Profile.Name)
	}
	if err != nil {
		return fmt.Errorf("bench: down %s: %w (run `corebox down %s`)", cfg.Profile.Name, err, cfg.Profile.Name)
	}
	cfg.Progress(fmt.Sprintf("profile %s removed", cfg.Profile.Name))
	return nil
}

// upfBench is a running upfbench profile: its gen and its UPF.
type upfBench struct {
	cfg       UPFConfig
	gen       *genClient
	genPid    int
	genCPUSet string
	upf       controller.InstanceStatus
	upfOps    string
	upfImage  string
}

func (cfg UPFConfig) newUPFBench(ctx context.Context) (*upfBench, error) {
	st, err := cfg.Client.Status(ctx, cfg.Profile.Name, false)
	if err != nil {
		return nil, fmt.Errorf("bench: status of %s: %w", cfg.Profile.Name, err)
	}
	gen, _, err := instanceOf(st, "gen")
	if err != nil {
		return nil, err
	}
	upf, image, err := instanceOf(st, "upf")
	if err != nil {
		return nil, err
	}
	b := &upfBench{cfg: cfg, genPid: gen.Pid, genCPUSet: gen.CPUSet, upf: upf, upfImage: image,
		gen: &genClient{base: opsURL(gen.Addresses["mgmt"]), http: cfg.HTTP}, upfOps: opsURL(upf.Addresses["mgmt"])}
	return b, nil
}

// instanceOf is NF name's first instance, which must be ready and have a
// pid and a mgmt address.
func instanceOf(st *controller.Status, name string) (controller.InstanceStatus, string, error) {
	for _, nf := range st.NFs {
		if nf.Name != name {
			continue
		}
		if len(nf.Instances) == 0 || nf.Instances[0].Pid == 0 || nf.Instances[0].Addresses["mgmt"] == "" {
			return controller.InstanceStatus{}, "", fmt.Errorf("bench: %s: %s has no running instance with a mgmt address", st.Name, name)
		}
		return nf.Instances[0], nf.Image, nil
	}
	return controller.InstanceStatus{}, "", fmt.Errorf("bench: profile %s has no NF %q (want upf and gen, as upfbench)", st.Name, name)
}

// measure takes one sample of each path for case c; which goes first
// alternates from run to run, so a drift in load hits both alike.
func (b *upfBench) measure(ctx context.Context, c *UPFCase, run int, res *UPFResult) error {
	modes := []string{modeKernel, modeGTP}
	if run%2 == 1 {
		modes[0], modes[1] = modes[1], modes[0]
	}
	for _, mode := range modes {
		s, path, err := b.sample(ctx, c.Size, c.Direction, mode)
		if err != nil {
			return err
		}
		series, name := &c.UPF, "upf"
		if mode == modeKernel {
			series, name = &c.Kernel, "kernel"
			for _, leg := range path {
				if !slices.Contains(res.KernelPath, leg) {
					res.KernelPath = append(res.KernelPath, leg)
				}
			}
		}
		series.Samples = append(series.Samples, s)
		b.cfg.Progress(fmt.Sprintf("run %d/%d %5d B %s %-6s %9.1f kpps %7.3f Gbps  loss %5.1f%%  p50 %7.0f µs  p99 %7.0f µs",
			run+1, b.cfg.Runs, c.Size, c.Direction, name, s.RxPPS/1e3, s.RxGbps, 100*s.LossRatio, s.P50Us, s.P99Us))
	}
	return nil
}

// sample runs gtpgen once, flat out. A kernel run gets its sysctls in
// gen's namespace for its length only, and must be seen forwarded by the
// UPF's namespace and not received by the UPF process.
func (b *upfBench) sample(ctx context.Context, size int, dir, mode string) (s Sample, path []string, err error) {
	if mode == modeKernel {
		set, serr := setSysctls(b.genPid, kernelSysctls)
		if serr != nil {
			return s, nil, serr
		}
		defer func() { err = errors.Join(err, set.restore()) }()
	}
	rx0, rxOK, err := upfRxPackets(ctx, b.cfg.HTTP, b.upfOps)
	if err != nil {
		return s, nil, err
	}
	fwd0, err := forwarded(b.upf.Pid)
	if err != nil {
		return s, nil, err
	}
	req := genRequest{Sessions: b.cfg.Sessions, Duration: b.cfg.Duration.String(), Size: size, Direction: dir, Mode: mode}
	res, err := b.gen.run(ctx, req, b.cfg.Duration+2*time.Minute)
	if err != nil {
		return s, nil, err
	}
	fwd1, err := forwarded(b.upf.Pid)
	if err != nil {
		return s, nil, err
	}
	rx1, _, err := upfRxPackets(ctx, b.cfg.HTTP, b.upfOps)
	if err != nil {
		return s, nil, err
	}
	f := res.flow(dir)
	s = Sample{Sent: f.Sent, Received: f.Received, TxPPS: f.TxPPS, RxPPS: f.RxPPS, RxGbps: f.RxGbps,
		LossRatio: f.LossRatio, P50Us: f.Latency.P50Us, P99Us: f.Latency.P99Us, Forwarded: fwd1 - fwd0}
	if rxOK {
		d := rx1 - rx0
		s.UPFRxPackets = &d
	}
	if mode == modeKernel {
		err = checkKernelSample(s, size, dir)
	}
	return s, res.KernelPath, err
}

// idleShare is the most the UPF process may receive during a kernel run,
// as a share of what the baseline delivered: its TUN sees a little of the
// kernel's own traffic (IPv6 router solicitations, say), never ours.
const idleShare = 0.01

// checkKernelSample refuses a baseline that measured something else: one
// that delivered nothing, that the UPF's namespace did not forward, or
// that the UPF process saw.
func checkKernelSample(s Sample, size int, dir string) error {
	switch {
	case s.Received == 0:
		return fmt.Errorf("bench: kernel baseline %d B %s delivered nothing (sent %d)", size, dir, s.Sent)
	case s.Forwarded < s.Received:
		return fmt.Errorf("bench: kernel baseline %d B %s: gen received %d packets, the UPF's namespace forwarded only %d: they took another path",
			size, dir, s.Received, s.Forwarded)
	case s.UPFRxPackets != nil && *s.UPFRxPackets > idleShare*float64(s.Received):
		return fmt.Errorf("bench: kernel baseline %d B %s: the UPF process received %.0f packets for %d delivered: not kernel forwarding alone",
			size, dir, *s.UPFRxPackets, s.Received)
	}
	return nil
}

// medianSample is the median of each field over the samples.
func medianSample(ss []Sample) Sample {
	field := func(get func(Sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = get(s)
		}
		return medianOf(v)
	}
	m := Sample{
		Sent:      uint64(field(func(s Sample) float64 { return float64(s.Sent) })),
		Received:  uint64(field(func(s Sample) float64 { return float64(s.Received) })),
		TxPPS:     field(func(s Sample) float64 { return s.TxPPS }),
		RxPPS:     field(func(s Sample) float64 { return s.RxPPS }),
		RxGbps:    field(func(s Sample) float64 { return s.RxGbps }),
		LossRatio: field(func(s Sample) float64 { return s.LossRatio }),
		P50Us:     field(func(s Sample) float64 { return s.P50Us }),
		P99Us:     field(func(s Sample) float64 { return s.P99Us }),
		Forwarded: uint64(field(func(s Sample) float64 { return float64(s.Forwarded) })),
	}
	if len(ss) > 0 && !slices.ContainsFunc(ss, func(s Sample) bool { return s.UPFRxPackets == nil }) {
		rx := field(func(s Sample) float64 { return *s.UPFRxPackets })
		m.UPFRxPackets = &rx
	}
	return m
}

// medianOf is the middle value (the mean of the two middle ones for an
// even count); 0 for none.
func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// judge marks each target met or not on the medians.
func judge(cases []UPFCase) []Target {
	var out []Target
	status := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	for _, c := range cases {
		if c.Size == 1400 {
			out = append(out, Target{Name: "UPF pps / kernel pps", Size: c.Size, Direction: c.Direction,
				Want: TargetRatio1400, Got: c.RatioPPS, Status: status(c.RatioPPS >= TargetRatio1400)})
		}
	}
	for _, c := range cases {
		t := Target{Name: "UPF delivered pps", Size: c.Size, Direction: c.Direction, Want: TargetPPS, Got: c.UPF.Median.RxPPS}
		if k := c.Kernel.Median.RxPPS; k < TargetPPS {
			t.Status, t.Note = "n/a", fmt.Sprintf("the kernel baseline itself delivers %.0f kpps", k/1e3)
		} else {
			t.Status = status(t.Got >= TargetPPS)
		}
		out = append(out, t)
	}
	return out
}

// lineWriter hands each complete line written to it to emit.
type lineWriter struct {
	emit func(string)
	buf  bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil { // no newline yet: keep the part
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.emit(line[:len(line)-1])
	}
}

// Flush emits a last line without a newline.
func (w *lineWriter) Flush() {
	if w.buf.Len() > 0 {
		w.emit(w.buf.String())
		w.buf.Reset()
	}
}

// loadAvg is the first three fields of /proc/loadavg, or why not.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown: " + err.Error()
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
