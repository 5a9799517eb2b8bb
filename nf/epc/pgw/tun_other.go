//go:build !linux

package pgw

import (
	"errors"
	"net/netip"
)

type tunSpec struct {
	name, network string
	mtu           int
	pool          netip.Prefix
	gateway       netip.Addr
	table         int
}

// openTUN is Linux-only; use sgi.mode memory elsewhere.
func openTUN(tunSpec) (Device, error) {
	return nil, errors.New("sgi tun: TUN devices need Linux")
}
