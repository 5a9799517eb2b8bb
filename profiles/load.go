package profiles

import (
	"io/fs"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// LoadOptions are what a load takes beside the profile.
type LoadOptions struct {
	// Set overrides variables (--set name=value); naming a variable the
	// profile does not declare is an error.
	Set map[string]string
	// Files, when set, is where paths are read from instead of the OS file
	// system (tests). Shipped profiles always come from the binary.
	Files fs.FS
}

// Load reads the profile at path (relative to the working directory, or
// within opts.Files), with its includes and variables, fills defaults and
// validates it. Its errors are ValidationErrors.
func Load(path string, opts LoadOptions) (*Profile, error) {
	lc, err := pathLoc(opts.Files, path)
	if err != nil {
		return nil, ValidationErrors{{File: path, Msg: err.Error()}}
	}
	return load(lc, opts, lc.display)
}

// LoadShipped loads a profile built into corebox (see Shipped).
func LoadShipped(name string, opts LoadOptions) (*Profile, error) {
	if !isShipped(name) {
		return nil, ValidationErrors{{File: name, Msg: unknownShipped(name).Error()}}
	}
	return load(shippedLoc(name), opts, "shipped:"+name)
}

// Find loads a shipped profile by name (demo) or a file by path (a path
// has a / or a .yaml or .yml suffix: ./demo, profiles/x.yaml).
func Find(nameOrPath string, opts LoadOptions) (*Profile, error) {
	if isPath(nameOrPath) {
		return Load(nameOrPath, opts)
	}
	if !isShipped(nameOrPath) && fileExists(opts.Files, nameOrPath) {
		return nil, ValidationErrors{{File: nameOrPath, Msg: unknownShipped(nameOrPath).Error() + "; for the file, write ./" + nameOrPath}}
	}
	return LoadShipped(nameOrPath, opts)
}

func fileExists(files fs.FS, name string) bool {
	var err error
	if files != nil {
		_, err = fs.Stat(files, name)
	} else {
		_, err = os.Stat(name)
	}
	return err == nil
}

// load runs the stages: read the file and its includes, substitute
// variables, merge, decode, fill defaults, validate, add mgmt.
func load(lc loc, opts LoadOptions, source string) (*Profile, error) {
	l := newLoader(opts)
	root := l.load(lc, nil, nil)
	if root.top == nil {
		return nil, l.errs.err()
	}
	vars := effectiveVars(root)
	l.applySet(vars)
	substituteAll(l, root, vars)
	merged := (&merger{l: l}).flatten(root)

	p := &Profile{}
	d := &decoder{l: l, pos: map[string]*yaml.Node{}, failed: map[string]bool{}}
	d.value(merged, "", "Profile", reflect.ValueOf(p).Elem())
	p.Include = root.include
	if len(vars) > 0 {
		p.Variables = vars
	}
	p.Source = source

	v := newValidator(l, p, d.pos, d.failed)
	v.fillDefaults()
	v.validate()
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	addMgmt(p)
	return p, nil
}

func substituteAll(l *loader, f *file, vars map[string]string) {
	for _, inc := range f.includes {
		substituteAll(l, inc, vars)
	}
	if f.top != nil {
		l.substitute(f.top, vars)
	}
}
