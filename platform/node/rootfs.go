package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// mountRootfs puts a writable overlay over the image's layers.
func mountRootfs(dir string, lowers []string) (string, error) {
	if len(lowers) == 0 {
		return "", errors.New("image has no layers")
	}
	upper, work, merged := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "rootfs")
	for _, d := range []string{upper, work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("rootfs: %w", err)
		}
	}
	for _, l := range lowers {
		if strings.ContainsAny(l, ":,") {
			return "", fmt.Errorf("rootfs: layer path %q has a ':' or ',' that overlayfs cannot take", l)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(lowers, ":"), upper, work)
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("rootfs: mount overlay at %s: %w", merged, err)
	}
	return merged, nil
}

// unmountRootfs undoes mountRootfs; nothing mounted is not an error.
func unmountRootfs(dir string) error {
	merged := filepath.Join(dir, "rootfs")
	err := unix.Unmount(merged, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount rootfs %s: %w", merged, err)
	}
	return nil
}
