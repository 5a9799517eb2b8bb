//go:build !linux

package upf

import (
	"errors"
	"net/netip"
)

// openTUN is Linux-only; use n6.mode memory elsewhere.
func openTUN(string, int, int, []netip.Prefix) (n6Device, error) {
	return nil, errors.New("n6 tun: TUN devices need Linux")
}
