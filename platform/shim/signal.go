package shim

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// ignoreSignal catches s and drops it. signal.Ignore would set SIG_IGN,
// which survives exec and would reach the container's processes; a Go
// handler is reset to the default on exec.
func ignoreSignal(s unix.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, s)
	go func() {
		for range ch {
		}
	}()
}
