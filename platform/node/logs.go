package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// copyLog copies the log file to w. With follow it polls the file for new
// output until ctx ends, or until done reports the writer is gone for good
// and the file has been read to its end.
func copyLog(ctx context.Context, path string, follow bool, done func() bool, w io.Writer) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // nothing written yet
	}
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := io.Copy(w, f); err != nil {
			return fmt.Errorf("copy log: %w", err)
		}
		if fl, ok := w.(interface{ Flush() }); ok {
			fl.Flush()
		}
		if !follow {
			return nil
		}
		// Check done before the final read, so output written just before
		// the exit is not missed.
		finished := done()
		if finished {
			_, err := io.Copy(w, f)
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
