// Command corebox runs a mobile core network as containers. It is the CLI
// and, as `corebox daemon`, the node agent the CLI talks to.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/corebox/corebox/platform/runtime"
)

// version is set by the build (-ldflags -X main.version=...).
var version = "dev"

func main() {
	// libcontainer re-executes this binary as `init` to enter containers
	// (exec).
	runtime.Init()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var exit *exitCode
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "corebox:", err)
		os.Exit(1)
	}
}

// exitCode makes the CLI exit with a code without printing an error (for
// exec, whose exit code is the process's).
type exitCode struct{ code int }

func (e *exitCode) Error() string { return fmt.Sprintf("exit code %d", e.code) }
