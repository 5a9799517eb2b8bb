package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
)

// failPatience is how long WaitProfileReady keeps waiting while an instance
// cannot be created at all (a missing image, no capacity): the controller
// keeps retrying, but the user learns now.
const failPatience = 10 * time.Second

// pollEvery is how often the waits below read the profile's status.
const pollEvery = 200 * time.Millisecond

// WaitProfileReady follows a profile's status until every instance is
// ready, printing each NF's progress to w when it changes.
func (c *Client) WaitProfileReady(ctx context.Context, name string, w io.Writer) error {
	last := map[string]string{}
	failing := map[string]time.Time{}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	start := time.Now()
	timedOut := func() error {
		return fmt.Errorf("%s not ready: %w (see `corebox status %s` and `corebox events`)", name, ctx.Err(), name)
	}
	for {
		st, err := c.Status(ctx, name, false)
		if err != nil {
			if ctx.Err() != nil {
				return timedOut()
			}
			return err
		}
		for _, nf := range st.NFs {
			line := fmt.Sprintf("%d/%d ready", nf.Ready, nf.Desired)
			if why := firstProblem(nf); why != "" && nf.Ready < nf.Desired {
				line += " (" + why + ")"
			}
			if last[nf.Name] != line {
				last[nf.Name] = line
				fmt.Fprintf(w, "  %6.1fs  %-12s %s\n", time.Since(start).Seconds(), nf.Name, line)
			}
		}
		if st.Ready {
			fmt.Fprintf(w, "%s ready in %.1fs\n", name, time.Since(start).Seconds())
			return nil
		}
		if err := stuck(st, failing); err != nil {
			return fmt.Errorf("%s: %w; the controller keeps retrying (see `corebox events --profile %s`)", name, err, name)
		}
		select {
		case <-ctx.Done():
			return timedOut()
		case <-tick.C:
		}
	}
}

// WaitRemoved polls until the daemon no longer knows the profile.
func (c *Client) WaitRemoved(ctx context.Context, name string) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if _, err := c.Status(ctx, name, false); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not removed: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
}

// stuck reports instances that have failed to be created for failPatience.
func stuck(st *controller.Status, since map[string]time.Time) error {
	var errs []error
	for _, nf := range st.NFs {
		for _, in := range nf.Instances {
			if in.Phase != state.PhaseFailed {
				delete(since, in.Name)
				continue
			}
			if _, ok := since[in.Name]; !ok {
				since[in.Name] = time.Now()
			}
			if time.Since(since[in.Name]) >= failPatience {
				errs = append(errs, fmt.Errorf("%s cannot be created: %s", in.Name, in.Message))
			}
		}
	}
	return errors.Join(errs...)
}

func firstProblem(nf controller.NFStatus) string {
	for _, in := range nf.Instances {
		if in.Phase != state.PhaseReady && in.Message != "" {
			return in.Name + ": " + in.Message
		}
	}
	return ""
}
