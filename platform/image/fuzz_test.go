package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const fuzzMaxBytes = 1 << 20

// FuzzExtract checks the invariants that make Extract safe, whatever the
// input: nothing appears outside the target, a failed extract leaves the
// target empty, and a successful one holds no device, no escaping
// symlink, no hard link to a file elsewhere and no more than the limit.
func FuzzExtract(f *testing.F) {
	requireFuzzSandbox(f)
	// Seeds come from testdata/fuzz/FuzzExtract (see TestFuzzSeedCorpus).
	f.Fuzz(func(t *testing.T, data []byte) {
		base, root := extractTarget(t)
		err := ExtractWithOptions(bytes.NewReader(data), root, ExtractOptions{MaxBytes: fuzzMaxBytes, MaxEntries: 512})
		assertOnly(t, base, "root")
		if err != nil {
			if left := listTree(t, root); len(left) > 0 {
				t.Fatalf("failed extract (%v) left %v", err, left)
			}
			return
		}
		checkExtractedTree(t, root)
	})
}

// FuzzExtractEntries fuzzes the tree logic rather than the tar parser:
// each input line becomes one well-formed entry ("<type> <name> [<link>]",
// types f d l h p c b), so the fuzzer spends its time on names, links and
// their order, with the same invariants as FuzzExtract.
func FuzzExtractEntries(f *testing.F) {
	requireFuzzSandbox(f)
	f.Fuzz(func(t *testing.T, script string) {
		data, ok := scriptTar(script)
		if !ok {
			return
		}
		base, root := extractTarget(t)
		err := ExtractWithOptions(bytes.NewReader(data), root, ExtractOptions{MaxBytes: fuzzMaxBytes, MaxEntries: 512})
		assertOnly(t, base, "root")
		if err != nil {
			if left := listTree(t, root); len(left) > 0 {
				t.Fatalf("failed extract (%v) left %v", err, left)
			}
			return
		}
		checkExtractedTree(t, root)
	})
}

// scriptTar turns a FuzzExtractEntries script into a tar; ok is false
// when archive/tar cannot encode it.
func scriptTar(script string) ([]byte, bool) {
	types := map[string]byte{"f": tar.TypeReg, "d": tar.TypeDir, "l": tar.TypeSymlink, "h": tar.TypeLink,
		"p": tar.TypeFifo, "c": tar.TypeChar, "b": tar.TypeBlock}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, line := range strings.Split(script, "\n") {
		fields := strings.SplitN(line, " ", 3)
		typ, known := types[fields[0]]
		if !known || len(fields) < 2 {
			continue
		}
		h := &tar.Header{Typeflag: typ, Name: fields[1], Mode: 0o755, Format: tar.FormatPAX}
		if len(fields) == 3 {
			h.Linkname = fields[2]
		}
		body := ""
		if typ == tar.TypeReg {
			body = h.Name
			h.Size = int64(len(body))
		}
		if tw.WriteHeader(h) != nil {
			return nil, false
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			return nil, false
		}
	}
	return buf.Bytes(), tw.Close() == nil
}

// requireFuzzSandbox stops a fuzzing run (not the seed run of go test)
// as root on a writable /: the fuzzer exists to find the bug that lets a
// layer write outside its directory, and as root that write could land on
// any host file.
func requireFuzzSandbox(f *testing.F) {
	if fl := flag.Lookup("test.fuzz"); fl == nil || fl.Value.String() == "" {
		return
	}
	if os.Geteuid() != 0 || os.Getenv("COREBOX_FUZZ_ALLOW_ROOT") == "1" {
		return
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/", &st); err == nil && st.Flags&unix.ST_RDONLY != 0 {
		return
	}
	f.Fatal("refusing to fuzz Extract as root with / writable: run platform/image/testdata/fuzz-sandbox.sh " +
		f.Name() + " 2m (private mount namespace, / read-only), or set COREBOX_FUZZ_ALLOW_ROOT=1")
}

