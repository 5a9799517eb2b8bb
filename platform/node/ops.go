package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/netns"
	"github.com/corebox/corebox/platform/runtime"
	"github.com/corebox/corebox/platform/shim"
)

// Stop ends the container's process: SIGTERM, then SIGKILL after grace.
// Stopping a container that is not running is not an error.
func (n *Node) Stop(ctx context.Context, name string, grace time.Duration) (*container.Container, error) {
	e, err := n.get(name)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	c := e.c
	n.observe(c)
	if c.Phase == container.PhaseStarted && c.ExitCode == nil {
		if _, err := n.rt.Stop(ctx, c.ID, n.containerDir(c.ID), grace); err != nil {
			return nil, fmt.Errorf("stop %s: %w", name, err)
		}
		n.observe(c)
	}
	out := *c
	return &out, nil
}

// Start starts a stopped container again, in the same namespace, rootfs and
// addresses.
func (n *Node) Start(ctx context.Context, name string) (*container.Container, error) {
	e, err := n.get(name)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	c := e.c
	n.observe(c)
	if c.Status == container.StatusRunning || c.Status == container.StatusCreated {
		return nil, fmt.Errorf("start %s: %w", name, ErrRunning)
	}
	if err := n.rt.Delete(c.ID, n.containerDir(c.ID)); err != nil {
		return nil, fmt.Errorf("start %s: clear the old run: %w", name, err)
	}
	mounts, err := n.mounts(c, "")
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := n.start(ctx, c, filepath.Join(n.containerDir(c.ID), "rootfs"), mounts); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	out := *c
	return &out, nil
}

// Remove deletes a container and everything it has on the host. A running
// container is refused unless force is set, which kills it first.
func (n *Node) Remove(ctx context.Context, name string, force bool) error {
	e, err := n.get(name)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	c := e.c
	n.observe(c)
	if c.Phase == container.PhaseStarted && (c.Status == container.StatusRunning || c.Status == container.StatusCreated) {
		if !force {
			return fmt.Errorf("remove %s: %w (stop it first, or use `corebox rm -f %s`)", name, ErrRunning, name)
		}
		if _, err := n.rt.Stop(ctx, c.ID, n.containerDir(c.ID), 0); err != nil && !errors.Is(err, runtime.ErrNotFound) {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	if err := n.teardown(ctx, c); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	n.forget(e)
	return nil
}

// Exec runs a process in a running container and returns its exit code.
func (n *Node) Exec(ctx context.Context, name string, spec runtime.ExecSpec) (int, error) {
	e, err := n.get(name)
	if err != nil {
		return 0, err
	}
	n.observe(e.c)
	id, env, status := e.c.ID, e.c.Env, e.c.Status
	e.mu.Unlock() // an exec may run long; it must not block other calls
	if status != container.StatusRunning {
		return 0, fmt.Errorf("exec in %s: %w (status %s; start it with `corebox start %s`)", name, runtime.ErrNotRunning, status, name)
	}
	spec.Env = append(append([]string{}, env...), spec.Env...)
	code, err := n.rt.Exec(ctx, id, spec)
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", name, err)
	}
	return code, nil
}

// LogPath is the file holding the container's stdout and stderr.
func (n *Node) LogPath(name string) (string, error) {
	e, err := n.get(name)
	if err != nil {
		return "", err
	}
	defer e.mu.Unlock()
	return filepath.Join(n.containerDir(e.c.ID), shim.LogFile), nil
}

// Exited reports whether the container's process has ended.
func (n *Node) Exited(name string) bool {
	c, err := n.Inspect(name)
	return err != nil || c.ExitCode != nil || c.Status == container.StatusUnknown
}

// Stats reads the container's cgroup and interface counters.
func (n *Node) Stats(name string) (*container.Stats, error) {
	e, err := n.get(name)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	rs, err := n.rt.Stats(e.c.ID)
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", name, err)
	}
	out := rs
	err = netns.Do(n.netnsPath(e.c.ID), func() error {
		for _, a := range e.c.Attachments {
			l, err := netlink.LinkByName(a.IfName)
			if err != nil {
				return fmt.Errorf("interface %s: %w", a.IfName, err)
			}
			s := l.Attrs().Statistics
			out.Interfaces = append(out.Interfaces, container.InterfaceStats{IfName: a.IfName, RxBytes: s.RxBytes, TxBytes: s.TxBytes, RxPackets: s.RxPackets, TxPackets: s.TxPackets})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", name, err)
	}
	return out, nil
}

// Resize changes the container's limits in place and records them, so a
// restart keeps them.
func (n *Node) Resize(name string, res container.Resources) (*container.Container, error) {
	e, err := n.get(name)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	if err := n.rt.Resize(e.c.ID, res); err != nil {
		return nil, fmt.Errorf("resize %s: %w", name, err)
	}
	e.c.Spec.Resources = res
	if err := n.save(e.c); err != nil {
		return nil, err
	}
	out := *e.c
	return &out, nil
}

// Impair adds delay, jitter, loss or a rate limit to one of the
// container's interfaces; a zero Impairment clears it.
func (n *Node) Impair(name, ifname string, imp container.Impairment) error {
	e, err := n.get(name)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	found := false
	for _, a := range e.c.Attachments {
		found = found || a.IfName == ifname
	}
	if !found {
		return invalid("container %s has no interface %q", name, ifname)
	}
	if imp == (container.Impairment{}) {
		return n.nets.ClearImpairment(n.netnsPath(e.c.ID), ifname)
	}
	return n.nets.Impair(n.netnsPath(e.c.ID), ifname, imp)
}

// Logs copies the container's log to w; with follow it keeps copying until
// ctx ends or the container has exited and everything was read.
func (n *Node) Logs(ctx context.Context, name string, follow bool, w io.Writer) error {
	path, err := n.LogPath(name)
	if err != nil {
		return err
	}
	return copyLog(ctx, path, follow, func() bool { return n.Exited(name) }, w)
}
