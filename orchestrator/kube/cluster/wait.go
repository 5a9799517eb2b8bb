package cluster

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// PollInterval is how often waits re-read the cluster.
var PollInterval = 500 * time.Millisecond

// WaitReady polls until every NF workload of the profile has its desired
// pods updated and ready, writing a line to progress whenever that changes.
func (c *Cluster) WaitReady(ctx context.Context, profile, ns string, progress io.Writer) error {
	last := ""
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		st, err := c.Status(ctx, profile, ns)
		if err != nil {
			return err
		}
		line, done := readiness(st)
		if line != last && progress != nil {
			fmt.Fprintln(progress, line)
			last = line
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s in %s: %s: %w", profile, ns, line, ctx.Err())
		case <-tick.C:
		}
	}
}

// readiness summarises a status: "ready 7/9 pods; waiting for upf 0/1, smf 0/1".
func readiness(st []NFStatus) (string, bool) {
	var ready, desired int32
	var waiting []string
	for _, s := range st {
		ready += min(s.Ready, s.Desired)
		desired += s.Desired
		if !s.done() {
			waiting = append(waiting, fmt.Sprintf("%s %d/%d", s.Name, s.Ready, s.Desired))
		}
	}
	line := fmt.Sprintf("ready %d/%d pods", ready, desired)
	if len(st) == 0 {
		line = "no workloads"
	}
	if len(waiting) > 0 {
		line += "; waiting for " + strings.Join(waiting, ", ")
	}
	return line, len(waiting) == 0
}
