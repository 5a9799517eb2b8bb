package netns

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

func setLoopbackUp(path string) error {
	return Do(path, func() error {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("netns %s: find lo: %w", path, err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			return fmt.Errorf("netns %s: set lo up: %w", path, err)
		}
		return nil
	})
}
