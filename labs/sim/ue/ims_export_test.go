package ue

import (
	"context"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// BearerWatch exposes a call's voice bearer watch to the external tests.
type BearerWatch struct{ w *bearerWatch }

// WatchVoiceBearer starts watching u's dedicated bearer events, as a call
// does.
func WatchVoiceBearer(u *UE) BearerWatch { return BearerWatch{u.ims.bearers.watch()} }

func (b BearerWatch) Active(ctx context.Context, d time.Duration) bool {
	return b.w.waitActive(ctx, time.Now().Add(d))
}

func (b BearerWatch) Released(ctx context.Context, d time.Duration) bool {
	return b.w.waitReleased(ctx, time.Now().Add(d))
}

func (b BearerWatch) Outcome(answered time.Time) *simapi.CallBearer { return b.w.outcome(answered) }
func (b BearerWatch) Stop()                                         { b.w.stop() }

// SipgoLateClientConn is sipgoLateClientConn for the external tests.
const SipgoLateClientConn = sipgoLateClientConn
