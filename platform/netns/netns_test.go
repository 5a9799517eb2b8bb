package netns_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/corebox/corebox/platform/netns"
)

func TestCreateDoRemove(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	// Read before Create: a locked goroutine may run on the main thread,
	// whose namespace /proc/self shows.
	host, _ := os.Readlink("/proc/self/ns/net")
	path := filepath.Join(t.TempDir(), "ns1")
	if err := netns.Create(path); err != nil {
		t.Fatal(err)
	}
	var names []string
	var inside string
	err := netns.Do(path, func() error {
		inside, _ = os.Readlink("/proc/thread-self/ns/net")
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			if i.Flags&net.FlagUp != 0 {
				names = append(names, i.Name)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside == host {
		t.Errorf("Do ran in the host namespace %s", host)
	}
	if len(names) != 1 || names[0] != "lo" {
		t.Errorf("interfaces up inside = %v, want [lo]", names)
	}
	if err := netns.Create(path); err == nil {
		t.Error("creating over an existing namespace succeeded")
	}
	if err := netns.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := netns.Remove(path); err != nil {
		t.Errorf("second remove: %v", err)
	}
	snap.Check(t)
}
