package profiles

import (
	"fmt"
	"sort"
	"strings"
)

// ValidationError is one problem in a profile, at the place it was found.
type ValidationError struct {
	// File is the file as named to Load (or shipped/NAME.yaml), or "--set"
	// for a value given on the command line.
	File string
	// Line and Column are 1-based. Column is 0 for YAML syntax errors (the
	// parser reports only a line); both are 0 when the problem has no place
	// in a file (an unreadable root file, a --set value).
	Line, Column int
	// Path is the key path within File, e.g. nfs[2].interfaces[0].network.
	Path string
	Msg  string
}

// Error reads "file:line:col: path: message", leaving out what is unknown.
func (e ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationErrors are all the problems found in one load, in file order
// (the named file first, then its includes) and by position within a file.
type ValidationErrors []ValidationError

// Error is one problem per line.
func (es ValidationErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// errList collects problems during a load.
type errList struct {
	list  ValidationErrors
	files map[string]int // load order of files, for sorting
}

func (l *errList) add(e ValidationError) { l.list = append(l.list, e) }

// file records the load order of a file name.
func (l *errList) file(name string) {
	if l.files == nil {
		l.files = map[string]int{}
	}
	if _, ok := l.files[name]; !ok {
		l.files[name] = len(l.files)
	}
}

func (l *errList) empty() bool { return len(l.list) == 0 }

// err returns the problems sorted and without repeats, or nil.
func (l *errList) err() error {
	if len(l.list) == 0 {
		return nil
	}
	order := func(f string) int {
		if i, ok := l.files[f]; ok {
			return i
		}
		return -1 // command-line values come first
	}
	out := append(ValidationErrors(nil), l.list...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if oa, ob := order(a.File), order(b.File); oa != ob {
			return oa < ob
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	seen := map[ValidationError]bool{}
	uniq := out[:0]
	for _, e := range out {
		if !seen[e] {
			seen[e] = true
			uniq = append(uniq, e)
		}
	}
	return uniq
}
