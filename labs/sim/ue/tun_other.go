//go:build !linux

package ue

import (
	"context"
	"errors"
	"net/netip"

	"github.com/corebox/corebox/labs/simapi"
)

// tunPlane needs Linux; elsewhere Run fails with a clear error.
type tunPlane struct{ *routes }

func newTUNPlane(*NF) dataPlane { return &tunPlane{routes: newRoutes()} }

var errNoTUN = errors.New("data plane: tun mode needs Linux; use data_plane.mode memory")

func (t *tunPlane) run(context.Context) error        { return errNoTUN }
func (t *tunPlane) ready() bool                      { return false }
func (t *tunPlane) add(*UE, uint8, netip.Addr) error { return errNoTUN }
func (t *tunPlane) remove(netip.Addr)                {}
func (t *tunPlane) deliver([]byte)                   {}
func (t *tunPlane) echo(context.Context, *UE, uint8, netip.Addr, echoParams) (simapi.TrafficOutcome, error) {
	return simapi.TrafficOutcome{}, errNoTUN
}
