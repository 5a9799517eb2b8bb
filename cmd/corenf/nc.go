package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

const (
	maxDatagram    = 64 << 10
	udpIdleDefault = 2 * time.Second  // UDP has no close: stop after this much quiet
	dialDefault    = 30 * time.Second // connect timeout when -w is not given
)

var errNoReply = errors.New("no reply")

type ncOpts struct {
	udp, listen, verbose bool
	idle                 time.Duration
	idleSet              bool
	send                 *string
}

// cmdNC is a small netcat. Client: connect, copy stdin (or --send) to the
// peer and the peer's replies to stdout. -l: wait for one peer instead.
// It ends once stdin is done and the peer has closed, or has been quiet for
// -w (UDP default 2s; TCP default: wait for the close). Exit 1 if nothing
// at all came back by a -w expiry, or on a network error.
func cmdNC(ctx context.Context, args []string, s stdio) int {
	o, host, port, err := parseNC(args, s.err)
	if err != nil {
		return usageCode(err)
	}
	in := s.in
	if o.send != nil {
		in = strings.NewReader(*o.send)
	}
	if err := runNC(ctx, o, net.JoinHostPort(host, port), in, s); err != nil {
		fmt.Fprintf(s.err, "corenf nc: %v\n", err)
		return 1
	}
	return 0
}

func parseNC(args []string, w io.Writer) (o ncOpts, host, port string, err error) {
	fs := newFlags("nc", w)
	fs.BoolVar(&o.udp, "u", false, "UDP instead of TCP")
	fs.BoolVar(&o.listen, "l", false, "listen for one peer on [HOST] PORT instead of connecting")
	fs.BoolVar(&o.verbose, "v", false, "report connections on stderr")
	fs.Var(durationFlag{&o.idle}, "w", "idle timeout (5, 1.5, 500ms); also the connect timeout")
	send := fs.String("send", "", "send TEXT instead of reading stdin")
	pos, err := parse(fs, args)
	if err != nil {
		return o, "", "", err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "w":
			o.idleSet = true
		case "send":
			o.send = send
		}
	})
	switch {
	case len(pos) == 2:
		host, port = pos[0], pos[1]
	case len(pos) == 1 && o.listen:
		port = pos[0]
	default:
		fmt.Fprintln(w, "usage: corenf nc [-u] [-w TIMEOUT] [-v] [--send TEXT] HOST PORT\n       corenf nc -l [-u] [-w TIMEOUT] [-v] [HOST] PORT")
		return o, "", "", errUsage
	}
	if !o.idleSet && o.udp {
		o.idle = udpIdleDefault
	}
	return o, host, port, nil
}

func runNC(ctx context.Context, o ncOpts, addr string, in io.Reader, s stdio) error {
	c, err := ncConnect(ctx, o, addr, s)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped by a signal while connecting
		}
		return err
	}
	defer c.Close()
	stopClose := context.AfterFunc(ctx, func() { c.Close() })
	defer stopClose()
	err = session(ctx, c, in, s.out, o.idle, o.udp)
	if ctx.Err() != nil {
		return nil // stopped by a signal: not a failure
	}
	return err
}

// ncConn is what a session needs of a TCP or UDP peer.
type ncConn interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

func ncConnect(ctx context.Context, o ncOpts, addr string, s stdio) (ncConn, error) {
	network := "tcp"
	if o.udp {
		network = "udp"
	}
	if o.listen {
		return ncListen(ctx, network, addr, o.verbose, s.err)
	}
	timeout := dialDefault
	if o.idleSet && o.idle > 0 {
		timeout = o.idle
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if o.verbose {
		fmt.Fprintf(s.err, "connected to %s (%s)\n", c.RemoteAddr(), network)
	}
	return c, nil
}

// session pumps in to c and c to out until stdin is done and the peer has
// closed, or has been quiet for idle (0: wait for the close).
func session(ctx context.Context, c ncConn, in io.Reader, out io.Writer, idle time.Duration, packets bool) error {
	upDone := make(chan error, 1)
	// If the peer closes first, a blocked stdin read keeps this goroutine;
	// it is the process's own stdin and ends with the process.
	go func() { upDone <- pumpUp(c, in, packets) }()
	var (
		buf      = make([]byte, maxDatagram)
		answered bool
		inDone   bool
	)
	for {
		if idle > 0 {
			if err := c.SetReadDeadline(time.Now().Add(idle)); err != nil {
				return fmt.Errorf("set deadline: %w", err)
			}
		}
		n, err := c.Read(buf)
		if n > 0 || (packets && err == nil) {
			answered = true
			if _, werr := out.Write(buf[:n]); werr != nil {
				return fmt.Errorf("write stdout: %w", werr)
			}
		}
		if !inDone {
			select {
			case upErr := <-upDone:
				if upErr != nil {
					return upErr
				}
				inDone = true
			default:
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			if inDone {
				return nil
			}
			// The peer closed its side; it may still read what stdin has.
			select {
			case upErr := <-upDone:
				return upErr
			case <-ctx.Done():
				return nil
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
			if !inDone {
				continue // still sending: quiet is fine
			}
			if !answered {
				return fmt.Errorf("%w within %v", errNoReply, idle)
			}
			return nil
		default:
			return err
		}
	}
}

// pumpUp copies in to c: each read one datagram for UDP; TCP half-closes
// at the end so the peer sees EOF and can finish.
func pumpUp(c ncConn, in io.Reader, packets bool) error {
	if !packets {
		if _, err := io.Copy(c, in); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			if err := cw.CloseWrite(); err != nil {
				return fmt.Errorf("half-close: %w", err)
			}
		}
		return nil
	}
	buf := make([]byte, maxDatagram)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return fmt.Errorf("send: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
}
