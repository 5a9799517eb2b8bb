package cni

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The pinned reference plugins.
const (
	PluginsModule  = "github.com/containernetworking/plugins"
	PluginsVersion = "v1.10.0"
	// DefaultPluginCache is the stable, versioned build cache that `make cni`,
	// CI and the tests share (tests read COREBOX_CNI_BIN to override it).
	DefaultPluginCache = "/var/cache/corebox/cni-" + PluginsVersion + "/bin"
	versionFile        = "VERSION"
)

var pluginPackages = []string{
	"main/bridge", "main/macvlan", "main/ptp", "main/loopback",
	"ipam/host-local", "ipam/static", "meta/tuning", "meta/bandwidth",
}

// PluginNames lists the plugin binaries InstallPlugins provides.
func PluginNames() []string {
	names := make([]string, len(pluginPackages))
	for i, p := range pluginPackages {
		names[i] = path.Base(p)
	}
	return names
}

// CheckPlugins returns a *PluginMissingError (errors.Is ErrPluginMissing)
// naming every pinned plugin binary that dir lacks.
func CheckPlugins(dir string) error { return checkPlugins(dir, PluginNames()) }

func checkPlugins(dir string, names []string) error {
	var missing []string
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return &PluginMissingError{Dir: dir, Missing: missing}
	}
	return nil
}

// InstallPlugins builds the pinned plugins with the go tool (static,
// CGO_ENABLED=0) and moves them into dir in one rename, with a VERSION
// file. It does nothing when dir already holds this version complete.
// Concurrent installs into one dir wait for each other.
func InstallPlugins(ctx context.Context, dir string, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	unlock, err := flock(dir+".lock", true)
	if err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	defer unlock()
	if pluginsInstalled(dir) {
		progress(fmt.Sprintf("CNI plugins %s already installed in %s", PluginsVersion, dir))
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-*")
	if err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	defer os.RemoveAll(tmp) // gone already after a successful swap
	if err := buildPlugins(ctx, tmp, progress); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, versionFile), []byte(PluginsVersion+"\n"), 0o644); err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	if err := swapDir(tmp, dir); err != nil {
		return fmt.Errorf("install CNI plugins: %w", err)
	}
	progress(fmt.Sprintf("installed %d CNI plugins %s into %s", len(pluginPackages), PluginsVersion, dir))
	return nil
}

func pluginsInstalled(dir string) bool {
	v, err := os.ReadFile(filepath.Join(dir, versionFile))
	return err == nil && strings.TrimSpace(string(v)) == PluginsVersion && CheckPlugins(dir) == nil
}

func buildPlugins(ctx context.Context, gobin string, progress func(string)) error {
	goTool, err := findGoTool()
	if err != nil {
		return err
	}
	for i, pkg := range pluginPackages {
		progress(fmt.Sprintf("building %s %s (%d/%d)", path.Base(pkg), PluginsVersion, i+1, len(pluginPackages)))
		target := PluginsModule + "/plugins/" + pkg + "@" + PluginsVersion
		cmd := exec.CommandContext(ctx, goTool, "install", target)
		// Run outside any module, so no go.mod or go.work nearby interferes.
		cmd.Dir = gobin
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go install %s: %w\n%s", target, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

func findGoTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	const fallback = "/usr/local/go/bin/go"
	if _, err := os.Stat(fallback); err == nil {
		return fallback, nil
	}
	return "", errors.New("install CNI plugins: the go tool is needed to build them; put it on PATH")
}

// swapDir puts fresh at dir atomically: a plain rename when dir is new,
// else an exchange of the two (renameat2 RENAME_EXCHANGE), so a reader sees
// the old complete directory or the new one, never a partial one.
func swapDir(fresh, dir string) error {
	err := os.Rename(fresh, dir)
	if err == nil {
		return nil
	}
	if _, statErr := os.Stat(dir); statErr != nil {
		return err
	}
	if err := unix.Renameat2(unix.AT_FDCWD, fresh, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE); err != nil {
		return fmt.Errorf("swap %s into %s: %w", fresh, dir, err)
	}
	return os.RemoveAll(fresh) // now the old directory
}
