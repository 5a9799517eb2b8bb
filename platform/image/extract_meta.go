package image

import (
	"archive/tar"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const paxXattr = "SCHILY.xattr."

// Overlayfs reads these xattrs on its lower dirs; a layer setting them
// could redirect lookups, so only the whiteout conversion may write them.
var reservedXattrPrefixes = []string{"trusted.overlay.", "user.overlay."}

// checkMeta refuses ownership and xattrs that cannot be applied safely.
func checkMeta(h *tar.Header) error {
	const maxID = 1<<32 - 2 // (uid_t)-1 means "leave unchanged" to chown
	if h.Uid < 0 || h.Uid > maxID || h.Gid < 0 || h.Gid > maxID {
		return refuse(h, "uid/gid %d/%d out of range", h.Uid, h.Gid)
	}
	for _, name := range xattrNames(h) {
		if name == "" {
			return refuse(h, "empty xattr name")
		}
		for _, p := range reservedXattrPrefixes {
			if strings.HasPrefix(name, p) {
				return refuse(h, "xattr %q is reserved for overlayfs", name)
			}
		}
	}
	return nil
}

// xattrNames lists the entry's xattrs in a stable order.
func xattrNames(h *tar.Header) []string {
	var names []string
	for k := range h.PAXRecords {
		if name, ok := strings.CutPrefix(k, paxXattr); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// applyFdMeta sets owner, mode and xattrs through fd. chown comes first
// because it clears setuid/setgid bits.
func (x *extractor) applyFdMeta(fd int, h *tar.Header) error {
	if x.owner {
		if err := unix.Fchown(fd, h.Uid, h.Gid); err != nil {
			return fmt.Errorf("entry %q: chown: %w", h.Name, err)
		}
	}
	if err := unix.Fchmod(fd, uint32(h.Mode&0o7777)); err != nil {
		return fmt.Errorf("entry %q: chmod: %w", h.Name, err)
	}
	for _, name := range xattrNames(h) {
		if err := unix.Fsetxattr(fd, name, []byte(h.PAXRecords[paxXattr+name]), 0); err != nil {
			return fmt.Errorf("entry %q: set xattr %s: %w", h.Name, name, err)
		}
	}
	return nil
}

// applyLinkMeta sets a symlink's owner, xattrs and times without
// following it (a symlink has no mode of its own).
func (x *extractor) applyLinkMeta(pfd int, base, rel string, h *tar.Header) error {
	if x.owner {
		if err := unix.Fchownat(pfd, base, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("entry %q: chown: %w", h.Name, err)
		}
	}
	// Every parent of rel was opened with O_NOFOLLOW above, so this path
	// reaches the link itself.
	full := path.Join(x.dir, rel)
	for _, name := range xattrNames(h) {
		if err := unix.Lsetxattr(full, name, []byte(h.PAXRecords[paxXattr+name]), 0); err != nil {
			return fmt.Errorf("entry %q: set xattr %s: %w", h.Name, name, err)
		}
	}
	return setTimesAt(pfd, base, h)
}

// applyDirMeta applies a directory entry's metadata once its children exist.
func (x *extractor) applyDirMeta(rel string, h *tar.Header) error {
	return x.withDir(h, rel, func(dfd, pfd int, base string) error {
		if err := x.applyFdMeta(dfd, h); err != nil {
			return err
		}
		return setTimesAt(pfd, base, h)
	})
}

// withDir opens directory rel (never through a symlink) and calls fn with
// its fd and the fd+name to reach it from its parent.
func (x *extractor) withDir(h *tar.Header, rel string, fn func(dfd, pfd int, base string) error) error {
	if rel == "." {
		return fn(x.root, x.root, ".")
	}
	pfd, base, err := x.openParent(h, rel, false)
	if err != nil {
		return err
	}
	defer x.closeDir(pfd)
	dfd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("entry %q: open directory: %w", h.Name, err)
	}
	defer x.closeDir(dfd)
	return fn(dfd, pfd, base)
}

func setTimesAt(pfd int, base string, h *tar.Header) error {
	atime := h.AccessTime
	if atime.IsZero() {
		atime = h.ModTime
	}
	ts := []unix.Timespec{timespec(atime), timespec(h.ModTime)}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("entry %q: set times: %w", h.Name, err)
	}
	return nil
}

// timespec avoids UnixNano, which overflows outside 1678..2262.
func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}
