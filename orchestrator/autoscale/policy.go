// Package autoscale decides how many replicas an NF should run from a
// metric its replicas export, and scrapes that metric from their
// Prometheus /metrics endpoints.
package autoscale

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/corebox/corebox/profiles"
)

// DefaultTolerance is the hysteresis band around the target within which
// replicas are left alone (Kubernetes' HPA uses the same 10%).
const DefaultTolerance = 0.1

// Policy keeps Metric per replica near Target; it mirrors profiles.Scaling.
type Policy struct {
	Min, Max int
	Metric   string
	Target   float64
	// Cooldown is the least time between two changes (either direction).
	Cooldown time.Duration
	// Tolerance is the relative band |average/target − 1| that causes no
	// change; 0 means DefaultTolerance.
	Tolerance float64
}

// FromProfile turns a profile's scaling section into a Policy.
func FromProfile(s profiles.Scaling) Policy {
	return Policy{Min: s.Min, Max: s.Max, Metric: s.Metric, Target: s.Target, Cooldown: s.Cooldown}
}

// Validate says what is wrong with p, if anything.
func (p Policy) Validate() error {
	var errs []error
	if p.Min < 0 {
		errs = append(errs, fmt.Errorf("min %d is negative", p.Min))
	}
	if p.Max < 1 || p.Max < p.Min {
		errs = append(errs, fmt.Errorf("max %d must be at least 1 and at least min %d", p.Max, p.Min))
	}
	if p.Metric == "" {
		errs = append(errs, errors.New("no metric named"))
	}
	if !(p.Target > 0) || math.IsInf(p.Target, 0) {
		errs = append(errs, fmt.Errorf("target %v must be a finite number above 0", p.Target))
	}
	if p.Cooldown < 0 {
		errs = append(errs, fmt.Errorf("cooldown %v is negative", p.Cooldown))
	}
	if p.Tolerance < 0 || p.Tolerance >= 1 || math.IsNaN(p.Tolerance) {
		errs = append(errs, fmt.Errorf("tolerance %v must be in [0, 1)", p.Tolerance))
	}
	return errors.Join(errs...)
}
