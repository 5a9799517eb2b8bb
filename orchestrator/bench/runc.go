package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/platform/image"
	"github.com/corebox/corebox/platform/runtime"
)

// prepare mounts the image's layers as the bundle's rootfs (overlay, as
// corebox does) and writes config.json from corebox's own spec builder.
func (b *runcBundle) prepare(img *image.Rootfs) error {
	upper, work := filepath.Join(b.dir, "upper"), filepath.Join(b.dir, "work")
	for _, d := range []string{upper, work, b.rootfs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(img.LowerDirs, ":"), upper, work)
	if err := unix.Mount("overlay", b.rootfs, "overlay", 0, opts); err != nil {
		return fmt.Errorf("bench: mount bundle rootfs: %w", err)
	}
	spec, err := runtime.OCISpec(runtime.Spec{
		ID: "corebox-bench-runc", Hostname: "bench", Rootfs: b.rootfs,
		Args: append(append([]string{}, img.Config.Entrypoint...), img.Config.Cmd...),
		Env:  img.Config.Env, Cwd: img.Config.WorkingDir,
	})
	if err != nil {
		return err
	}
	// runc creates the network namespace itself here (no path to join).
	for i := range spec.Linux.Namespaces {
		spec.Linux.Namespaces[i].Path = ""
	}
	spec.Linux.CgroupsPath = ""
	// Debian's runc 1.1 sets rlimits after dropping privileges and cannot
	// raise RLIMIT_NOFILE above its caller's hard limit; libcontainer 1.5
	// can. The baseline keeps the inherited limits.
	spec.Process.Rlimits = nil
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o644)
}

// timeRun times `runc run -d` (which returns once the process runs), then
// deletes the container untimed.
func (b *runcBundle) timeRun(ctx context.Context, id string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.runc, "--root", filepath.Join(b.dir, "state"), "run", "-d", "--bundle", b.dir, id)
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	// Files, not pipes: the detached container inherits them, and a pipe
	// would keep Run waiting for as long as the container lives.
	errFile, err := os.CreateTemp(b.dir, "runc-stderr-")
	if err != nil {
		return 0, err
	}
	defer errFile.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, errFile
	t0 := time.Now()
	err = cmd.Run()
	d := time.Since(t0)
	if err != nil {
		msg, _ := os.ReadFile(errFile.Name())
		return 0, fmt.Errorf("bench: runc run: %w: %s", err, msg)
	}
	del := exec.Command(b.runc, "--root", filepath.Join(b.dir, "state"), "delete", "-f", id)
	if out, err := del.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bench: runc delete: %w: %s", err, out)
	}
	return d, nil
}

func (b *runcBundle) close() {
	err := unix.Unmount(b.rootfs, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) {
		fmt.Fprintf(os.Stderr, "bench: unmount %s: %v\n", b.rootfs, err)
	}
	if err := os.RemoveAll(b.dir); err != nil {
		fmt.Fprintf(os.Stderr, "bench: remove %s: %v\n", b.dir, err)
	}
}
