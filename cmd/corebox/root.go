package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
)

// globals are the flags every command shares.
type globals struct {
	root   string
	cniBin string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "corebox",
		Short:         "Run a mobile core network (5GC, EPC, IMS) as containers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.root, "root", envOr("COREBOX_ROOT", "/var/lib/corebox"), "state root (env COREBOX_ROOT)")
	root.PersistentFlags().StringVar(&g.cniBin, "cni-bin", os.Getenv("COREBOX_CNI_BIN"), "CNI plugin directory (env COREBOX_CNI_BIN; default <root>/cni/bin)")
	root.AddCommand(
		newDaemonCmd(g), newRunCmd(g), newPsCmd(g), newStopCmd(g), newStartCmd(g), newRmCmd(g),
		newExecCmd(g), newLogsCmd(g), newStatsCmd(g), newInspectCmd(g), newResizeCmd(g),
		newNetCmd(g), newImageCmd(g), newBenchCmd(g), newVersionCmd(g),
		newUpCmd(g), newDownCmd(g), newStatusCmd(g), newScaleCmd(g), newEventsCmd(g), newGraphCmd(),
		newValidateCmd(g), newSchemaCmd(), newRenderCmd(), newSubscriberCmd(g), newLabCmd(g),
	)
	return root
}

// pluginDir is the CNI plugin directory: the one given (which is then
// remembered for the state root), else the one remembered, else
// <root>/cni/bin. Remembering it keeps a daemon that a later command
// restarts on the same plugins.
func (g *globals) pluginDir() (string, error) {
	remembered := filepath.Join(g.root, "cni", "plugin-dir")
	if g.cniBin != "" {
		abs, err := filepath.Abs(g.cniBin)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(remembered), 0o700); err != nil {
			return "", err
		}
		return abs, os.WriteFile(remembered, []byte(abs+"\n"), 0o644)
	}
	if b, err := os.ReadFile(remembered); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	return filepath.Join(g.root, "cni", "bin"), nil
}

// sibling finds a binary installed next to this one, or on PATH.
func sibling(name string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own binary: %w", err)
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found next to %s or on PATH (build it with `make build`)", name, exe)
}

// client connects to the daemon of the state root, starting one if none
// answers.
func (g *globals) client(ctx context.Context) (*api.Client, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("corebox needs root: it creates namespaces, cgroups, mounts and links (run it with sudo)")
	}
	root, err := filepath.Abs(g.root)
	if err != nil {
		return nil, err
	}
	g.root = root
	c := api.NewClient(api.SocketPath(root))
	probe, cancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := c.Version(probe)
	cancel()
	if err == nil {
		why := g.staleDaemon(v)
		if why == "" {
			return c, nil
		}
		// Containers outlive their daemon, so replacing it is safe.
		fmt.Fprintf(os.Stderr, "corebox: restarting the daemon (%s)\n", why)
		if err := stopDaemon(ctx, c, v.Pid); err != nil {
			return nil, err
		}
	}
	if err := g.startDaemon(); err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.WaitReady(wait); err != nil {
		return nil, fmt.Errorf("%w (see %s)", err, filepath.Join(root, "daemon.log"))
	}
	return c, nil
}

// staleDaemon says why a running daemon cannot serve this CLI: another
// build, or other CNI plugins than the ones asked for (it would silently
// use its own). "" means it can.
func (g *globals) staleDaemon(v *api.VersionInfo) string {
	switch {
	case v.Version != version:
		return fmt.Sprintf("it runs version %s, this is %s", v.Version, version)
	case v.Build != api.BuildID():
		return fmt.Sprintf("it runs another build of %s", version)
	case g.cniBin != "" && v.PluginDir != g.absCNIBin():
		return fmt.Sprintf("it uses the CNI plugins in %s, not %s", v.PluginDir, g.cniBin)
	}
	return ""
}

func (g *globals) absCNIBin() string {
	abs, err := filepath.Abs(g.cniBin)
	if err != nil {
		return g.cniBin
	}
	return abs
}

// stopDaemon sends SIGTERM to the daemon and waits until it stops
// answering.
func stopDaemon(ctx context.Context, c *api.Client, pid int) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop daemon %d: %w", pid, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := c.Version(ctx); err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("daemon %d still answers after SIGTERM", pid)
		case <-tick.C:
		}
	}
}

// startDaemon launches `corebox daemon` in its own session, logging to
// <root>/daemon.log, and leaves it running.
func (g *globals) startDaemon() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	if err := os.MkdirAll(g.root, 0o711); err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(g.root, "daemon.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	defer logf.Close()
	args := []string{"daemon", "--root", g.root}
	if g.cniBin != "" {
		args = append(args, "--cni-bin", g.cniBin)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	// Not waited for: the daemon outlives this command.
	return cmd.Process.Release()
}

// withClient wraps a command body that needs the daemon.
func (g *globals) withClient(body func(cmd *cobra.Command, c *api.Client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := g.client(cmd.Context())
		if err != nil {
			return err
		}
		return body(cmd, c, args)
	}
}

// withClientOr runs onKube when the command targets a cluster, else body
// with a daemon client (so cluster commands need no daemon).
func (g *globals) withClientOr(kf *kubeFlags, onKube func(cmd *cobra.Command, args []string) error,
	body func(cmd *cobra.Command, c *api.Client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		on, err := kf.kubernetes()
		if err != nil {
			return err
		}
		if on {
			return onKube(cmd, args)
		}
		return g.withClient(body)(cmd, args)
	}
}
