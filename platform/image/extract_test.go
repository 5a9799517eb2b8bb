package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Every refusal must name the entry and leave the target as it was; each
// tar starts with valid entries so cleanup is exercised too. Paths that
// lead out of the layer point at a canary directory beside it (never at
// host files), so even a regression cannot harm the machine, and is seen.
func TestExtractRefuses(t *testing.T) {
	const out = "@OUT@" // replaced by the canary directory of each case
	valid := []testEntry{dirEntryT("keep/", 0o755), regEntry("keep/first.txt", "first"), symlinkEntry("abs", out)}
	xattr := regEntry("x.txt", "")
	xattr.hdr.PAXRecords = map[string]string{"SCHILY.xattr.trusted.overlay.redirect": "/elsewhere"}
	badUID := regEntry("u.txt", "")
	badUID.hdr.Uid = 1 << 40
	cases := []struct {
		name    string
		entries []testEntry
		opts    ExtractOptions
		want    string // in the error, besides the entry name
	}{
		{"dotdot", []testEntry{regEntry("../outside/evil", "x")}, ExtractOptions{}, `".." component`},
		{"dotdot inside", []testEntry{regEntry("keep/../../outside/evil", "x")}, ExtractOptions{}, `".." component`},
		{"dotdot harmless still refused", []testEntry{regEntry("keep/../evil", "x")}, ExtractOptions{}, `".." component`},
		{"absolute", []testEntry{regEntry(out+"/evil", "x")}, ExtractOptions{}, "absolute path"},
		{"char device", []testEntry{deviceEntry("dev/mem", tar.TypeChar)}, ExtractOptions{}, "device nodes"},
		{"block device", []testEntry{deviceEntry("dev/sda", tar.TypeBlock)}, ExtractOptions{}, "device nodes"},
		{"symlink escape", []testEntry{symlinkEntry("keep/up", "../../outside")}, ExtractOptions{}, "escapes the layer"},
		{"symlink escape from root", []testEntry{symlinkEntry("up", "..")}, ExtractOptions{}, "escapes the layer"},
		{"write through absolute symlink", []testEntry{regEntry("abs/passwd", "x")}, ExtractOptions{}, "is a symlink"},
		{"write through inner symlink", []testEntry{symlinkEntry("inner", "keep"), regEntry("inner/f", "x")}, ExtractOptions{}, "is a symlink"},
		{"mkdir through symlink", []testEntry{dirEntryT("abs/sub/", 0o755)}, ExtractOptions{}, "is a symlink"},
		{"hardlink escape", []testEntry{hardlinkEntry("h", "../outside/passwd")}, ExtractOptions{}, "outside the layer"},
		{"hardlink absolute", []testEntry{hardlinkEntry("h", out+"/passwd")}, ExtractOptions{}, "outside the layer"},
		{"hardlink through symlink", []testEntry{hardlinkEntry("h", "abs/passwd")}, ExtractOptions{}, "is a symlink"},
		{"hardlink missing", []testEntry{hardlinkEntry("h", "nothing")}, ExtractOptions{}, "does not exist"},
		{"hardlink to dir", []testEntry{hardlinkEntry("h", "keep")}, ExtractOptions{}, "not a regular file"},
		{"hardlink to symlink", []testEntry{hardlinkEntry("h", "abs")}, ExtractOptions{}, "not a regular file"},
		{"too large", []testEntry{regEntry("big", strings.Repeat("x", 100))}, ExtractOptions{MaxBytes: 50}, "limit"},
		{"too many entries", []testEntry{regEntry("a", ""), regEntry("b", "")}, ExtractOptions{MaxEntries: 4}, "entries"},
		{"reserved xattr", []testEntry{xattr}, ExtractOptions{}, "reserved for overlayfs"},
		{"uid out of range", []testEntry{badUID}, ExtractOptions{}, "out of range"},
		{"file replaces dir", []testEntry{regEntry("keep", "x")}, ExtractOptions{}, "would replace directory"},
		{"whiteout of nothing", []testEntry{regEntry("keep/.wh..", "")}, ExtractOptions{}, "names no file"},
		{"aufs meta whiteout", []testEntry{regEntry(".wh..wh.plnk", "")}, ExtractOptions{}, "unsupported whiteout"},
		{"root as file", []testEntry{regEntry(".", "")}, ExtractOptions{}, "layer root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, root := extractTarget(t)
			canary := filepath.Join(base, "outside")
			if err := errors.Join(os.Mkdir(canary, 0o755), os.WriteFile(filepath.Join(canary, "passwd"), []byte("canary"), 0o644)); err != nil {
				t.Fatal(err)
			}
			var entries []testEntry
			for _, e := range append(append([]testEntry{}, valid...), tc.entries...) {
				e.hdr.Name = strings.ReplaceAll(e.hdr.Name, out, canary)
				e.hdr.Linkname = strings.ReplaceAll(e.hdr.Linkname, out, canary)
				entries = append(entries, e)
			}
			last := entries[len(entries)-1].hdr.Name
			err := ExtractWithOptions(bytes.NewReader(buildTar(t, entries...)), root, tc.opts)
			if !errors.Is(err, ErrUnsafeLayer) {
				t.Errorf("Extract = %v, want ErrUnsafeLayer", err)
			} else if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			} else if tc.name != "too many entries" && !strings.Contains(err.Error(), last) {
				t.Errorf("error %q does not name entry %q", err, last)
			}
			if b, err := os.ReadFile(filepath.Join(canary, "passwd")); err != nil || string(b) != "canary" {
				t.Errorf("canary file changed: %q, %v", b, err)
			}
			assertOnly(t, canary, "passwd")
			assertOnly(t, base, "outside", "root")
			assertOnly(t, root)
		})
	}
}

