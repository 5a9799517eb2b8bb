package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/netns"
	"github.com/corebox/corebox/platform/runtime"
)

// Run creates and starts a container. On any failure everything made so
// far is undone and the error says which step failed.
func (n *Node) Run(ctx context.Context, spec container.Spec) (*container.Container, error) {
	if err := validate(&spec); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	e := &entry{c: &container.Container{ID: id, Spec: spec, Created: time.Now().UTC(), Phase: container.PhaseCreating}}
	e.mu.Lock()
	defer e.mu.Unlock()
	n.mu.Lock()
	if n.byName[spec.Name] != nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w: %s already exists (remove it with `corebox rm -f %s` or pick another --name)", ErrNameInUse, spec.Name, spec.Name)
	}
	n.byName[spec.Name] = e
	n.mu.Unlock()

	if err := n.create(ctx, e.c); err != nil {
		err = fmt.Errorf("run %s: %w", spec.Name, err)
		if terr := n.teardown(context.WithoutCancel(ctx), e.c); terr != nil {
			err = errors.Join(err, fmt.Errorf("undo: %w", terr))
		}
		n.forget(e)
		return nil, err
	}
	c := *e.c
	return &c, nil
}

func (n *Node) forget(e *entry) {
	n.mu.Lock()
	if n.byName[e.c.Spec.Name] == e {
		delete(n.byName, e.c.Spec.Name)
	}
	n.mu.Unlock()
	e.c = nil
}

func (n *Node) create(ctx context.Context, c *container.Container) error {
	dir := n.containerDir(c.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("container dir: %w", err)
	}
	if err := n.save(c); err != nil {
		return err
	}
	img, err := n.img.Rootfs(ctx, c.Spec.Image)
	if err != nil {
		return err
	}
	c.ImageDigest = img.Digest
	c.Args, c.Env, c.Cwd = command(c.Spec, img), append(append([]string{}, img.Env...), c.Spec.Env...), img.WorkingDir
	rootfs, err := mountRootfs(dir, img.LowerDirs)
	if err != nil {
		return err
	}
	mounts, err := n.mounts(c, img.Kind)
	if err != nil {
		return err
	}
	if err := netns.Create(n.netnsPath(c.ID)); err != nil {
		return err
	}
	c.Phase = container.PhaseWiring
	if err := n.save(c); err != nil {
		return err
	}
	atts, err := n.attachAll(ctx, c)
	if err != nil {
		return err
	}
	c.Attachments = atts
	if err := n.save(c); err != nil {
		return err
	}
	return n.start(ctx, c, rootfs, mounts)
}

func (n *Node) start(ctx context.Context, c *container.Container, rootfs string, mounts []runtime.Mount) error {
	started, err := n.rt.Start(ctx, runtime.Spec{
		ID: c.ID, Hostname: c.Spec.Name, Rootfs: rootfs,
		Args: c.Args, Env: c.Env, Cwd: c.Cwd,
		NetNS:        n.netnsPath(c.ID),
		Capabilities: c.Spec.Capabilities, Devices: c.Spec.Devices, Sysctls: c.Spec.Sysctls,
		Mounts: mounts, Resources: c.Spec.Resources,
	}, n.containerDir(c.ID))
	if err != nil {
		return err
	}
	c.Phase, c.Pid, c.ShimPid, c.Started = container.PhaseStarted, started.Pid, started.ShimPid, time.Now().UTC()
	c.Status, c.ExitCode, c.ExitSignal, c.Finished = container.StatusRunning, nil, "", time.Time{}
	return n.save(c)
}

// attachAll wires every interface at once: the networks are independent,
// and each attach is a few plugin process starts. An undo detaches every
// requested network, so a partial failure needs no bookkeeping here.
func (n *Node) attachAll(ctx context.Context, c *container.Container) ([]container.Attachment, error) {
	out := make([]container.Attachment, len(c.Spec.Networks))
	errs := make([]error, len(c.Spec.Networks))
	var wg sync.WaitGroup
	for i, r := range c.Spec.Networks {
		wg.Go(func() {
			a, err := n.nets.Attach(ctx, Attach{ContainerID: c.ID, NetNS: n.netnsPath(c.ID), Network: r.Network, IfName: r.IfName, IP: r.IP})
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = *a
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func command(s container.Spec, img *Rootfs) []string {
	entry, args := img.Entrypoint, img.Cmd
	if len(s.Entrypoint) > 0 {
		entry, args = s.Entrypoint, nil
	}
	if len(s.Args) > 0 {
		args = s.Args
	}
	return append(append([]string{}, entry...), args...)
}

// mounts prepares the config file and volumes.
func (n *Node) mounts(c *container.Container, kind string) ([]runtime.Mount, error) {
	var out []runtime.Mount
	if c.Spec.Config != nil {
		dst := c.ConfigTarget
		switch {
		case dst != "":
		case c.Spec.ConfigPath != "":
			dst = c.Spec.ConfigPath
		case kind != "":
			dst = "/etc/corebox/" + kind + ".yaml"
		default:
			return nil, invalid("image %s has no corenf kind: give the config file's path in the container", c.Spec.Image)
		}
		c.ConfigTarget = dst
		src := filepath.Join(n.containerDir(c.ID), "config.yaml")
		if err := os.WriteFile(src, c.Spec.Config, 0o644); err != nil {
			return nil, fmt.Errorf("write config: %w", err)
		}
		out = append(out, runtime.Mount{Source: src, Destination: dst, ReadOnly: true})
	}
	for _, v := range c.Spec.Volumes {
		src := filepath.Join(n.root, "volumes", v.Name)
		if err := os.MkdirAll(src, 0o755); err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		out = append(out, runtime.Mount{Source: src, Destination: v.Path, ReadOnly: v.ReadOnly})
	}
	return out, nil
}

// teardown removes everything a container has on the host, in the reverse
// order of create. Each step tolerates what is already gone, so it can be
// repeated after a partial failure.
func (n *Node) teardown(ctx context.Context, c *container.Container) error {
	var errs []error
	if err := n.rt.Delete(c.ID, n.containerDir(c.ID)); err != nil {
		errs = append(errs, err)
	}
	// Every requested network, not only the recorded attachments: an
	// attach that failed or was cut short may have reserved an address.
	// Before wiring began there is nothing to detach.
	for i := len(c.Spec.Networks) - 1; i >= 0 && c.Phase != container.PhaseCreating; i-- {
		r := c.Spec.Networks[i]
		if err := n.nets.Detach(ctx, Attach{ContainerID: c.ID, NetNS: n.netnsPath(c.ID), Network: r.Network, IfName: r.IfName, IP: r.IP}); err != nil {
			errs = append(errs, fmt.Errorf("detach %s: %w", r.IfName, err))
		}
	}
	if err := netns.Remove(n.netnsPath(c.ID)); err != nil {
		errs = append(errs, err)
	}
	if err := unmountRootfs(n.containerDir(c.ID)); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := os.RemoveAll(n.containerDir(c.ID)); err != nil {
		return fmt.Errorf("remove container dir: %w", err)
	}
	return nil
}
