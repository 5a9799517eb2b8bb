package nfsbi

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// suspendRetry is the pause between attempts to mark us SUSPENDED.
const suspendRetry = time.Second

// KeepRegistered registers profile with nrf (retrying until the NRF
// answers), heartbeats, marks the profile SUSPENDED once drained closes
// (so discovery stops offering us) and deregisters when ctx ends. It
// returns nil when ctx ends.
func KeepRegistered(ctx context.Context, nrf *nrfc.Client, profile models.Nrf_NFMgmt_NFProfile,
	drained <-chan struct{}, log *slog.Logger) error {
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return nrf.Run(ctx, profile) },
		func(ctx context.Context) error { suspendOnDrain(ctx, drained, nrf, log); return nil })
}

// suspendOnDrain marks our NRF profile SUSPENDED once drained closes. It
// retries until it succeeds: a drain may start before the registration
// did, or while the NRF is away.
func suspendOnDrain(ctx context.Context, drained <-chan struct{}, nrf *nrfc.Client, log *slog.Logger) {
	select {
	case <-ctx.Done():
		return
	case <-drained:
	}
	t := time.NewTicker(suspendRetry)
	defer t.Stop()
	for {
		err := nrf.SetStatus(ctx, models.Nrf_NFMgmt_NFStatus_SUSPENDED)
		if err == nil {
			log.Info("drain: NRF profile SUSPENDED")
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("drain: could not mark the NRF profile SUSPENDED; retrying", "err", err, "in", suspendRetry)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Ready is the readiness of an NF's SBI side: listening (sbiAddr, nil
// before) and, with an NRF (nrf non-nil), registered.
func Ready(sbiAddr net.Addr, nrf *nrfc.Client) (bool, string) {
	switch {
	case sbiAddr == nil:
		return false, "sbi not listening"
	case nrf != nil && !nrf.Registered():
		return false, "not registered with the NRF"
	}
	return true, ""
}
