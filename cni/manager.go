package cni

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"
	"golang.org/x/sys/unix"
)

// Manager creates networks and attaches containers to them. It is safe for
// concurrent use, also by several processes sharing one state root: a file
// lock serialises Create/Remove against everything else.
type Manager struct {
	paths     paths
	pluginDir string
	cni       *libcni.CNIConfig
}

// New prepares the state directories under cfg.StateRoot.
func New(cfg Config) (*Manager, error) {
	if cfg.StateRoot == "" {
		return nil, errors.New("cni: Config.StateRoot is required")
	}
	root, err := filepath.Abs(cfg.StateRoot)
	if err != nil {
		return nil, fmt.Errorf("cni: state root %s: %w", cfg.StateRoot, err)
	}
	p := paths{root: root}
	for _, dir := range []string{p.networksDir(), p.ipamDir(), p.cacheDir(), p.tuningDir()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("cni: create state directory: %w", err)
		}
	}
	pluginDir := cfg.PluginDir
	if pluginDir == "" {
		pluginDir = p.defaultPluginDir()
	}
	return &Manager{
		paths:     p,
		pluginDir: pluginDir,
		// An explicit exec: libcni creates its default lazily, which races
		// when goroutines attach concurrently.
		cni: libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, p.cacheDir(), &invoke.DefaultExec{
			RawExec:       &invoke.RawExec{Stderr: os.Stderr},
			PluginDecoder: version.PluginDecoder{},
		}),
	}, nil
}

// PluginDir is where this manager runs plugins from.
func (m *Manager) PluginDir() string { return m.pluginDir }

// lock takes the state root's lock, shared (attach, detach, reads) or
// exclusive (create, remove).
func (m *Manager) lock(exclusive bool) (unlock func(), err error) {
	return flock(m.paths.lockFile(), exclusive)
}

// flock locks a file (created if needed) across goroutines and processes:
// each call opens its own file description. Closing it releases the lock.
func flock(path string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
