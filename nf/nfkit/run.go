package nfkit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Option adjusts how an NF is built; every NF's New accepts them.
type Option func(*Options)

// Options are the settings Options adjust.
type Options struct {
	Logger *slog.Logger
}

// WithLogger makes the NF log to l instead of Logger(kind, "").
func WithLogger(l *slog.Logger) Option {
	return func(o *Options) { o.Logger = l }
}

// Apply resolves opts for an NF of kind, filling in defaults.
func Apply(kind string, opts []Option) Options {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if o.Logger == nil {
		o.Logger = Logger(kind, "")
	}
	return o
}

// ExitError asks the process running the NF to exit with Code; an NF's Run
// returns it (for example the probe's POST /exit).
type ExitError struct {
	Code   int
	Reason string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("exit %d: %s", e.Code, e.Reason)
}

// RunAll runs every fn with a shared child context. The first error cancels
// the others; a fn returning nil stops only itself. RunAll waits for all of
// them and returns the first error.
func RunAll(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, fn := range fns {
		wg.Go(func() {
			if err := fn(ctx); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return first
}
