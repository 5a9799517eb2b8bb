// Package daemon is `corebox daemon`, the node agent: it owns the
// containers, networks and images of one state root and serves the REST API
// of package api on a unix socket. Only one daemon runs per state root.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/scheduler"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/image"
	"github.com/corebox/corebox/platform/node"
	"github.com/corebox/corebox/platform/runtime"
)

// Config is how the daemon was started.
type Config struct {
	StateRoot string
	PluginDir string // CNI plugins; default <StateRoot>/cni/bin
	ShimPath  string // corebox-shim
	Version   string
	Log       *slog.Logger
}

// ErrRunning means another daemon already serves this state root.
var ErrRunning = errors.New("a daemon already runs for this state root")

// Run serves until ctx ends. Containers keep running after it returns.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(cfg.StateRoot, 0o711); err != nil {
		return fmt.Errorf("daemon: state root: %w", err)
	}
	lock, err := lockRoot(cfg.StateRoot)
	if err != nil {
		return err
	}
	defer lock.Close()
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.close()
	if err := srv.ctl.Start(ctx); err != nil {
		return err
	}
	ln, err := listen(api.SocketPath(cfg.StateRoot))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.routes(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	log.Info("daemon serving", "socket", ln.Addr().String(), "root", cfg.StateRoot, "pid", os.Getpid())
	select {
	case err := <-done:
		return fmt.Errorf("daemon: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		// Streams such as `logs -f` do not end by themselves.
		if cerr := hs.Close(); cerr != nil {
			return errors.Join(err, cerr)
		}
	}
	srv.ctl.Wait()
	log.Info("daemon stopped; containers keep running")
	return nil
}

func newServer(ctx context.Context, cfg Config, log *slog.Logger) (*server, error) {
	pluginDir := cfg.PluginDir
	if pluginDir == "" {
		pluginDir = filepath.Join(cfg.StateRoot, "cni", "bin")
	}
	store, err := image.Open(cfg.StateRoot)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	nets, err := cni.New(cni.Config{StateRoot: cfg.StateRoot, PluginDir: pluginDir})
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	rt, err := runtime.New(runtime.Config{StateRoot: cfg.StateRoot, ShimPath: cfg.ShimPath})
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	n, err := node.New(ctx, node.Config{StateRoot: cfg.StateRoot, Runtime: rt, Images: images{store}, Networks: networks{nets}, Log: log})
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	ctl, db, err := newController(cfg.StateRoot, &backend.Local{Node: n, Nets: nets}, log)
	if err != nil {
		return nil, err
	}
	return &server{root: cfg.StateRoot, version: cfg.Version, node: n, nets: nets, pluginDir: pluginDir, images: store, ctl: ctl, db: db, log: log}, nil
}

// newController opens the orchestrator's state and makes its controller,
// with a scheduler sized to this machine.
func newController(root string, be backend.Backend, log *slog.Logger) (*controller.Controller, *state.Store, error) {
	db, err := state.Open(filepath.Join(root, "orchestrator.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("daemon: %w", err)
	}
	machine, err := scheduler.LocalNode()
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("daemon: %w", err), db.Close())
	}
	sched := scheduler.New(machine, scheduler.Options{})
	return controller.New(controller.Config{Store: db, Backend: be, Scheduler: sched, Log: log.With("component", "controller")}), db, nil
}

// lockRoot holds an exclusive flock on the state root for the daemon's life
// and records its pid.
func lockRoot(root string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(root, "daemon.pid"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("daemon: pid file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("daemon: %w (%s)", ErrRunning, root)
		}
		return nil, fmt.Errorf("daemon: lock %s: %w", root, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("daemon: pid file: %w", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("daemon: pid file: %w", err)
	}
	return f, nil
}

// listen replaces a stale socket left by a daemon that died; the flock
// above guarantees it is not a live one.
func listen(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("daemon: remove stale socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("daemon: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("daemon: socket permissions: %w", err)
	}
	return ln, nil
}
