package lab

import (
	"context"
	"fmt"
	"sync"
)

// background runs the steps that go on while the next ones run.
type background struct {
	mu   sync.Mutex
	jobs map[string]*job
	wg   sync.WaitGroup
}

// job is one background step.
type job struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
	err    error // set before done closes
}

func newBackground() *background { return &background{jobs: map[string]*job{}} }

// start runs fn in its own goroutine; finish records its outcome before
// anyone awaiting it wakes.
func (b *background) start(ctx context.Context, name string, fn func(context.Context) error, finish func(error)) {
	jctx, cancel := context.WithCancelCause(ctx)
	j := &job{cancel: cancel, done: make(chan struct{})}
	b.mu.Lock()
	b.jobs[name] = j
	b.mu.Unlock()
	b.wg.Go(func() {
		defer cancel(nil)
		err := fn(jctx)
		if cause := context.Cause(jctx); err != nil && cause != nil && ctx.Err() == nil {
			err = fmt.Errorf("cancelled: %w", cause) // what fn says is only "context canceled"
		}
		j.err = err
		finish(err)
		close(j.done)
	})
}

// await waits until the named step ends and returns its error.
func (b *background) await(ctx context.Context, name string) error {
	b.mu.Lock()
	j := b.jobs[name]
	b.mu.Unlock()
	if j == nil {
		return fmt.Errorf("no background step %s was started", name)
	}
	select {
	case <-j.done:
		if j.err != nil {
			return fmt.Errorf("%s failed: %w", name, j.err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cancelAll cancels the steps still running, saying why.
func (b *background) cancelAll(cause error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, j := range b.jobs {
		j.cancel(cause)
	}
}

// wait waits for every background step to end.
func (b *background) wait() { b.wg.Wait() }
