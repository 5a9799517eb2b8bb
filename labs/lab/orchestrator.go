package lab

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
)

// Orchestrator is what the runner uses of the daemon's API; *api.Client
// is one, and tests give a fake.
type Orchestrator interface {
	Apply(ctx context.Context, req api.ApplyRequest) (*controller.Plan, error)
	Status(ctx context.Context, name string, withStats bool) (*controller.Status, error)
	WaitProfileReady(ctx context.Context, name string, w io.Writer) error
	Scale(ctx context.Context, name string, replicas map[string]int) error
	Inspect(ctx context.Context, name string) (*container.Container, error)
	Resize(ctx context.Context, name string, res container.Resources) (*container.Container, error)
	Down(ctx context.Context, name string) error
	WaitRemoved(ctx context.Context, name string) error
}

var _ Orchestrator = (*api.Client)(nil)

// nfOf finds an NF in a status, naming the NFs there when it is missing.
func nfOf(st *controller.Status, nf string) (*controller.NFStatus, error) {
	var names []string
	for i := range st.NFs {
		if st.NFs[i].Name == nf {
			return &st.NFs[i], nil
		}
		names = append(names, st.NFs[i].Name)
	}
	return nil, fmt.Errorf("profile %s has no NF %q (NFs: %s)", st.Name, nf, strings.Join(names, ", "))
}

// running lists an NF's instances that are up and may carry traffic
// (starting, ready, or draining), with a mgmt address to scrape.
func running(nf *controller.NFStatus) []controller.InstanceStatus {
	var out []controller.InstanceStatus
	for _, in := range nf.Instances {
		switch in.Phase {
		case state.PhaseStarting, state.PhaseReady, state.PhaseDraining:
			if in.Addresses["mgmt"] != "" {
				out = append(out, in)
			}
		}
	}
	return out
}

// lockedWriter serialises progress lines from background steps.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
