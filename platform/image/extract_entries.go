package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

func (x *extractor) entry(tr *tar.Reader, h *tar.Header) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil // PAX global header: metadata for the reader, no file
	}
	rel, err := entryPath(h, h.Name)
	if err != nil {
		return err
	}
	if strings.HasPrefix(path.Base(rel), whiteoutPrefix) {
		return x.whiteout(h, rel)
	}
	if rel == "." && h.Typeflag != tar.TypeDir {
		return refuse(h, "the layer root can only be a directory")
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return x.mkdir(h, rel)
	case tar.TypeReg:
		return x.regular(tr, h, rel)
	case tar.TypeSymlink:
		return x.symlink(h, rel)
	case tar.TypeLink:
		return x.hardlink(h, rel)
	case tar.TypeFifo:
		return x.fifo(h, rel)
	case tar.TypeChar, tar.TypeBlock:
		return refuse(h, "device nodes are not allowed in a layer")
	default:
		return refuse(h, "unsupported entry type %q", h.Typeflag)
	}
}

// mkdir creates a directory (or keeps an existing one); its metadata waits
// for finish.
func (x *extractor) mkdir(h *tar.Header, rel string) error {
	if err := checkMeta(h); err != nil {
		return err
	}
	if rel != "." {
		fd, base, err := x.openParent(h, rel, true)
		if err != nil {
			return err
		}
		defer x.closeDir(fd)
		st, ok, err := lstatAt(fd, base)
		if err != nil {
			return fmt.Errorf("entry %q: stat: %w", h.Name, err)
		}
		if !ok || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if err := x.clearName(h, fd, base, rel); err != nil {
				return err
			}
			if err := unix.Mkdirat(fd, base, 0o700); err != nil {
				return fmt.Errorf("entry %q: mkdir: %w", h.Name, err)
			}
			x.markCreated(rel)
		}
	}
	if _, seen := x.dirs[rel]; !seen {
		x.dirList = append(x.dirList, rel)
	}
	x.dirs[rel] = h
	return nil
}

// regular writes a file into a freshly created inode: O_EXCL|O_NOFOLLOW
// means an existing name (a symlink, a hard link to something else) is
// never written through.
func (x *extractor) regular(tr *tar.Reader, h *tar.Header, rel string) error {
	if err := checkMeta(h); err != nil {
		return err
	}
	if h.Size < 0 || h.Size > x.opts.MaxBytes-x.written {
		return refuse(h, "layer content exceeds the %d-byte limit", x.opts.MaxBytes)
	}
	x.written += h.Size
	f, pfd, base, err := x.createAt(h, rel, func(fd int, base string) (int, error) {
		return unix.Openat(fd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	})
	if err != nil {
		return err
	}
	defer x.closeDir(pfd)
	if _, err := io.Copy(f, tr); err != nil {
		return errors.Join(fmt.Errorf("entry %q: write: %w", h.Name, err), f.Close())
	}
	return x.finishFile(f, pfd, base, h)
}

// fifo creates a named pipe; it is opened non-blocking only to set its
// metadata through an fd.
func (x *extractor) fifo(h *tar.Header, rel string) error {
	if err := checkMeta(h); err != nil {
		return err
	}
	f, pfd, base, err := x.createAt(h, rel, func(fd int, base string) (int, error) {
		if err := unix.Mknodat(fd, base, unix.S_IFIFO|0o600, 0); err != nil {
			return -1, err
		}
		x.markCreated(rel) // before open: a failed open must still be undone
		return unix.Openat(fd, base, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return err
	}
	defer x.closeDir(pfd)
	return x.finishFile(f, pfd, base, h)
}

// finishFile applies metadata through the new inode's fd, then closes it.
func (x *extractor) finishFile(f *os.File, pfd int, base string, h *tar.Header) error {
	if err := x.applyFdMeta(int(f.Fd()), h); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("entry %q: close: %w", h.Name, err)
	}
	return setTimesAt(pfd, base, h)
}

// createAt makes room for rel and creates it with create, which returns
// an fd of the new inode. The caller closes the returned parent fd.
func (x *extractor) createAt(h *tar.Header, rel string, create func(fd int, base string) (int, error)) (*os.File, int, string, error) {
	fd, base, err := x.openParent(h, rel, true)
	if err != nil {
		return nil, -1, "", err
	}
	if err := x.clearName(h, fd, base, rel); err != nil {
		x.closeDir(fd)
		return nil, -1, "", err
	}
	nfd, err := create(fd, base)
	if err != nil {
		x.closeDir(fd)
		return nil, -1, "", fmt.Errorf("entry %q: create: %w", h.Name, err)
	}
	x.markCreated(rel)
	return os.NewFile(uintptr(nfd), path.Join(x.dir, rel)), fd, base, nil
}

// symlink creates a link whose target, resolved lexically from the link's
// directory, stays inside the layer.
func (x *extractor) symlink(h *tar.Header, rel string) error {
	if err := checkMeta(h); err != nil {
		return err
	}
	switch {
	case h.Linkname == "":
		return refuse(h, "symlink with an empty target")
	case strings.ContainsRune(h.Linkname, 0):
		return refuse(h, "NUL byte in symlink target")
	case symlinkEscapes(rel, h.Linkname):
		return refuse(h, "symlink target %q escapes the layer", h.Linkname)
	}
	fd, base, err := x.openParent(h, rel, true)
	if err != nil {
		return err
	}
	defer x.closeDir(fd)
	if err := x.clearName(h, fd, base, rel); err != nil {
		return err
	}
	if err := unix.Symlinkat(h.Linkname, fd, base); err != nil {
		return fmt.Errorf("entry %q: symlink: %w", h.Name, err)
	}
	x.markCreated(rel)
	return x.applyLinkMeta(fd, base, rel, h)
}

// hardlink links rel to an existing regular file or fifo of the layer.
func (x *extractor) hardlink(h *tar.Header, rel string) error {
	target, err := entryPath(h, h.Linkname)
	if err != nil {
		return refuse(h, "hard link target %q is outside the layer", h.Linkname)
	}
	if target == rel {
		return nil // linking a file to itself changes nothing
	}
	tfd, tbase, err := x.openParent(h, target, false)
	if errors.Is(err, ErrUnsafeLayer) {
		return err
	}
	if err != nil {
		return refuse(h, "hard link target %q is not in the layer: %v", h.Linkname, err)
	}
	defer x.closeDir(tfd)
	st, ok, err := lstatAt(tfd, tbase)
	if err != nil || !ok {
		return refuse(h, "hard link target %q does not exist in the layer", h.Linkname)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFIFO {
		return refuse(h, "hard link target %q is not a regular file", h.Linkname)
	}
	fd, base, err := x.openParent(h, rel, true)
	if err != nil {
		return err
	}
	defer x.closeDir(fd)
	if err := x.clearName(h, fd, base, rel); err != nil {
		return err
	}
	if err := unix.Linkat(tfd, tbase, fd, base, 0); err != nil {
		return fmt.Errorf("entry %q: link to %q: %w", h.Name, h.Linkname, err)
	}
	x.markCreated(rel)
	return nil
}
