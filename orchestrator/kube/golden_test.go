package kube

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebox/corebox/profiles"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current rendering")

// goldenCases: every shipped profile, and the profiles under testdata.
func goldenCases(t *testing.T) map[string]*profiles.Profile {
	t.Helper()
	out := map[string]*profiles.Profile{}
	for _, name := range profiles.Shipped() {
		p, err := profiles.LoadShipped(name, profiles.LoadOptions{})
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		out[name] = p
	}
	files, err := filepath.Glob("testdata/profiles/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata profiles: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		p, err := profiles.Load(f, profiles.LoadOptions{})
		if err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = p
	}
	return out
}

// TestGolden renders each profile to testdata/golden/NAME.yaml, or, for a
// profile Kubernetes cannot take, its refusal to NAME.err.
func TestGolden(t *testing.T) {
	for name, p := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			got, ext := renderText(t, p)
			path := filepath.Join("testdata", "golden", name+ext)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering (run with -update after checking):\n%s", path, firstDiff(want, got))
			}
		})
	}
}

// renderText is the YAML of p, or its refusal, with the golden extension.
func renderText(t *testing.T, p *profiles.Profile) ([]byte, string) {
	t.Helper()
	objs, err := Render(p, Options{ImageTag: "test"})
	if err != nil {
		return []byte(err.Error() + "\n"), ".err"
	}
	b, err := YAML(objs)
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	return b, ".yaml"
}

func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(same lines)"
}