func TestExtractTruncatedLeavesNothing(t *testing.T) {
	base, root := extractTarget(t)
	data := buildTar(t, dirEntryT("d/", 0o755), regEntry("d/f", strings.Repeat("y", 4096)))
	err := Extract(bytes.NewReader(data[:1024+512]), root)
	if err == nil || errors.Is(err, ErrUnsafeLayer) {
		t.Fatalf("Extract of truncated tar = %v, want a read error", err)
	}
	assertOnly(t, root)
	assertOnly(t, base, "root")
}

// A refused layer must not disturb what the directory held before.
func TestExtractRefusalKeepsExistingContent(t *testing.T) {
	_, root := extractTarget(t)
	if err := os.WriteFile(filepath.Join(root, "existing"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := buildTar(t, regEntry("new", "n"), dirEntryT("d/", 0o755), regEntry("d/x", "x"), regEntry("../evil", ""))
	if err := Extract(bytes.NewReader(data), root); !errors.Is(err, ErrUnsafeLayer) {
		t.Fatalf("Extract = %v, want ErrUnsafeLayer", err)
	}
	assertOnly(t, root, "existing")
}

// Later entries replace earlier ones by unlinking them: a regular file
// over a symlink never writes to the symlink's target.
func TestExtractReplaceNeverWritesThrough(t *testing.T) {
	base, root := extractTarget(t)
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := buildTar(t,
		symlinkEntry("link", victim), // absolute: allowed, points outside on the host
		regEntry("link", "replaced"),
		regEntry("file", "one"),
		hardlinkEntry("hard", "file"),
		regEntry("hard", "two"), // must not change "file"
	)
	if err := Extract(bytes.NewReader(data), root); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{victim: "untouched", filepath.Join(root, "link"): "replaced",
		filepath.Join(root, "file"): "one", filepath.Join(root, "hard"): "two"} {
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if fi, _ := os.Lstat(filepath.Join(root, "link")); !fi.Mode().IsRegular() {
		t.Errorf("link is %v, want a regular file", fi.Mode())
	}
}

func TestExtractRoundTrip(t *testing.T) {
	base, root := extractTarget(t)
	suid := regEntry("usr/bin/tool", "#!tool")
	suid.hdr.Mode = 0o4755
	suid.hdr.Uid, suid.hdr.Gid = 1000, 2000
	withX := regEntry("etc/conf", "k: v\n")
	withX.hdr.PAXRecords = map[string]string{"SCHILY.xattr.user.corebox": "yes"}
	fifo := testEntry{hdr: tar.Header{Name: "run/pipe", Typeflag: tar.TypeFifo, Mode: 0o620, ModTime: testTime}}
	data := buildTar(t,
		dirEntryT("./", 0o755),
		dirEntryT("etc/", 0o750),
		withX,
		suid, // parent usr/bin is implicit
		symlinkEntry("usr/bin/rel", "tool"),
		symlinkEntry("usr/bin/up", "../../etc/conf"),
		symlinkEntry("abs", "/etc/conf"),
		hardlinkEntry("usr/bin/tool2", "usr/bin/tool"),
		fifo,
		dirEntryT("tmp/", 0o1777),
	)
	if err := Extract(bytes.NewReader(data), root); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, base, "root")
	checkFile(t, root, "etc/conf", "k: v\n", 0o644)
	checkFile(t, root, "usr/bin/tool", "#!tool", 0o755|os.ModeSetuid)
	checkMode(t, root, "etc", os.ModeDir|0o750)
	checkMode(t, root, "tmp", os.ModeDir|os.ModeSticky|0o777)
	checkMode(t, root, "run/pipe", os.ModeNamedPipe|0o620)
	for link, target := range map[string]string{"usr/bin/rel": "tool", "usr/bin/up": "../../etc/conf", "abs": "/etc/conf"} {
		if got, err := os.Readlink(filepath.Join(root, link)); err != nil || got != target {
			t.Errorf("readlink %s = %q, %v; want %q", link, got, err, target)
		}
	}
	var st1, st2 unix.Stat_t
	if err := errors.Join(unix.Lstat(filepath.Join(root, "usr/bin/tool"), &st1), unix.Lstat(filepath.Join(root, "usr/bin/tool2"), &st2)); err != nil {
		t.Fatal(err)
	}
	if st1.Ino != st2.Ino {
		t.Error("tool2 is not a hard link of tool")
	}
	if os.Geteuid() == 0 && (st1.Uid != 1000 || st1.Gid != 2000) {
		t.Errorf("tool owned by %d:%d, want 1000:2000", st1.Uid, st1.Gid)
	}
	// Directory times are set after their children were written.
	for _, p := range []string{"etc", "etc/conf", "usr/bin/tool"} {
		if fi, err := os.Lstat(filepath.Join(root, p)); err != nil || !fi.ModTime().Equal(testTime) {
			t.Errorf("%s mtime = %v, %v; want %v", p, fi.ModTime(), err, testTime)
		}
	}
	buf := make([]byte, 16)
	if n, err := unix.Getxattr(filepath.Join(root, "etc/conf"), "user.corebox", buf); err != nil || string(buf[:n]) != "yes" {
		t.Errorf("xattr user.corebox = %q, %v; want yes", buf[:n], err)
	}
}

func checkFile(t *testing.T, root, rel, body string, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil || string(got) != body {
		t.Errorf("%s = %q, %v; want %q", rel, got, err, body)
	}
	checkMode(t, root, rel, mode)
}

func checkMode(t *testing.T, root, rel string, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(root, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if fi.Mode() != mode {
		t.Errorf("%s mode = %v, want %v", rel, fi.Mode(), mode)
	}
}
