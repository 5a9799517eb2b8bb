// Command corenf is the one binary in every corebox NF image: it runs any NF
// kind ("corenf dn -c /etc/corebox/dn.yaml") and, since the images have no
// shell, carries the few tools a lab or an operator needs inside them
// (nc, ip, cat, sleep, exit, drain).
//
// Exit codes: 0 success or clean shutdown on SIGTERM/SIGINT; 1 failure (the
// error is printed on stderr); 2 bad usage; an NF may ask for another code
// (the probe's POST /exit).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// stdio is where a command reads and writes; tests pass buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

type command struct {
	name, usage string // usage: the arguments
	run         func(ctx context.Context, args []string, s stdio) int
}

// commands are the tools and meta commands; NF kinds come from kinds.
func commands() []command {
	return []command{
		{"kinds", "[-o text|json]", cmdKinds},
		{"version", "", cmdVersion},
		{"nc", "[-u] [-l] [-w TIMEOUT] [-v] [--send TEXT] HOST PORT", cmdNC},
		{"ip", "[-o text|json]", cmdIP},
		{"drain", "[--addr 127.0.0.1:9090 | -c NF-CONFIG] [--timeout 60s] [--interval 500ms]", cmdDrain},
		{"cat", "FILE...", cmdCat},
		{"sleep", "DURATION|infinity", cmdSleep},
		{"exit", "CODE", cmdExit},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// After the first signal, restore the default action so a second one kills.
	context.AfterFunc(ctx, stop)
	os.Exit(run(ctx, argv(os.Args), stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}

// argv makes "nc ..." out of a binary linked or copied as nc, busybox-style.
func argv(osArgs []string) []string {
	base := filepath.Base(osArgs[0])
	for _, c := range commands() {
		if c.name == base {
			return append([]string{base}, osArgs[1:]...)
		}
	}
	return osArgs[1:]
}

func run(ctx context.Context, args []string, s stdio) int {
	if len(args) == 0 || slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		usage(s.err)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], s)
		}
	}
	if k, ok := findKind(args[0]); ok {
		return runKind(ctx, k, args[1:], s)
	}
	fmt.Fprintf(s.err, "corenf: unknown command or kind %q\n", args[0])
	usage(s.err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: corenf KIND [-c CONFIG] [--print-config]    run an NF; kinds: %s\n",
		strings.Join(kindNames(), ", "))
	for _, c := range commands() {
		fmt.Fprintf(w, "       corenf %s %s\n", c.name, c.usage)
	}
}
