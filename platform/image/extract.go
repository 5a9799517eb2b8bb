package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Limits a layer may not exceed, so a hostile layer cannot fill the disk
// (a zip bomb) or the inode table.
const (
	DefaultMaxExtractBytes   int64 = 4 << 30
	DefaultMaxExtractEntries       = 1 << 20
)

// ErrUnsafeLayer marks a layer Extract refused: it would escape its
// directory, create a device, or write through a symlink.
var ErrUnsafeLayer = errors.New("unsafe layer")

// ExtractOptions bound what one Extract call may write; zero values mean
// the defaults above.
type ExtractOptions struct {
	MaxBytes   int64 // total bytes of regular-file content
	MaxEntries int   // tar entries
}

// ExtractWithOptions is Extract with explicit limits.
func ExtractWithOptions(r io.Reader, dir string, opts ExtractOptions) error {
	x, err := newExtractor(dir, opts)
	if err != nil {
		return err
	}
	defer x.close()
	if err := x.run(tar.NewReader(r)); err != nil {
		if uerr := x.undo(); uerr != nil {
			return errors.Join(err, fmt.Errorf("clean up after failed extract into %s: %w", dir, uerr))
		}
		return err
	}
	return nil
}

// extractor holds the state of one Extract call. Every path it keeps is
// relative to dir, cleaned, and "." for dir itself.
type extractor struct {
	dir     string
	root    int // fd of dir: every file operation is relative to it
	opts    ExtractOptions
	owner   bool // running as root: apply uid/gid from the tar
	written int64
	entries int

	created map[string]bool // paths this call created
	roots   []string        // created paths whose parent existed before: undo removes these

	dirs    map[string]*tar.Header // directory metadata, applied last so children do not disturb mtimes
	dirList []string
	opaque  []string // directories to mark overlay-opaque, applied last
}

func newExtractor(dir string, opts ExtractOptions) (*extractor, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxExtractBytes
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxExtractEntries
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("extract: open target directory %s: %w", dir, err)
	}
	return &extractor{
		dir:     dir,
		root:    fd,
		opts:    opts,
		owner:   os.Geteuid() == 0,
		created: map[string]bool{},
		dirs:    map[string]*tar.Header{},
	}, nil
}

func (x *extractor) close() {
	// Closing a directory fd we only read cannot lose data; there is
	// nothing useful to report.
	_ = unix.Close(x.root)
}

func (x *extractor) run(tr *tar.Reader) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return x.finish()
		}
		if err != nil {
			return fmt.Errorf("read layer tar: %w", err)
		}
		x.entries++
		if x.entries > x.opts.MaxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrUnsafeLayer, x.opts.MaxEntries)
		}
		if err := x.entry(tr, h); err != nil {
			return err
		}
	}
}

// finish applies what had to wait until every entry was written. The
// root goes last: it existed before, so a failure must not leave it changed.
func (x *extractor) finish() error {
	for _, rel := range x.dirList {
		if rel == "." {
			continue
		}
		if err := x.applyDirMeta(rel, x.dirs[rel]); err != nil {
			return err
		}
	}
	for _, rel := range x.opaque {
		if err := x.markOpaque(rel); err != nil {
			return err
		}
	}
	if h, ok := x.dirs["."]; ok {
		return x.applyDirMeta(".", h)
	}
	return nil
}

// markCreated records rel as made by this call, so undo can remove it.
func (x *extractor) markCreated(rel string) {
	if x.created[rel] {
		return
	}
	x.created[rel] = true
	if !x.created[path.Dir(rel)] {
		x.roots = append(x.roots, rel)
	}
}

// undo removes everything this call created, newest first, so a refused
// layer leaves nothing behind.
func (x *extractor) undo() error {
	var errs []error
	for i := len(x.roots) - 1; i >= 0; i-- {
		if err := removeTree(filepath.Join(x.dir, x.roots[i])); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func refuse(h *tar.Header, format string, args ...any) error {
	return fmt.Errorf("%w: entry %q: %s", ErrUnsafeLayer, h.Name, fmt.Sprintf(format, args...))
}
