package pgw

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// apn is one APN at run time: its pool, its SGi device and the sessions
// by UE address that the downlink path looks up.
type apn struct {
	spec  apnSpec
	table int // routing table (and rule priority) of its egress
	pool  *pool
	mem   *MemoryDevice // sgi.mode memory
	dev   Device        // set by open
	batch *gtpu.Batch   // the downlink loop's, set by NF.open

	mu   sync.RWMutex
	byUE map[netip.Addr]*session

	sessions  atomic.Int64
	closeOnce sync.Once
}

func newAPN(s apnSpec, index int) *apn {
	a := &apn{spec: s, table: 1000 + index, pool: newPool(s.pool, append(slices.Clone(s.dns), s.pcscf...)...), byUE: map[netip.Addr]*session{}}
	if s.cfg.SGi.Mode == SGiModeMemory {
		a.mem = NewMemoryDevice()
	}
	return a
}

func (a *apn) name() string { return a.spec.cfg.Name }

// open opens the SGi device.
func (a *apn) open() error {
	if a.mem != nil {
		a.dev = a.mem
		return nil
	}
	sgi := a.spec.cfg.SGi
	dev, err := openTUN(tunSpec{name: sgi.TUNName, mtu: sgi.MTU, pool: a.spec.pool,
		network: sgi.Network, gateway: a.spec.gw, table: a.table})
	if err != nil {
		return fmt.Errorf("apn %s: %w", a.name(), err)
	}
	a.dev = dev
	return nil
}

func (a *apn) close(log *slog.Logger) {
	if a.dev == nil {
		return
	}
	a.closeOnce.Do(func() {
		if err := a.dev.Close(); err != nil {
			log.Warn("closing sgi device", "apn", a.name(), "err", err)
		}
	})
}

func (a *apn) lookup(ue netip.Addr) *session {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.byUE[ue]
}

func (a *apn) index(ue netip.Addr, s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s == nil {
		delete(a.byUE, ue)
		return
	}
	a.byUE[ue] = s
}

// downlinkLoop returns the APN's downlink reader for RunAll.
func (a *apn) downlinkLoop(n *NF) func(context.Context) error {
	return func(ctx context.Context) error { return n.readSGi(ctx, a) }
}
