package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// entryPath validates a tar member name and returns it cleaned and
// relative to the layer root ("." for the root itself).
func entryPath(h *tar.Header, name string) (string, error) {
	switch {
	case name == "":
		return "", refuse(h, "empty path")
	case strings.HasPrefix(name, "/"):
		return "", refuse(h, "absolute path %q would leave the layer", name)
	case strings.ContainsRune(name, 0):
		return "", refuse(h, "NUL byte in path")
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", refuse(h, "path %q has a \"..\" component", name)
		}
	}
	return path.Clean(name), nil
}

// symlinkEscapes reports whether target, read from the directory holding
// rel, climbs above the layer root. Absolute targets resolve against the
// container's root, so they stay inside.
func symlinkEscapes(rel, target string) bool {
	if path.IsAbs(target) {
		return false
	}
	p := path.Join(path.Dir(rel), target)
	return p == ".." || strings.HasPrefix(p, "../")
}

// openParent opens the directory that holds rel, walking one component at
// a time with O_NOFOLLOW so no symlink is ever followed. With create,
// missing parents are made (tars often omit directory entries). The
// caller closes the returned fd unless it is x.root.
func (x *extractor) openParent(h *tar.Header, rel string, create bool) (int, string, error) {
	dir, base := path.Split(rel)
	fd := x.root
	walked := ""
	for _, c := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if c == "" {
			continue
		}
		walked = path.Join(walked, c)
		next, err := x.openDir(h, fd, c, walked, create)
		x.closeDir(fd)
		if err != nil {
			return -1, "", err
		}
		fd = next
	}
	return fd, base, nil
}

func (x *extractor) closeDir(fd int) {
	if fd != x.root {
		// Read-only directory fd: close cannot lose data.
		_ = unix.Close(fd)
	}
}

// openDir opens component c of parent fd as a directory, refusing symlinks.
func (x *extractor) openDir(h *tar.Header, fd int, c, walked string, create bool) (int, error) {
	if c == ".." || c == "." {
		// entryPath has cleaned these away; openat would follow "..".
		return -1, refuse(h, "path component %q", c)
	}
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	next, err := unix.Openat(fd, c, flags, 0)
	if errors.Is(err, unix.ENOENT) && create {
		if err := unix.Mkdirat(fd, c, 0o755); err != nil {
			return -1, fmt.Errorf("entry %q: create parent directory %q: %w", h.Name, walked, err)
		}
		x.markCreated(walked)
		next, err = unix.Openat(fd, c, flags, 0)
	}
	if err == nil {
		return next, nil
	}
	var st unix.Stat_t
	if serr := unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return -1, refuse(h, "parent %q is a symlink: refusing to write through it", walked)
	}
	return -1, fmt.Errorf("entry %q: open parent directory %q: %w", h.Name, walked, err)
}

// lstatAt stats base in fd without following a symlink; ok is false when
// it does not exist.
func lstatAt(fd int, base string) (st unix.Stat_t, ok bool, err error) {
	err = unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	return st, err == nil, err
}

// clearName makes room for a new non-directory entry: a later tar entry
// replaces an earlier one, but never a directory (that would discard its
// contents) and never by writing into what is there.
func (x *extractor) clearName(h *tar.Header, fd int, base, rel string) error {
	st, ok, err := lstatAt(fd, base)
	if err != nil {
		return fmt.Errorf("entry %q: stat: %w", h.Name, err)
	}
	if !ok {
		return nil
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return refuse(h, "would replace directory %q", rel)
	}
	if err := unix.Unlinkat(fd, base, 0); err != nil {
		return fmt.Errorf("entry %q: replace existing %q: %w", h.Name, rel, err)
	}
	return nil
}
