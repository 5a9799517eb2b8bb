package image

import (
	"archive/tar"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// OCI whiteouts, converted to their overlayfs form because unpacked layers
// become overlay lower dirs.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
)

// whiteout turns `.wh.NAME` into a 0:0 character device NAME, and
// `.wh..wh..opq` into an opaque mark on its directory.
func (x *extractor) whiteout(h *tar.Header, rel string) error {
	dir, base := path.Split(rel)
	dir = path.Clean(dir)
	if base == whiteoutOpaque {
		x.opaque = append(x.opaque, dir)
		return x.ensureDir(h, dir)
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	switch {
	case strings.HasPrefix(name, whiteoutPrefix):
		return refuse(h, "unsupported whiteout meta-entry %q", base)
	case name == "" || name == "." || name == "..":
		return refuse(h, "whiteout %q names no file", base)
	}
	target := path.Join(dir, name)
	fd, tbase, err := x.openParent(h, target, true)
	if err != nil {
		return err
	}
	defer x.closeDir(fd)
	_, exists, err := lstatAt(fd, tbase)
	if err != nil {
		return fmt.Errorf("entry %q: stat %q: %w", h.Name, target, err)
	}
	if exists {
		// A whiteout hides lower layers only; what this layer adds stays.
		return nil
	}
	if err := unix.Mknodat(fd, tbase, unix.S_IFCHR, int(unix.Mkdev(0, 0))); err != nil {
		return fmt.Errorf("entry %q: create overlay whiteout %q (needs CAP_MKNOD): %w", h.Name, target, err)
	}
	x.markCreated(target)
	return nil
}

// ensureDir makes sure dir exists as a directory, creating it if needed.
func (x *extractor) ensureDir(h *tar.Header, dir string) error {
	if dir == "." {
		return nil
	}
	fd, base, err := x.openParent(h, dir, true)
	if err != nil {
		return err
	}
	defer x.closeDir(fd)
	st, ok, err := lstatAt(fd, base)
	switch {
	case err != nil:
		return fmt.Errorf("entry %q: stat %q: %w", h.Name, dir, err)
	case !ok:
		if err := unix.Mkdirat(fd, base, 0o755); err != nil {
			return fmt.Errorf("entry %q: mkdir %q: %w", h.Name, dir, err)
		}
		x.markCreated(dir)
		return nil
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return refuse(h, "opaque marker in %q, which is not a directory", dir)
	}
	return nil
}

// markOpaque sets the overlayfs opaque xattr on directory rel.
func (x *extractor) markOpaque(rel string) error {
	h := &tar.Header{Name: path.Join(rel, whiteoutOpaque)}
	return x.withDir(h, rel, func(dfd, _ int, _ string) error {
		if err := unix.Fsetxattr(dfd, opaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("mark %q overlay-opaque (needs CAP_SYS_ADMIN): %w", rel, err)
		}
		return nil
	})
}
