// Package lab is corebox's lab format and runner: a lab names the profile
// to bring up (the core plus simulator NFs), the subscribers to provision,
// and the steps to run against the simulators' control API
// (labs/simapi). The runner writes a report (labs/report).
package lab

import (
	"time"

	"gopkg.in/yaml.v3"
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
	Steps []Step            `yaml:"steps"`

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
	SST   int    `yaml:"sst"`
	SD    string `yaml:"sd"`
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

	// Line is the step's line in the lab file.
	Line int `yaml:"-"`
}

// UnmarshalYAML records the step's line for error messages.
func (s *Step) UnmarshalYAML(n *yaml.Node) error {
	type plain Step
	if err := n.Decode((*plain)(s)); err != nil {
		return err
	}
	s.Line = n.Line
	return nil
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
	Target   string        `yaml:"target"`
	Count    int           `yaml:"count"`
	Interval time.Duration `yaml:"interval"`
	Size     int           `yaml:"size"`
	Wait     time.Duration `yaml:"wait"`
}

// DeregisterStep deregisters every UE.
type DeregisterStep struct {
	UEStep    `yaml:",inline"`
	SwitchOff bool `yaml:"switch_off"`
}

// AssertStep checks a metric of an earlier step; the run fails when the
// value is outside [Min, Max].
type AssertStep struct {
	Step   string   `yaml:"step"`
	Metric string   `yaml:"metric"`
	Min    *float64 `yaml:"min"`
	Max    *float64 `yaml:"max"`
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
	}
	return ""
}

// actions counts the actions set on a step (exactly one is valid).
func (s Step) actions() int {
	n := 0
	for _, set := range []bool{s.Register != nil, s.Session != nil, s.Traffic != nil, s.Idle != nil,
		s.Deregister != nil, s.Assert != nil} {
		if set {
			n++
		}
	}
	return n
}
