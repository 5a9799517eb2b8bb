package profiles

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// files builds a test file system; YAML is written with tabs stripped from
// the margin so that cases read naturally in Go source.
func files(named map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, text := range named {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

// problems loads p.yaml from the files and returns its errors, one string
// each (nil when it loads).
func problems(t *testing.T, named map[string]string, set map[string]string) []string {
	t.Helper()
	_, err := Load("p.yaml", LoadOptions{Files: files(named), Set: set})
	if err == nil {
		return nil
	}
	var ve ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("error of type %T, want ValidationErrors: %v", err, err)
	}
	return strings.Split(ve.Error(), "\n")
}

// mustLoad loads p.yaml and fails the test on any error.
func mustLoad(t *testing.T, named map[string]string, set map[string]string) *Profile {
	t.Helper()
	p, err := Load("p.yaml", LoadOptions{Files: files(named), Set: set})
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	return p
}
