// Package simapi is the control API of corebox's RAN/UE simulators: the
// requests the lab runner POSTs to a simulator's ops server (mgmt network,
// port 9090) and the per-UE results it gets back. The simulators serve it;
// the lab runner calls it; both use these types.
//
//	POST /ues/register    RegisterRequest   -> Results  (Detail: guti)
//	POST /ues/sessions    SessionRequest    -> Results  (Detail: UE address)
//	POST /ues/traffic     TrafficRequest    -> Results  (Traffic filled)
//	POST /ues/deregister  DeregisterRequest -> Results
//	POST /ues/idle        IdleRequest       -> Results  (UE context released, CM-IDLE)
//	GET  /ues                               -> []UEState
//
// ims.go has the IMS (VoLTE) requests.
//
// A request acts on every UE of the simulator unless UEs names some (by
// SUPI). A step that fails for one UE does not stop the others; each UE's
// outcome is in Results. A malformed request answers 400 with
// {"error": "..."}.
package simapi

import (
	"fmt"
	"time"
)

// Paths of the control API.
const (
	PathRegister   = "/ues/register"
	PathSessions   = "/ues/sessions"
	PathTraffic    = "/ues/traffic"
	PathDeregister = "/ues/deregister"
	PathIdle       = "/ues/idle"
	PathUEs        = "/ues"
)

// Selector picks UEs; empty means all of them.
type Selector struct {
	UEs []string `json:"ues,omitempty"` // SUPIs, "imsi-001010000000001"
	// Concurrency bounds how many UEs run the step at once (0: all).
	Concurrency int `json:"concurrency,omitempty"`
	// Timeout bounds the whole step for each UE ("10s"; empty: 30s).
	Timeout Duration `json:"timeout,omitempty"`
}

// RegisterRequest registers UEs (initial registration with SUCI, 5G-AKA,
// security mode).
type RegisterRequest struct {
	Selector
}

// SessionRequest opens one PDU session per UE.
type SessionRequest struct {
	Selector
	DNN string `json:"dnn"`
	SST int    `json:"sst"`
	SD  string `json:"sd,omitempty"`
	// ID is the PDU session ID (1..15; 0: 1).
	ID int `json:"id,omitempty"`
}

// TrafficRequest sends UDP echo requests from each UE's session address to
// Target and waits for the replies.
type TrafficRequest struct {
	Selector
	Target   string   `json:"target"` // host:port of a UDP echo server on the DN
	Count    int      `json:"count"`
	Interval Duration `json:"interval"`
	Size     int      `json:"size"` // UDP payload bytes
	// Wait is how long to wait for the last reply after the last send.
	Wait Duration `json:"wait,omitempty"`
}

// DeregisterRequest deregisters UEs (UE-originating, normal).
type DeregisterRequest struct {
	Selector
	SwitchOff bool `json:"switch_off,omitempty"`
}

// IdleRequest asks the gNB side to release UEs' contexts (CM-IDLE).
type IdleRequest struct {
	Selector
}

// Results is the answer to every step request.
type Results struct {
	Step    string     `json:"step"`
	Started time.Time  `json:"started"`
	Elapsed Duration   `json:"elapsed"`
	UEs     []UEResult `json:"ues"`
}

// UEResult is one UE's outcome of a step.
type UEResult struct {
	SUPI string `json:"supi"`
	OK   bool   `json:"ok"`
	// Error says what failed (a NAS cause by name, a timeout, ...).
	Error string `json:"error,omitempty"`
	// Millis is how long the step took for this UE.
	Millis float64 `json:"ms"`
	// Detail is step-specific: the 5G-GUTI, the session address.
	Detail  string          `json:"detail,omitempty"`
	Traffic *TrafficOutcome `json:"traffic,omitempty"`
	Call    *CallOutcome    `json:"call,omitempty"`
}

// TrafficOutcome counts one UE's echo exchange.
type TrafficOutcome struct {
	Sent     int       `json:"sent"`
	Received int       `json:"received"`
	RTTMs    []float64 `json:"rtt_ms"` // one per reply, in arrival order
	// LastSendMs and LastReplyMs are when the UE sent its last request and
	// got its last reply, in ms since its first send (LastReplyMs is 0
	// without replies). A reply gap before the last send shows a session
	// whose traffic stopped mid-step (a broken session).
	LastSendMs  float64 `json:"last_send_ms"`
	LastReplyMs float64 `json:"last_reply_ms,omitempty"`
}

// UEState is one UE as the simulator sees it.
type UEState struct {
	SUPI      string   `json:"supi"`
	State     string   `json:"state"` // deregistered, registered, idle
	GUTI      string   `json:"guti,omitempty"`
	Sessions  []int    `json:"sessions,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
	// IMPU is the UE's public identity while it is registered to the IMS.
	IMPU string `json:"impu,omitempty"`
}

// Failed counts the UEs whose step failed.
func (r Results) Failed() int {
	n := 0
	for _, u := range r.UEs {
		if !u.OK {
			n++
		}
	}
	return n
}

// Duration is a time.Duration written as "1.5s" in JSON.
type Duration time.Duration

// MarshalText writes d like time.Duration.String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "250ms", "2s" ...
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// Or returns d, or def when d is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}
