package diameter

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"
	"github.com/fiorix/go-diameter/v4/diam/sm"
)

// Handler serves one request and returns the answer to send. An error
// becomes an error answer instead: a *ResultError its result, a
// *MissingAVPError DIAMETER_MISSING_AVP, an *InvalidAVPError
// DIAMETER_INVALID_AVP_VALUE (both counted as malformed), anything else
// DIAMETER_UNABLE_TO_COMPLY. ctx ends when the connection closes.
type Handler func(ctx context.Context, p *Peer, req *diam.Message) (*diam.Message, error)

type handlerKey struct{ app, code uint32 }

// Option tunes a Server or a Client.
type Option func(*options)

type options struct {
	log           *slog.Logger
	obs           Observer
	maxConcurrent int
}

// WithLogger logs to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithObserver reports answers, malformed messages and peers to obs
// (a *Metrics, say).
func WithObserver(obs Observer) Option { return func(o *options) { o.obs = obs } }

// WithMaxConcurrent bounds the requests of one peer being handled at once
// (default DefaultMaxConcurrent); reading that peer waits beyond it.
func WithMaxConcurrent(n int) Option { return func(o *options) { o.maxConcurrent = n } }

// endpoint is what a Server or a Client shares with its peers.
type endpoint struct {
	cfg           PeerConfig
	log           *slog.Logger
	obs           Observer
	maxConcurrent int
	sm            *sm.StateMachine
	role          role
	onUp          func(*Peer) // after capabilities exchange

	hmu      sync.RWMutex
	handlers map[handlerKey]Handler

	draining atomic.Bool
	inflight atomic.Int64
}

type role int

const (
	roleServer role = iota
	roleClient
)

func newEndpoint(cfg PeerConfig, r role, opts []Option) (*endpoint, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("diameter: %w", err)
	}
	o := options{log: slog.Default(), obs: NopObserver{}, maxConcurrent: DefaultMaxConcurrent}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxConcurrent <= 0 {
		o.maxConcurrent = DefaultMaxConcurrent
	}
	ep := &endpoint{cfg: cfg, log: o.log, obs: o.obs, maxConcurrent: o.maxConcurrent, role: r,
		handlers: map[handlerKey]Handler{}}
	// The state machine answers CER (server side) and DWR; its CEA
	// advertises the applications of go-diameter's dictionary.
	ep.sm = sm.New(&sm.Settings{
		OriginHost:  datatype.DiameterIdentity(cfg.OriginHost),
		OriginRealm: datatype.DiameterIdentity(cfg.OriginRealm),
		VendorID:    datatype.Unsigned32(cfg.VendorID),
		ProductName: datatype.UTF8String(cfg.ProductName),
		Dict:        dict.Default,
	})
	return ep, nil
}

func (ep *endpoint) handle(app, code uint32, h Handler) {
	ep.hmu.Lock()
	defer ep.hmu.Unlock()
	ep.handlers[handlerKey{app, code}] = h
}

func (ep *endpoint) handler(app, code uint32) (Handler, bool) {
	ep.hmu.RLock()
	defer ep.hmu.RUnlock()
	h, ok := ep.handlers[handlerKey{app, code}]
	return h, ok
}

// drainSM logs what the state machine reports until ctx ends (its
// channel holds one report and drops the rest).
func (ep *endpoint) drainSM(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-ep.sm.ErrorReports():
			ep.log.Warn("diameter: capabilities exchange", "err", r.Error)
		}
	}
}
