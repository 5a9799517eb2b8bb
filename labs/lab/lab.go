// Package lab is corebox's lab format and runner: a lab names the profile
// to bring up (the core plus simulator NFs), the subscribers to provision,
// and the steps to run against the simulators' control API
// (labs/simapi). The runner writes a report (labs/report).
package lab

import (
	"time"

	"github.com/corebox/corebox/labs/report"
)

// Lab is one lab file.
type Lab struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Profile is a shipped profile name or a path (relative to the lab
	// file) holding the core and the simulators.
	Profile string `yaml:"profile"`
	// Variables have defaults here and are overridden by --set; those the
	// profile declares are passed on to it.
	Variables   map[string]string `yaml:"variables"`
	Subscribers []Subscribers     `yaml:"subscribers"`
	// Extra are --set values the lab does not declare: they go to the
	// profile, which must declare them.
	Extra map[string]string `yaml:"-"`
	// Monitor samples time series while the steps run.
	Monitor *Monitor `yaml:"monitor"`
	Steps   []Step   `yaml:"steps"`

	// Source is where the lab was read from ("shipped:5g-basic", a path).
	Source string `yaml:"-"`
	// Dir is the lab file's directory ("" for shipped labs).
	Dir string `yaml:"-"`
}

// Subscribers is a range of SIMs provisioned into the profile's UDR.
type Subscribers struct {
	NF    string `yaml:"nf"` // the UDR's NF name (default udr)
	IMSI  string `yaml:"imsi"`
	Count int    `yaml:"count"`
	K     string `yaml:"k"`
	OP    string `yaml:"op"`
	OPc   string `yaml:"opc"`
	AMF   string `yaml:"amf"`
	SQN   string `yaml:"sqn"`
	DNN   string `yaml:"dnn"`
	// DNNs are further data networks (APNs) allowed, besides the
	// default dnn: [ims] for VoLTE.
	DNNs []string `yaml:"dnns"`
	SST  int      `yaml:"sst"`
	SD   string   `yaml:"sd"`
}

// Step is one entry of steps: exactly one action.
type Step struct {
	Name       string          `yaml:"name"`
	Register   *UEStep         `yaml:"register"`
	Session    *SessionStep    `yaml:"session"`
	Traffic    *TrafficStep    `yaml:"traffic"`
	Idle       *UEStep         `yaml:"idle"`
	Deregister *DeregisterStep `yaml:"deregister"`
	Assert     *AssertStep     `yaml:"assert"`
	Wait       *WaitStep       `yaml:"wait"`
	Scale      *ScaleStep      `yaml:"scale"`
	Resize     *ResizeStep     `yaml:"resize"`
	// IMSRegister and IMSDeregister act on the UEs' IMS registration.
	IMSRegister   *IMSStep  `yaml:"ims_register"`
	IMSDeregister *IMSStep  `yaml:"ims_deregister"`
	Call          *CallStep `yaml:"call"`
	// Await names an earlier background step to wait for.
	Await string `yaml:"await"`

	// Line is the step's line in the lab file.
	Line int `yaml:"-"`
}

// UEStep acts on the UEs of one simulator NF.
type UEStep struct {
	NF          string        `yaml:"nf"`
	Concurrency int           `yaml:"concurrency"`
	Timeout     time.Duration `yaml:"timeout"`
}

// SessionStep opens a PDU session per UE.
type SessionStep struct {
	UEStep `yaml:",inline"`
	DNN    string `yaml:"dnn"`
	SST    int    `yaml:"sst"`
	SD     string `yaml:"sd"`
	ID     int    `yaml:"id"`
}

// TrafficStep sends UDP echo traffic from every UE's session.
type TrafficStep struct {
	UEStep `yaml:",inline"`
	// Target is host:port; ${nf.net} names an instance's address.
	Target string `yaml:"target"`
	// Count requests per UE, or Duration/Interval of them.
	Count    int           `yaml:"count"`
	Duration time.Duration `yaml:"duration"`
	Interval time.Duration `yaml:"interval"`
	Size     int           `yaml:"size"`
	Wait     time.Duration `yaml:"wait"`
	// MaxLoss is the share of requests that may go unanswered before the
	// step fails (default 0: any loss fails it).
	MaxLoss float64 `yaml:"max_loss"`
	// Background starts the traffic and goes on with the next steps; an
	// await step (or the end of the steps) waits for it.
	Background bool `yaml:"background"`
}

// requests is how many echo requests each UE sends.
func (t TrafficStep) requests() int {
	if t.Duration > 0 && t.Interval > 0 {
		return max(1, int(t.Duration/t.Interval))
	}
	return t.Count
}

// IMSStep registers a simulator's UEs to the IMS, or deregisters them.
type IMSStep struct {
	UEStep `yaml:",inline"`
	// APN is the PDN connection SIP rides on (default ims).
	APN string `yaml:"apn"`
	TCP bool   `yaml:"tcp"`
}

// CallStep pairs the IMS-registered UEs of simulator NF (callers) with
// those of To (callees), in SUPI order; each pair calls, talks and hangs
// up.
type CallStep struct {
	UEStep `yaml:",inline"`
	To     string        `yaml:"to"`
	Talk   time.Duration `yaml:"talk"`
	// HangUp is who sends the BYE: caller (default) or callee.
	HangUp string `yaml:"hang_up"`
	// BearerWait bounds the wait for the QCI 1 bearer after the answer
	// and for its release after the BYE (default 5s).
	BearerWait time.Duration `yaml:"bearer_wait"`
	// Bearer requires every call leg's QCI 1 bearer, set up and released
	// (default true; false for SIP clients outside the EPC).
	Bearer *bool `yaml:"bearer"`
	// MaxLoss is the share of RTP packets either direction of any call
	// may lose before the step fails (default 0.01).
	MaxLoss *float64 `yaml:"max_loss"`
}

