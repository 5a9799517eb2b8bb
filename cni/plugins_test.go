package cni

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheckPluginsNamesTheFix(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bridge"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tuning"), []byte("not executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := CheckPlugins(dir)
	var pm *PluginMissingError
	if !errors.As(err, &pm) || !errors.Is(err, ErrPluginMissing) {
		t.Fatalf("got %v, want a *PluginMissingError", err)
	}
	want := []string{"macvlan", "ptp", "loopback", "host-local", "static", "tuning", "bandwidth"}
	if !slices.Equal(pm.Missing, want) {
		t.Fatalf("missing %v, want %v", pm.Missing, want)
	}
	for _, s := range []string{dir, "`corebox net install-plugins`", "`make cni`", PluginsVersion} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
}

// InstallPlugins replaces a stale directory whole, writes VERSION, reports
// each plugin, and the second call does nothing.
func TestInstallPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds eight binaries")
	}
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{versionFile: "v0.0.1\n", "stale": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var progress []string
	if err := InstallPlugins(ctx, dir, func(s string) { progress = append(progress, s) }); err != nil {
		t.Fatal(err)
	}
	if err := CheckPlugins(dir); err != nil {
		t.Fatal(err)
	}
	if v, err := os.ReadFile(filepath.Join(dir, versionFile)); err != nil || string(v) != PluginsVersion+"\n" {
		t.Fatalf("VERSION = %q, %v", v, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stale directory was not replaced whole: %v", err)
	}
	for _, name := range PluginNames() {
		if !slices.ContainsFunc(progress, func(s string) bool { return strings.HasPrefix(s, "building "+name+" ") }) {
			t.Errorf("no progress message for %s in %q", name, progress)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".bin.new-*")); len(leftovers) != 0 {
		t.Fatalf("temporary build directories left: %v", leftovers)
	}
	fi, err := os.Stat(filepath.Join(dir, "bridge"))
	if err != nil {
		t.Fatal(err)
	}
	progress = nil
	if err := InstallPlugins(ctx, dir, func(s string) { progress = append(progress, s) }); err != nil {
		t.Fatal(err)
	}
	fi2, err := os.Stat(filepath.Join(dir, "bridge"))
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != 1 || !strings.Contains(progress[0], "already installed") || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatalf("second install should skip: %q", progress)
	}
}
