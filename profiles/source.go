package profiles

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed shipped/*.yaml
var shippedFiles embed.FS

// shippedFS is the shipped profiles, NAME.yaml at its top.
var shippedFS = func() fs.FS {
	sub, err := fs.Sub(shippedFiles, "shipped")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}()

// Shipped lists the names of the profiles built into corebox.
func Shipped() []string {
	entries, err := fs.ReadDir(shippedFS, ".")
	if err != nil {
		return nil // an embedded directory always reads
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// loc is where a profile file lives: among the shipped profiles, in
// LoadOptions.Files, or on the OS file system (fsys nil).
type loc struct {
	fsys    fs.FS
	name    string // path within fsys, or an OS path
	display string // for errors and Profile.Source
	key     string // identity, for include cycles
}

func shippedLoc(name string) loc {
	return loc{fsys: shippedFS, name: name + ".yaml", display: "shipped/" + name + ".yaml", key: "shipped:" + name + ".yaml"}
}

// pathLoc is a file named by the user: in files when given, else on disk.
func pathLoc(files fs.FS, name string) (loc, error) {
	if files == nil {
		key, err := filepath.Abs(name)
		if err != nil {
			return loc{}, fmt.Errorf("resolve %s: %w", name, err)
		}
		return loc{name: name, display: name, key: "os:" + key}, nil
	}
	clean := path.Clean(strings.TrimPrefix(name, "/"))
	if !fs.ValidPath(clean) {
		return loc{}, fmt.Errorf("%s is outside the profile files", name)
	}
	return loc{fsys: files, name: clean, display: clean, key: "files:" + clean}, nil
}

func (l loc) read() ([]byte, error) {
	if l.fsys == nil {
		return os.ReadFile(l.name)
	}
	return fs.ReadFile(l.fsys, l.name)
}

// isPath tells a path from a shipped profile's name.
func isPath(s string) bool {
	return strings.ContainsRune(s, '/') || strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}

// include resolves an include item: a shipped name, or a path relative to
// this file (within the same file system).
func (l loc) include(item string) (loc, error) {
	if !isPath(item) {
		if !isShipped(item) {
			return loc{}, unknownShipped(item)
		}
		return shippedLoc(item), nil
	}
	if l.fsys == nil {
		name := item
		if !filepath.IsAbs(item) {
			name = filepath.Join(filepath.Dir(l.name), item)
		}
		return pathLoc(nil, name)
	}
	name := path.Join(path.Dir(l.name), item)
	if !fs.ValidPath(name) || path.IsAbs(item) {
		return loc{}, fmt.Errorf("%s leaves the directory of %s", item, l.display)
	}
	return loc{fsys: l.fsys, name: name, display: l.displayDir() + name, key: l.key[:strings.IndexByte(l.key, ':')+1] + name}, nil
}

// displayDir is what prefixes a name within this file's file system.
func (l loc) displayDir() string {
	if l.fsys == shippedFS {
		return "shipped/"
	}
	return ""
}

func isShipped(name string) bool {
	for _, s := range Shipped() {
		if s == name {
			return true
		}
	}
	return false
}

func unknownShipped(name string) error {
	return fmt.Errorf("no shipped profile %q%s (shipped: %s); a path needs a / or a .yaml suffix",
		name, suggest(name, Shipped()), strings.Join(Shipped(), ", "))
}

// readError says why a file could not be read, without repeating its name.
func readError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}