// DeregisterStep deregisters every UE.
type DeregisterStep struct {
	UEStep    `yaml:",inline"`
	SwitchOff bool `yaml:"switch_off"`
}

// AssertStep checks a metric of an earlier step or of a monitor series;
// the run fails when the value is outside [Min, Max]. With Of, the value
// checked is the ratio of the two (UPF packets counted / UE requests
// sent, say).
type AssertStep struct {
	Ref `yaml:",inline"`
	Of  *Ref     `yaml:"of"`
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// Ref names a value: Metric of the step named Step, or of the monitor
// series named Monitor.
type Ref struct {
	Step    string `yaml:"step"`
	Monitor string `yaml:"monitor"`
	Metric  string `yaml:"metric"`
}

// String is "sent of load" or "total of monitor.upf_ul".
func (r Ref) String() string {
	if r.Monitor != "" {
		return r.Metric + " of monitor." + r.Monitor
	}
	return r.Metric + " of " + r.Step
}

// WaitStep waits a fixed time (For), or until a condition holds (Until,
// polled, failing after Timeout).
type WaitStep struct {
	For     time.Duration `yaml:"for"`
	Until   *Condition    `yaml:"until"`
	Timeout time.Duration `yaml:"timeout"`
}

// Condition is on one NF: its replica count, or the sum of a metric over
// its running instances within [Min, Max].
type Condition struct {
	NF       string            `yaml:"nf"`
	Replicas *int              `yaml:"replicas"`
	Metric   string            `yaml:"metric"`
	Labels   map[string]string `yaml:"labels"`
	Min      *float64          `yaml:"min"`
	Max      *float64          `yaml:"max"`
}

// ScaleStep sets an NF's replica count.
type ScaleStep struct {
	NF       string `yaml:"nf"`
	Replicas *int   `yaml:"replicas"`
}

// ResizeStep changes one instance's CPU and memory limits in place.
type ResizeStep struct {
	NF    string   `yaml:"nf"`
	Index int      `yaml:"index"`
	CPUs  *float64 `yaml:"cpus"`
	// Memory is a size such as 256Mi; "0" lifts the limit.
	Memory string `yaml:"memory"`
}

// Monitor samples series every Interval while the steps run.
type Monitor struct {
	Interval time.Duration `yaml:"interval"`
	Series   []SeriesSpec  `yaml:"series"`
}

// SeriesSpec is one monitored quantity: a metric summed over an NF's
// running instances (Rate: its per-second increase), an NF's ready
// replicas, or the loss between two rate series.
type SeriesSpec struct {
	Name     string            `yaml:"name"`
	NF       string            `yaml:"nf"`
	NFs      []string          `yaml:"nfs"` // several NFs, summed (instead of nf)
	Metric   string            `yaml:"metric"`
	Labels   map[string]string `yaml:"labels"`
	Rate     bool              `yaml:"rate"`
	Scale    float64           `yaml:"scale"`
	Replicas bool              `yaml:"replicas"`
	Loss     *LossSpec         `yaml:"loss"`
}

// LossSpec names the rate series of requests sent and replies received.
type LossSpec struct {
	Sent     string `yaml:"sent"`
	Received string `yaml:"received"`
}

// Kind is the series' report kind.
func (s SeriesSpec) Kind() string {
	switch {
	case s.Replicas:
		return report.KindReplicas
	case s.Loss != nil:
		return report.KindLoss
	case s.Rate:
		return report.KindRate
	}
	return report.KindGauge
}

// Kind is the step's action name.
func (s Step) Kind() string {
	switch {
	case s.Register != nil:
		return "register"
	case s.Session != nil:
		return "session"
	case s.Traffic != nil:
		return "traffic"
	case s.Idle != nil:
		return "idle"
	case s.Deregister != nil:
		return "deregister"
	case s.Assert != nil:
		return "assert"
	case s.Wait != nil:
		return "wait"
	case s.Scale != nil:
		return "scale"
	case s.Resize != nil:
		return "resize"
	case s.Await != "":
		return "await"
	case s.IMSRegister != nil:
		return "ims_register"
	case s.IMSDeregister != nil:
		return "ims_deregister"
	case s.Call != nil:
		return "call"
	}
	return ""
}

// background says whether the step runs while the next ones do.
func (s Step) background() bool { return s.Traffic != nil && s.Traffic.Background }

// actions counts the actions set on a step (exactly one is valid).
func (s Step) actions() int {
	n := 0
	for _, set := range []bool{s.Register != nil, s.Session != nil, s.Traffic != nil, s.Idle != nil,
		s.Deregister != nil, s.Assert != nil, s.Wait != nil, s.Scale != nil, s.Resize != nil, s.Await != "",
		s.IMSRegister != nil, s.IMSDeregister != nil, s.Call != nil} {
		if set {
			n++
		}
	}
	return n
}

// nfNames are the NFs whose instances the series sums.
func (s SeriesSpec) nfNames() []string {
	if len(s.NFs) > 0 {
		return s.NFs
	}
	if s.NF == "" {
		return nil
	}
	return []string{s.NF}
}
