package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func cmdVersion(_ context.Context, args []string, s stdio) int {
	if len(args) > 0 {
		fmt.Fprintln(s.err, "usage: corenf version")
		return 2
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, st := range bi.Settings {
			if st.Key == "vcs.revision" {
				rev = " " + st.Value
			}
		}
	}
	fmt.Fprintf(s.out, "corenf %s%s %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// cmdSleep sleeps; a signal ends it early and cleanly (exit 0), so a
// container idling on "corenf sleep infinity" stops at once.
func cmdSleep(ctx context.Context, args []string, s stdio) int {
	if len(args) != 1 {
		fmt.Fprintln(s.err, "usage: corenf sleep DURATION|infinity")
		return 2
	}
	var done <-chan time.Time // nil: forever
	if args[0] != "infinity" {
		d, err := parseDuration(args[0])
		if err != nil {
			fmt.Fprintf(s.err, "corenf sleep: %v\n", err)
			return 2
		}
		t := time.NewTimer(d)
		defer t.Stop()
		done = t.C
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	return 0
}

func cmdExit(_ context.Context, args []string, s stdio) int {
	if len(args) != 1 {
		fmt.Fprintln(s.err, "usage: corenf exit CODE")
		return 2
	}
	code, err := strconv.Atoi(args[0])
	if err != nil || code < 0 || code > 255 {
		fmt.Fprintf(s.err, "corenf exit: code %q: want 0..255\n", args[0])
		return 2
	}
	return code
}

// cmdCat prints each file in turn ("-" is stdin); a file that cannot be
// read is reported and skipped, and the exit code is then 1.
func cmdCat(_ context.Context, args []string, s stdio) int {
	if len(args) == 0 {
		args = []string{"-"}
	}
	code := 0
	for _, name := range args {
		if err := catOne(name, s); err != nil {
			fmt.Fprintf(s.err, "corenf cat: %v\n", err)
			code = 1
		}
	}
	return code
}

func catOne(name string, s stdio) error {
	if name == "-" {
		if _, err := io.Copy(s.out, s.in); err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(s.out, f); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
