package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testEntry is one member of a tar a test builds.
type testEntry struct {
	hdr  tar.Header
	body string
}

var testTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func regEntry(name, body string) testEntry {
	return testEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), ModTime: testTime}, body: body}
}

func dirEntryT(name string, mode int64) testEntry {
	return testEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode, ModTime: testTime}}
}

func symlinkEntry(name, target string) testEntry {
	return testEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func hardlinkEntry(name, target string) testEntry {
	return testEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, ModTime: testTime}}
}

func deviceEntry(name string, typ byte) testEntry {
	return testEntry{hdr: tar.Header{Name: name, Typeflag: typ, Mode: 0o600, Devmajor: 1, Devminor: 3, ModTime: testTime}}
}

// buildTar writes entries as a tar; tar.Writer refuses nothing we need
// to test (it writes ".." names and absolute paths as given).
func buildTar(t testing.TB, entries ...testEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("write header %s: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("write body %s: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// extractTarget makes <tmp>/root for Extract and returns (tmp, root), so
// a test can check nothing appears beside root.
func extractTarget(t testing.TB) (string, string) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return base, root
}

// listTree returns every path under dir (relative), without following symlinks.
func listTree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// assertOnly fails unless dir holds exactly the names want (top level).
func assertOnly(t testing.TB, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Fatalf("%s holds %v, want %v", dir, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, want)
		}
	}
}
