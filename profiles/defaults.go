package profiles

import (
	"time"
)

// Defaults of the format (README.md lists them).
const (
	DefaultProbeInterval = 500 * time.Millisecond
	DefaultProbeTimeout  = time.Second
	DefaultDrainTimeout  = 30 * time.Second
	DefaultCooldown      = 60 * time.Second
	DefaultReadyPath     = "/readyz"
	DefaultDrainPath     = "/drain"
)

// fillDefaults completes what the profile leaves out. It runs before
// validation (which checks the completed values) and never reorders
// anything, so that paths still find their nodes.
func (v *validator) fillDefaults() {
	for i := range v.p.Networks {
		if v.p.Networks[i].Type == "" {
			v.p.Networks[i].Type = "bridge"
		}
	}
	for i := range v.p.NFs {
		nf := &v.p.NFs[i]
		path := joinIndex("nfs", i)
		if !v.set(path + ".replicas") {
			nf.Replicas = 1
			if nf.Scaling != nil && nf.Scaling.Min > 0 {
				nf.Replicas = nf.Scaling.Min
			}
		}
		if nf.Restart == "" {
			nf.Restart = RestartAlways
		}
		for j := range nf.DependsOn {
			if nf.DependsOn[j].Condition == "" {
				nf.DependsOn[j].Condition = ConditionReady
			}
		}
		v.readinessDefaults(nf, path+".readiness")
		v.drainDefaults(nf, path+".drain")
		if nf.Scaling != nil && !v.set(path+".scaling.cooldown") {
			nf.Scaling.Cooldown = DefaultCooldown
		}
	}
}

// readinessDefaults: a kind serves /readyz on the ops port; an image
// without a check is ready once started (Probe.None).
func (v *validator) readinessDefaults(nf *NF, path string) {
	r := &nf.Readiness
	if nf.Kind != "" && r.None() {
		r.HTTP = DefaultReadyPath
	}
	if r.HTTP != "" && r.Port == 0 {
		r.Port = OpsPort
	}
	if !v.set(path + ".interval") {
		r.Interval = DefaultProbeInterval
	}
	if !v.set(path + ".timeout") {
		r.Timeout = DefaultProbeTimeout
	}
}

// drainDefaults: a kind drains through /drain on the ops port; an image
// drains only when it names an endpoint.
func (v *validator) drainDefaults(nf *NF, path string) {
	d := &nf.Drain
	switch {
	case d.Disabled:
		return
	case nf.Kind == "" && d.HTTP == "":
		d.Disabled = true
		return
	case d.HTTP == "":
		d.HTTP = DefaultDrainPath
	}
	if d.Port == 0 {
		d.Port = OpsPort
	}
	if !v.set(path + ".timeout") {
		d.Timeout = DefaultDrainTimeout
	}
}

// None reports a probe with no check: the instance is ready once started.
func (p Probe) None() bool { return p.HTTP == "" && p.TCP == 0 && p.UDP == 0 }

// addMgmt adds the mgmt network (when the profile does not declare it) and
// an interface on it to every NF that lacks one, first, after validation.
func addMgmt(p *Profile) {
	has := false
	for _, n := range p.Networks {
		has = has || n.Name == MgmtNetwork
	}
	if !has {
		p.Networks = append([]Network{{Name: MgmtNetwork, Type: "bridge"}}, p.Networks...)
	}
	for i := range p.NFs {
		nf := &p.NFs[i]
		if !nf.on(MgmtNetwork) {
			nf.Interfaces = append([]Interface{{Network: MgmtNetwork}}, nf.Interfaces...)
		}
	}
}

// on reports whether the NF has an interface on the network.
func (nf *NF) on(network string) bool {
	for _, itf := range nf.Interfaces {
		if itf.Network == network {
			return true
		}
	}
	return false
}
