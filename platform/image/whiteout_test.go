package image

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func needRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root: %s", why)
	}
}

func TestExtractWhiteouts(t *testing.T) {
	needRoot(t, "overlay whiteouts are 0:0 device nodes and trusted.* xattrs")
	_, root := extractTarget(t)
	data := buildTar(t,
		regEntry(".wh.gone", ""),
		dirEntryT("d/", 0o755),
		regEntry("d/.wh..wh..opq", ""),
		regEntry("d/new", "n"),
		regEntry("kept", "k"),
		regEntry(".wh.kept", ""), // same-layer add wins over its whiteout
		regEntry("implicit/.wh..wh..opq", ""),
	)
	if err := Extract(bytes.NewReader(data), root); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "gone"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("gone: mode %o rdev %d, want a 0:0 char device", st.Mode, st.Rdev)
	}
	for _, d := range []string{"d", "implicit"} {
		buf := make([]byte, 4)
		n, err := unix.Lgetxattr(filepath.Join(root, d), opaqueXattr, buf)
		if err != nil || string(buf[:n]) != "y" {
			t.Errorf("%s: %s = %q, %v; want y", d, opaqueXattr, buf[:n], err)
		}
	}
	checkFile(t, root, "kept", "k", 0o644)
	for _, p := range []string{".wh.gone", "d/.wh..wh..opq", ".wh.kept"} {
		if _, err := os.Lstat(filepath.Join(root, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists in the unpacked layer (%v); whiteout markers must be converted", p, err)
		}
	}
}

// The converted whiteouts must do what overlayfs promises: mount two
// unpacked layers and look.
func TestWhiteoutsHideLowerLayersInOverlay(t *testing.T) {
	needRoot(t, "mounting overlayfs")
	base := t.TempDir()
	lower, upper, mnt := filepath.Join(base, "l1"), filepath.Join(base, "l2"), filepath.Join(base, "mnt")
	for _, d := range []string{lower, upper, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	extractOK(t, lower, regEntry("gone", "g"), dirEntryT("d/", 0o755), regEntry("d/old", "o"), regEntry("stay", "s"))
	extractOK(t, upper, regEntry(".wh.gone", ""), dirEntryT("d/", 0o755), regEntry("d/.wh..wh..opq", ""), regEntry("d/new", "n"))
	opts := "lowerdir=" + upper + ":" + lower
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, opts); err != nil {
		t.Skipf("overlayfs unavailable here: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	for p, present := range map[string]bool{"gone": false, "d/old": false, "d/new": true, "stay": true} {
		_, err := os.Lstat(filepath.Join(mnt, p))
		if (err == nil) != present {
			t.Errorf("%s in overlay: err=%v, want present=%v", p, err, present)
		}
	}
}

func extractOK(t *testing.T, dir string, entries ...testEntry) {
	t.Helper()
	if err := Extract(bytes.NewReader(buildTar(t, entries...)), dir); err != nil {
		t.Fatal(err)
	}
}
