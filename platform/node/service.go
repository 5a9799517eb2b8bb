package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/runtime"
)

// Config wires a Node to its parts.
type Config struct {
	StateRoot string
	Runtime   *runtime.Runtime
	Images    Images
	Networks  Networks
	Log       *slog.Logger
}

// Node owns the containers of one state root.
type Node struct {
	root string
	rt   *runtime.Runtime
	img  Images
	nets Networks
	log  *slog.Logger

	mu     sync.Mutex
	byName map[string]*entry
}

// entry serialises the operations on one container.
type entry struct {
	mu sync.Mutex
	c  *container.Container
}

// New opens the node and adopts the containers its records describe:
// running ones are left running, and runs interrupted by a crash are undone.
func New(ctx context.Context, cfg Config) (*Node, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	n := &Node{root: cfg.StateRoot, rt: cfg.Runtime, img: cfg.Images, nets: cfg.Networks, log: log, byName: map[string]*entry{}}
	for _, d := range []string{"containers", "netns", "volumes"} {
		if err := os.MkdirAll(filepath.Join(n.root, d), 0o700); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
	}
	records, err := n.loadAll()
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	for _, c := range records {
		if c.Phase != container.PhaseStarted {
			n.log.Warn("undoing an interrupted run", "container", c.Spec.Name)
			err := n.teardown(ctx, c)
			if err == nil {
				continue
			}
			// Kept, and shown by ps, so that `rm -f` can retry once the
			// cause is fixed; one broken record must not stop the node.
			n.log.Error("undo of an interrupted run failed; remove it with rm -f", "container", c.Spec.Name, "err", err)
		}
		n.byName[c.Spec.Name] = &entry{c: c}
	}
	n.log.Info("node ready", "containers", len(n.byName))
	return n, nil
}

// get finds a container's entry, locked.
func (n *Node) get(name string) (*entry, error) {
	n.mu.Lock()
	e := n.byName[name]
	n.mu.Unlock()
	if e == nil {
		return nil, fmt.Errorf("%w: %s (see `corebox ps -a`)", ErrNotFound, name)
	}
	e.mu.Lock()
	if e.c == nil { // removed while we waited
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return e, nil
}

// List returns every container with its observed state, by name.
func (n *Node) List() []container.Container {
	n.mu.Lock()
	names := make([]string, 0, len(n.byName))
	for name := range n.byName {
		names = append(names, name)
	}
	n.mu.Unlock()
	sort.Strings(names)
	out := make([]container.Container, 0, len(names))
	for _, name := range names {
		c, err := n.Inspect(name)
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, *c)
	}
	return out
}

// Inspect returns a container's record with its state observed now.
func (n *Node) Inspect(name string) (*container.Container, error) {
	e, err := n.get(name)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	n.observe(e.c)
	c := *e.c
	return &c, nil
}

// observe refreshes the observed state of a started container and records
// an exit the first time it is seen.
func (n *Node) observe(c *container.Container) {
	if c.Phase != container.PhaseStarted || c.ExitCode != nil {
		return
	}
	st, err := n.rt.State(c.ID, n.containerDir(c.ID))
	if err != nil {
		n.log.Warn("observe container", "container", c.Spec.Name, "err", err)
		c.Status = container.StatusUnknown
		return
	}
	c.Status = st.Status
	if st.Exit != nil {
		code := st.Exit.Code
		c.ExitCode, c.ExitSignal, c.Finished = &code, st.Exit.Signal, st.Exit.ExitedAt
		if err := n.save(c); err != nil {
			n.log.Warn("record exit", "container", c.Spec.Name, "err", err)
		}
	}
}
