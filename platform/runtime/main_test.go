package runtime_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"testing"

	"github.com/corebox/corebox/platform/runtime"
	"github.com/corebox/corebox/platform/shim"
)

// The test binary plays every role the runtime needs: libcontainer's init
// and the monitor.
func init() {
	// As in cmd/corebox-shim: the monitor re-exec must come from the
	// thread that forked the container, the main one.
	goruntime.LockOSThread()
}

func TestMain(m *testing.M) {
	runtime.Init()
	if len(os.Args) > 1 {
		if os.Args[1] == "-dir" || os.Args[1] == "-monitor" {
			os.Exit(shim.Main(os.Args[1:], runtime.StartContainer))
		}
	}
	dir, err := os.MkdirTemp("", "corebox-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

var buildDir string

// procBinary builds testdata/proc statically, once per test binary run.
var procBinary = func() func(t testing.TB) string {
	var path string
	var err error
	return func(t testing.TB) string {
		t.Helper()
		if path == "" && err == nil {
			path = filepath.Join(buildDir, "proc")
			cmd := exec.Command("go", "build", "-o", path, "./testdata/proc")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, cerr := cmd.CombinedOutput(); cerr != nil {
				err = fmt.Errorf("build proc: %v\n%s", cerr, out)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
}()

// rootfs makes a minimal container root holding only the proc binary.
func rootfs(t *testing.T) string { return rootfsFor(t) }

func rootfsFor(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"proc", "sys", "dev", "etc", "tmp", "usr/local/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(procBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/local/bin/proc"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}
