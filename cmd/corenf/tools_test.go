package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExitCommand(t *testing.T) {
	for args, want := range map[string]int{"0": 0, "3": 3, "255": 255, "256": 2, "-1": 2, "x": 2, "": 2} {
		var argv []string
		if args != "" {
			argv = []string{args}
		}
		if code, _, _ := runCmd(t, context.Background(), "", append([]string{"exit"}, argv...)...); code != want {
			t.Errorf("exit %q = %d, want %d", args, code, want)
		}
	}
}

func TestSleep(t *testing.T) {
	begin := time.Now()
	if code, _, e := runCmd(t, context.Background(), "", "sleep", "50ms"); code != 0 {
		t.Fatalf("sleep = %d %s", code, e)
	}
	if took := time.Since(begin); took < 50*time.Millisecond {
		t.Errorf("slept %v, want >= 50ms", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a signal already arrived
	if code, _, _ := runCmd(t, ctx, "", "sleep", "infinity"); code != 0 {
		t.Errorf("interrupted sleep = %d, want 0", code)
	}
	for _, bad := range [][]string{{"sleep"}, {"sleep", "soon"}, {"sleep", "1", "2"}} {
		if code, _, _ := runCmd(t, context.Background(), "", bad...); code != 2 {
			t.Errorf("%q = %d, want 2", bad, code)
		}
	}
}

func TestCat(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("alpha\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, context.Background(), "stdin\n", "cat", a, "-", a)
	if code != 0 || out != "alpha\nstdin\nalpha\n" {
		t.Errorf("cat = %d %q", code, out)
	}
	code, out, errOut := runCmd(t, context.Background(), "", "cat", filepath.Join(dir, "missing"), a)
	if code != 1 || out != "alpha\n" || !strings.Contains(errOut, "missing") {
		t.Errorf("cat missing = %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, context.Background(), "piped", "cat"); code != 0 || out != "piped" {
		t.Errorf("cat without args = %d %q", code, out)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, context.Background(), "", "version")
	if code != 0 || !strings.HasPrefix(out, "corenf "+version+" go") {
		t.Errorf("version = %d %q", code, out)
	}
}

func TestDispatch(t *testing.T) {
	if code, _, e := runCmd(t, context.Background(), ""); code != 2 || !strings.Contains(e, "usage:") {
		t.Errorf("no args = %d", code)
	}
	if code, _, _ := runCmd(t, context.Background(), "", "--help"); code != 0 {
		t.Errorf("--help = %d", code)
	}
	if code, _, e := runCmd(t, context.Background(), "", "amf9"); code != 2 || !strings.Contains(e, `"amf9"`) {
		t.Errorf("unknown = %d %q", code, e)
	}
	if got := argv([]string{"/bin/nc", "-u", "h", "7"}); strings.Join(got, " ") != "nc -u h 7" {
		t.Errorf("argv as nc = %q", got)
	}
	if got := argv([]string{"/usr/bin/corenf", "dn"}); strings.Join(got, " ") != "dn" {
		t.Errorf("argv as corenf = %q", got)
	}
}

// Tools and kinds share one namespace; a clash would hide one of them.
func TestNoNameClash(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		seen[c.name] = true
	}
	for _, k := range kinds {
		if seen[k.name] {
			t.Errorf("kind %q clashes with a command", k.name)
		}
		seen[k.name] = true
	}
}