func checkExtractedTree(t *testing.T, root string) {
	t.Helper()
	var total int64
	names := map[uint64]int{} // inode -> names seen under root
	links := map[uint64]uint64{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFBLK:
			return fmt.Errorf("%s: block device", rel)
		case unix.S_IFCHR:
			if st.Rdev != 0 {
				return fmt.Errorf("%s: char device %d, only 0:0 whiteouts are allowed", rel, st.Rdev)
			}
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if escapesLexically(root, p, target) {
				return fmt.Errorf("%s -> %s escapes", rel, target)
			}
		case unix.S_IFREG:
			names[st.Ino]++
			links[st.Ino] = uint64(st.Nlink)
			if names[st.Ino] == 1 {
				total += st.Size
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for ino, n := range names {
		if uint64(n) != links[ino] {
			t.Fatalf("inode %d has %d links but %d names under the target: a hard link leads outside", ino, links[ino], n)
		}
	}
	if total > fuzzMaxBytes {
		t.Fatalf("extracted %d bytes, limit %d", total, fuzzMaxBytes)
	}
}

// escapesLexically is the test's own reading of the symlink rule, kept
// apart from the code under test.
func escapesLexically(root, link, target string) bool {
	if filepath.IsAbs(target) {
		return false
	}
	rel, err := filepath.Rel(root, filepath.Join(filepath.Dir(link), target))
	return err != nil || rel == ".." || strings.HasPrefix(rel, "../")
}

type fuzzSeed struct {
	name string
	data []byte
}

// fuzzSeeds are committed under testdata/fuzz/FuzzExtract; run
// `go test -run TestFuzzSeedCorpus -update-seeds` after changing them.
func fuzzSeeds(t testing.TB) []fuzzSeed {
	valid := buildTar(t, dirEntryT("etc/", 0o755), regEntry("etc/nf.yaml", "name: amf\n"),
		symlinkEntry("bin", "usr/bin"), hardlinkEntry("etc/nf2.yaml", "etc/nf.yaml"), regEntry(".wh.old", ""))
	return []fuzzSeed{
		{"valid", valid},
		{"dotdot", buildTar(t, regEntry("a/../../evil", "x"))},
		{"absolute", buildTar(t, regEntry("/tmp/evil", "x"))},
		{"device", buildTar(t, deviceEntry("dev/mem", tar.TypeChar))},
		{"symlink-write-through", buildTar(t, symlinkEntry("esc", "../.."), symlinkEntry("abs", "/"), regEntry("abs/tmp/evil", "x"))},
		{"hardlink-escape", buildTar(t, hardlinkEntry("h", "../../etc/passwd"))},
		{"truncated", valid[:700]},
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzExtract from fuzzSeeds")

// The committed corpus must match the seeds in the code, so `go test`
// runs them and a reviewer can read what they are.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzExtract")
	for _, s := range fuzzSeeds(t) {
		want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s.data)) + ")\n"
		file := filepath.Join(dir, "seed-"+s.name)
		if *updateSeeds {
			if err := errors.Join(os.MkdirAll(dir, 0o755), os.WriteFile(file, []byte(want), 0o644)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale (%v); run go test -run TestFuzzSeedCorpus -update-seeds", file, err)
		}
	}
}

// The valid seeds must extract, or the fuzzers would start from nothing
// but failures.
func TestValidFuzzSeedsExtract(t *testing.T) {
	needRoot(t, "the valid seeds hold whiteouts")
	script, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzExtractEntries", "seed-valid"))
	if err != nil {
		t.Fatal(err)
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(string(script), "go test fuzz v1\nstring("), ")\n")
	text, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("seed-valid: %v", err)
	}
	fromScript, ok := scriptTar(text)
	if !ok {
		t.Fatal("seed-valid does not encode as a tar")
	}
	for name, data := range map[string][]byte{"FuzzExtract/seed-valid": fuzzSeeds(t)[0].data, "FuzzExtractEntries/seed-valid": fromScript} {
		_, root := extractTarget(t)
		if err := Extract(bytes.NewReader(data), root); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		checkExtractedTree(t, root)
	}
}
