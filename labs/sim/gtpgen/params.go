package gtpgen

import (
	"errors"
	"fmt"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// Direction says which way traffic flows in a run.
type Direction string

// Directions.
const (
	Uplink   Direction = "ul"   // N3 -> UPF -> N6
	Downlink Direction = "dl"   // N6 -> UPF -> N3
	Both     Direction = "both" // both at once, each at the rate
)

func (d Direction) has(x Direction) bool { return d == x || d == Both }

// Mode says what carries a run's packets.
type Mode string

// Modes.
const (
	// ModeGTP: the UPF's user plane, with PFCP sessions (the default).
	ModeGTP Mode = "gtp"
	// ModeKernel: the baseline, plain IPv4/UDP forwarded by the kernel of
	// the UPF's namespace, the UPF process left out (kernel.go).
	ModeKernel Mode = "kernel"
)

// Limits of a run.
const (
	// MinSize is the smallest IP packet: IPv4 and UDP headers and the probe.
	MinSize     = ipUDPLen + probeLen
	MaxSize     = 9000
	MaxRatePPS  = 100_000_000
	MaxDuration = 24 * time.Hour
)

// Params describe one run.
type Params struct {
	// Sessions is how many PFCP sessions (UEs) carry the traffic; in
	// kernel mode, how many probe streams (sequence spaces) it is split in.
	Sessions int
	// RatePPS is packets per second per direction, spread round robin
	// over the sessions; 0 sends as fast as possible.
	RatePPS int
	// Duration is how long packets are sent.
	Duration time.Duration
	// Size is the IP packet size in octets (what Gbps counts).
	Size int
	// Direction is ul, dl or both; empty means both.
	Direction Direction
	// Mode is gtp or kernel; empty means gtp.
	Mode Mode
}

// validate names the field at fault and what is allowed.
func (p Params) validate(maxSessions int) error {
	var errs []error
	if p.Sessions < 1 || p.Sessions > maxSessions {
		errs = append(errs, fmt.Errorf("sessions %d: want 1..%d (max_sessions)", p.Sessions, maxSessions))
	}
	if p.RatePPS < 0 || p.RatePPS > MaxRatePPS {
		errs = append(errs, fmt.Errorf("rate_pps %d: want 0 (as fast as possible) .. %d", p.RatePPS, MaxRatePPS))
	}
	if p.Duration <= 0 || p.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %v: want more than 0, at most %v", p.Duration, MaxDuration))
	}
	if p.Size < MinSize || p.Size > MaxSize {
		errs = append(errs, fmt.Errorf("size %d: want an IP packet size of %d..%d octets", p.Size, MinSize, MaxSize))
	}
	switch p.Direction {
	case Uplink, Downlink, Both:
	default:
		errs = append(errs, fmt.Errorf("direction %q: want ul, dl or both", p.Direction))
	}
	if p.Mode != ModeGTP && p.Mode != ModeKernel {
		errs = append(errs, fmt.Errorf("mode %q: want gtp (through the UPF) or kernel (the kernel forwarding baseline)", p.Mode))
	}
	return errors.Join(errs...)
}

// withDefaults fills in the optional fields.
func (p Params) withDefaults() Params {
	if p.Direction == "" {
		p.Direction = Both
	}
	if p.Mode == "" {
		p.Mode = ModeGTP
	}
	return p
}

// RunRequest is the body of POST /gtpgen/run.
type RunRequest struct {
	Sessions  int             `json:"sessions"`
	RatePPS   int             `json:"rate_pps"`
	Duration  simapi.Duration `json:"duration"`
	Size      int             `json:"size"`
	Direction Direction       `json:"direction,omitempty"`
	Mode      Mode            `json:"mode,omitempty"`
}

// Params converts the request.
func (r RunRequest) Params() Params {
	return Params{Sessions: r.Sessions, RatePPS: r.RatePPS, Duration: time.Duration(r.Duration),
		Size: r.Size, Direction: r.Direction, Mode: r.Mode}
}

// request is p as a RunRequest (the Result echoes it).
func (p Params) request() RunRequest {
	return RunRequest{Sessions: p.Sessions, RatePPS: p.RatePPS, Duration: simapi.Duration(p.Duration),
		Size: p.Size, Direction: p.Direction, Mode: p.Mode}
}

// Result is the outcome of a run (and the body POST /gtpgen/run and
// GET /gtpgen/last answer with).
type Result struct {
	Params  RunRequest `json:"params"`
	RunID   uint32     `json:"run_id"`
	Started time.Time  `json:"started"`
	// SetupSeconds is the time to establish the sessions, SendSeconds
	// the time spent sending (the rates' denominator), DrainSeconds the
	// wait for stragglers, TeardownSeconds the deletions.
	SetupSeconds    float64 `json:"setup_s"`
	SendSeconds     float64 `json:"send_s"`
	DrainSeconds    float64 `json:"drain_s"`
	TeardownSeconds float64 `json:"teardown_s"`
	Uplink          *Flow   `json:"uplink,omitempty"`
	Downlink        *Flow   `json:"downlink,omitempty"`
	// UPFUsage sums the usage reports the UPF sent when the sessions were
	// deleted: what it counted on its side (zero in kernel mode).
	UPFUsage Usage `json:"upf_usage"`
	// KernelPath describes, in kernel mode, the routes and output
	// interfaces the packets were sent with.
	KernelPath []string `json:"kernel_path,omitempty"`
	// Malformed and Stray count received packets dropped during the run:
	// undecodable ones, and well-formed ones of no session of this run.
	Malformed uint64 `json:"malformed"`
	Stray     uint64 `json:"stray"`
}

// Flow is one direction's outcome.
type Flow struct {
	Sent     uint64 `json:"sent"`
	Received uint64 `json:"received"` // distinct packets, duplicates excluded
	Lost     uint64 `json:"lost"`     // sent, never received
	// LossRatio is Lost/Sent.
	LossRatio  float64 `json:"loss_ratio"`
	Duplicates uint64  `json:"duplicates"`
	// OutOfOrder counts packets that arrived after a later one of their
	// session.
	OutOfOrder uint64 `json:"out_of_order"`
	SendErrors uint64 `json:"send_errors"`
	// Rates over the sending time: offered (tx) and delivered (rx).
	TxPPS   float64 `json:"tx_pps"`
	RxPPS   float64 `json:"rx_pps"`
	TxGbps  float64 `json:"tx_gbps"`
	RxGbps  float64 `json:"rx_gbps"`
	Latency Latency `json:"latency"`
}

// Latency summarises one-way latency (send to receive, in this process's
// monotonic clock) in microseconds.
type Latency struct {
	Samples uint64  `json:"samples"`
	MinUs   float64 `json:"min_us"`
	MeanUs  float64 `json:"mean_us"`
	P50Us   float64 `json:"p50_us"`
	P90Us   float64 `json:"p90_us"`
	P99Us   float64 `json:"p99_us"`
	MaxUs   float64 `json:"max_us"`
}

// Usage is traffic the UPF reported, per direction (inner IP octets).
type Usage struct {
	UplinkPackets   uint64 `json:"uplink_packets"`
	UplinkBytes     uint64 `json:"uplink_bytes"`
	DownlinkPackets uint64 `json:"downlink_packets"`
	DownlinkBytes   uint64 `json:"downlink_bytes"`
}
