// Package leakcheck lets root tests prove they left no host state behind:
// links, network namespaces, mounts, cgroups and processes are listed before
// a test and compared after it.
package leakcheck

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Snapshot is the host state that tests of ours can create.
type Snapshot struct {
	links   []string
	netns   []string
	mounts  []string
	cgroups []string
	procs   []string
}

// procMarkers are substrings of the command lines of processes we start.
var procMarkers = []string{"corebox-shim", "corenf", "corebox daemon", "corebox init"}

// Take records the current host state.
func Take(t testing.TB) *Snapshot {
	t.Helper()
	s, err := take()
	if err != nil {
		t.Fatalf("leakcheck: %v", err)
	}
	return s
}

// Check compares the host state with the snapshot and fails the test for
// everything that was added. Processes and links may take a moment to go, so
// it polls for up to five seconds before reporting.
func (s *Snapshot) Check(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var leaks []string
	for {
		now, err := take()
		if err != nil {
			t.Fatalf("leakcheck: %v", err)
		}
		leaks = s.added(now)
		if len(leaks) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Errorf("leakcheck: host state left behind:\n  %s", strings.Join(leaks, "\n  "))
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Snapshot) added(now *Snapshot) []string {
	var out []string
	diff := func(kind string, before, after []string) {
		for _, x := range after {
			if !slices.Contains(before, x) {
				out = append(out, kind+": "+x)
			}
		}
	}
	diff("link", s.links, now.links)
	diff("netns", s.netns, now.netns)
	diff("mount", s.mounts, now.mounts)
	diff("cgroup", s.cgroups, now.cgroups)
	diff("process", s.procs, now.procs)
	return out
}

func take() (*Snapshot, error) {
	var s Snapshot
	var err error
	if s.links, err = listDir("/sys/class/net"); err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	if s.netns, err = listDir("/run/netns"); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("list /run/netns: %w", err)
	}
	if s.mounts, err = mountPoints(); err != nil {
		return nil, err
	}
	s.cgroups = cgroupDirs()
	if s.procs, err = ourProcesses(); err != nil {
		return nil, err
	}
	return &s, nil
}

func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

func mountPoints() ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 4 {
			out = append(out, f[4])
		}
	}
	sort.Strings(out)
	return out, nil
}

// cgroupDirs lists the cgroups below each hierarchy's corebox directory;
// that parent is shared by every container and stays, as /docker does.
func cgroupDirs() []string {
	var out []string
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, root := range roots {
		_ = filepath.WalkDir(filepath.Join(root, "corebox"), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return filepath.SkipDir
			}
			if d.IsDir() && p != filepath.Join(root, "corebox") {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

func ourProcesses() ([]string, error) {
	pids, err := listDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	self := fmt.Sprint(os.Getpid())
	var out []string
	for _, pid := range pids {
		if pid == self || pid[0] < '0' || pid[0] > '9' {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		cmd := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		for _, m := range procMarkers {
			if strings.Contains(cmd, m) {
				out = append(out, pid+" "+cmd)
				break
			}
		}
	}
	return out, nil
}

// RequireRoot skips the test when not run as root, saying why.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces, links, mounts or cgroups (CI runs it as root)")
	}
}
