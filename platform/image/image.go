// Package image keeps NF images as OCI images on one node: an OCI image
// layout at <stateRoot>/images (blobs are content-addressed, refs live in
// index.json annotations) and unpacked layers at
// <stateRoot>/layers/sha256/<diffID hex>, ready to be overlayfs lower dirs.
//
// Store mutations take an exclusive flock on <stateRoot>/images/.lock and
// readers a shared one, so the CLI and the daemon can share a state root.
// Writers stage blobs under <stateRoot>/images/.tmp first and commit them
// under the lock, so a crash never leaves a half-written blob or index.
package image

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// ErrNotFound reports an image that is not in the store.
var ErrNotFound = errors.New("image not found")

// Store is the image store of one state root. Its methods are safe for
// concurrent use, also across processes.
type Store struct {
	root   string   // state root
	parsed sync.Map // manifest digest -> *parsedImage

	// MaxLayerBytes bounds the file content one layer may unpack to
	// (0: DefaultMaxExtractBytes). Set it before using the store.
	MaxLayerBytes int64
}

// KindSpec is one NF kind: the image runs `corenf <Name>` with
// DefaultConfig as /etc/corebox/<Name>.yaml.
type KindSpec struct {
	Name          string
	DefaultConfig []byte
}

// BuildSpec says what Build packs.
type BuildSpec struct {
	CorenfPath string // the static corenf binary
	Kinds      []KindSpec
	Tag        string           // e.g. "dev"; empty means "latest"
	Progress   func(msg string) // may be nil
	Created    time.Time        // zero: $SOURCE_DATE_EPOCH, else the Unix epoch, so rebuilds are reproducible
}

// Summary is one tagged image.
type Summary struct {
	Ref     string // corebox/dn:dev
	Digest  string // manifest digest, sha256:...
	Size    int64  // bytes of manifest, config and (compressed) layers
	Created time.Time
	Layers  int
}

// ImageConfig is what a container needs from the image config.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	User       string
	Labels     map[string]string
}

// LayerInfo describes one layer, bottom first.
type LayerInfo struct {
	Digest    string // compressed blob
	DiffID    string // uncompressed tar; names the unpacked directory
	Size      int64  // compressed bytes
	MediaType string
}

// Details is everything Inspect shows about an image.
type Details struct {
	Ref          string
	Digest       string
	Size         int64
	Created      time.Time
	OS           string
	Architecture string
	Config       ImageConfig
	Layers       []LayerInfo
}

// Rootfs is an unpacked image, ready for an overlay mount.
type Rootfs struct {
	LowerDirs []string // topmost first, as overlayfs lowerdir= wants them
	Config    ImageConfig
	Digest    string
}

// RemoteOptions tune Push and Pull.
type RemoteOptions struct {
	Insecure bool             // plain http
	Progress func(msg string) // may be nil
}

// Open opens (creating if needed) the store under stateRoot.
func Open(stateRoot string) (*Store, error) { return open(stateRoot) }

// Build makes one image corebox/<kind>:<tag> per kind: a layer holding
// corenf shared by all of them and a small layer with the kind's config.
func (s *Store) Build(ctx context.Context, spec BuildSpec) ([]Summary, error) {
	return s.build(ctx, spec)
}

// List returns every tagged image, sorted by ref.
func (s *Store) List() ([]Summary, error) { return s.list() }

// Inspect describes one image.
func (s *Store) Inspect(ref string) (*Details, error) { return s.Resolve(ref) }

// Resolve finds an image by ref (name, name:tag or name@sha256:...);
// errors.Is(err, ErrNotFound) when it is not in the store.
func (s *Store) Resolve(ref string) (*Details, error) { return s.resolve(ref) }

// Remove untags ref and garbage-collects blobs and unpacked layers that
// no image references any more.
func (s *Store) Remove(ref string) error { return s.remove(ref) }

// Save writes refs as one tarball that is both an OCI image layout and a
// docker-archive (manifest.json), so Load and `docker load` read it back.
func (s *Store) Save(ctx context.Context, refs []string, w io.Writer) error {
	return s.save(ctx, refs, w)
}

// Load reads a tarball written by Save (or `docker save`) and returns the
// refs it tagged.
func (s *Store) Load(ctx context.Context, r io.Reader) ([]string, error) { return s.load(ctx, r) }

// Push uploads ref to dest (like 127.0.0.1:5000/corebox/dn:dev) and
// returns the manifest digest.
func (s *Store) Push(ctx context.Context, ref, dest string, opts RemoteOptions) (string, error) {
	return s.push(ctx, ref, dest, opts)
}

// Pull downloads src for this node's platform and tags it localRef (src
// itself when empty).
func (s *Store) Pull(ctx context.Context, src, localRef string, opts RemoteOptions) (*Summary, error) {
	return s.pull(ctx, src, localRef, opts)
}

// Unpack unpacks each layer of ref once, content-addressed by diffID, and
// returns the overlayfs lower dirs plus the image config. Concurrent
// callers and crashes never expose a half-unpacked layer.
func (s *Store) Unpack(ctx context.Context, ref string) (*Rootfs, error) { return s.unpack(ctx, ref) }

// Extract safely extracts an uncompressed layer tar into dir: it refuses
// (ErrUnsafeLayer) paths leaving dir, device nodes, escaping links and any
// write through a symlink, and then removes everything it created.
func Extract(r io.Reader, dir string) error { return ExtractWithOptions(r, dir, ExtractOptions{}) }
