package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/corebox/corebox/platform/runtime"
)

// BenchmarkStart compares starting a container (create until its process
// runs) through corebox's runtime with `runc run -d` on the same OCI spec
// and rootfs, in the same run. Deleting is not timed.
func BenchmarkStart(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	shimPath := filepath.Join(buildDir, "corebox-shim")
	if out, err := exec.Command("go", "build", "-ldflags", "-s -w", "-o", shimPath, "../../cmd/corebox-shim").CombinedOutput(); err != nil {
		b.Fatalf("build corebox-shim: %v\n%s", err, out)
	}
	root := rootfsFor(b)
	args := []string{"/usr/local/bin/proc", "serve"}

	b.Run("corebox", func(b *testing.B) {
		state := b.TempDir()
		rt, err := runtime.New(runtime.Config{StateRoot: state, ShimPath: shimPath})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			id := fmt.Sprintf("bench%d-%d", os.Getpid(), i)
			dir := filepath.Join(state, id)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				b.Fatal(err)
			}
			if _, err := rt.Start(context.Background(), runtime.Spec{ID: id, Rootfs: root, Args: args}, dir); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := rt.Delete(id, dir); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})

	b.Run("runc", func(b *testing.B) {
		runc, err := exec.LookPath("runc")
		if err != nil {
			b.Skip("runc not installed (apt-get install runc): no baseline")
		}
		bundle := b.TempDir()
		spec, err := runtime.OCISpec(runtime.Spec{ID: "runc-bench", Rootfs: root, Args: args})
		if err != nil {
			b.Fatal(err)
		}
		// runc makes its own network namespace and cgroup; Debian's runc
		// 1.1 cannot raise RLIMIT_NOFILE past its caller's hard limit.
		for i := range spec.Linux.Namespaces {
			spec.Linux.Namespaces[i].Path = ""
		}
		spec.Linux.CgroupsPath, spec.Process.Rlimits = "", nil
		data, _ := json.Marshal(spec)
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
			b.Fatal(err)
		}
		state := filepath.Join(bundle, "state")
		for i := 0; b.Loop(); i++ {
			id := fmt.Sprintf("runc-bench%d-%d", os.Getpid(), i)
			run := exec.Command(runc, "--root", state, "run", "-d", "--bundle", bundle, id)
			devnull, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			run.Stdin, run.Stdout, run.Stderr = devnull, devnull, devnull
			err := run.Run()
			devnull.Close()
			if err != nil {
				b.Fatalf("runc run: %v", err)
			}
			b.StopTimer()
			if out, err := exec.Command(runc, "--root", state, "delete", "-f", id).CombinedOutput(); err != nil {
				b.Fatalf("runc delete: %v\n%s", err, out)
			}
			b.StartTimer()
		}
	})
}
