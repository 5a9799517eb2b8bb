package scheduler

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ids  []int
		back string
	}{
		{"0-1\n", []int{0, 1}, "0-1"},
		{"0", []int{0}, "0"},
		{"0-3,5,7-8", []int{0, 1, 2, 3, 5, 7, 8}, "0-3,5,7-8"},
		{"4,2,3,3", []int{2, 3, 4}, "2-4"},
		{"", nil, ""},
	} {
		ids, err := parseCPUList(tc.in)
		if err != nil {
			t.Errorf("parse %q: %v", tc.in, err)
			continue
		}
		if !slices.Equal(ids, tc.ids) || formatCPUList(ids) != tc.back {
			t.Errorf("parse %q = %v (%q), want %v (%q)", tc.in, ids, formatCPUList(ids), tc.ids, tc.back)
		}
	}
	for _, bad := range []string{"a", "1-", "3-1", "-1", "1,,2"} {
		if ids, err := parseCPUList(bad); err == nil {
			t.Errorf("parse %q = %v, want an error", bad, ids)
		}
	}
}

func TestReadNode(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	online := write("online", "0-3,6\n")
	meminfo := write("meminfo", "MemTotal:       24683620 kB\nMemFree:  1 kB\n")
	n, err := readNode(online, meminfo)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.CPUs, []int{0, 1, 2, 3, 6}) || n.MemoryBytes != 24683620*1024 {
		t.Errorf("node %+v", n)
	}

	for _, tc := range []struct{ online, meminfo, want string }{
		{online, write("nomem", "MemFree: 1 kB\n"), "memory from " + dir + "/nomem: no MemTotal line"},
		{online, write("badmem", "MemTotal: 12 MB\n"), `unexpected MemTotal line "MemTotal: 12 MB"`},
		{write("empty", "\n"), meminfo, "online CPUs from " + dir + "/empty: none listed"},
		{write("bad", "0-x\n"), meminfo, `bad range "0-x"`},
		{filepath.Join(dir, "missing"), meminfo, "online CPUs: open " + dir + "/missing"},
	} {
		if _, err := readNode(tc.online, tc.meminfo); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("readNode(%s, %s) = %v, want an error containing %q", tc.online, tc.meminfo, err, tc.want)
		}
	}
}

func TestLocalNode(t *testing.T) {
	if _, err := os.Stat(cpuOnlinePath); err != nil {
		t.Skipf("no %s here (not Linux or no sysfs): %v", cpuOnlinePath, err)
	}
	n, err := LocalNode()
	if err != nil {
		t.Fatal(err)
	}
	if len(n.CPUs) == 0 || n.MemoryBytes <= 0 {
		t.Errorf("local node %+v", n)
	}
}
