package sctp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Well-known ports and payload protocol identifiers (IANA).
const (
	NGAPPort = 38412 // N2: NGAP, TS 38.412
	S1APPort = 36412 // S1-MME: S1AP, TS 36.412
	PPIDNGAP = 60
	PPIDS1AP = 18
)

// MaxMessageSize is the largest message WriteMsg accepts and the buffer size
// ReadMsg callers should use.
const MaxMessageSize = 65536

// DefaultHeartbeatInterval is how long a userspace association may stay
// silent before it is probed; three silent intervals mean it is lost.
const DefaultHeartbeatInterval = 10 * time.Second

// Errors callers can test with errors.Is. A graceful shutdown by the peer
// reads as io.EOF; a closed Conn or Listener returns net.ErrClosed.
var (
	// ErrAborted: the peer (or our stack) aborted the association.
	ErrAborted = errors.New("sctp: association aborted")
	// ErrAssociationLost: the peer went silent or unreachable.
	ErrAssociationLost = errors.New("sctp: association lost")
	// ErrMessageSize: an empty message, or one over MaxMessageSize.
	ErrMessageSize = errors.New("sctp: message size out of range")
)

// Mode selects the SCTP implementation.
type Mode string

// Modes. Auto picks the kernel's SCTP when the kernel has it, otherwise
// userspace SCTP over UDP (RFC 6951 encapsulation).
const (
	ModeAuto   Mode = "auto"
	ModeKernel Mode = "kernel"
	ModeUDP    Mode = "udp"
)

// Config is the YAML-configurable part of an endpoint.
type Config struct {
	// Mode is auto (default), kernel or udp. Both ends of an association
	// must use the same transport: a real gNB/eNB speaks kernel SCTP only.
	Mode Mode `yaml:"mode,omitempty"`
	// HeartbeatInterval (udp mode) probes an idle association; after three
	// silent intervals it is declared lost. Default 10s. Kernel mode uses
	// the kernel's own heartbeats (sysctl net.sctp.hb_interval).
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval,omitempty"`
}

// Validate reports a mode that is not one of the known ones.
func (c Config) Validate() error {
	switch c.Mode {
	case "", ModeAuto, ModeKernel, ModeUDP:
	default:
		return fmt.Errorf("sctp mode %q: want auto, kernel or udp", c.Mode)
	}
	if c.HeartbeatInterval < 0 {
		return fmt.Errorf("sctp heartbeat_interval %s: must not be negative", c.HeartbeatInterval)
	}
	return nil
}

func (c Config) heartbeat() time.Duration {
	if c.HeartbeatInterval == 0 {
		return DefaultHeartbeatInterval
	}
	return c.HeartbeatInterval
}

// Info is the per-message SCTP metadata.
type Info struct {
	Stream uint16 // stream identifier
	PPID   uint32 // payload protocol identifier, host order
}

// Conn is one SCTP association. Messages keep their boundaries; all streams
// are merged into one read side. ReadMsg is for one reader; WriteMsg may be
// called from several goroutines.
type Conn interface {
	// ReadMsg reads one whole message into b. If b is too short it returns
	// io.ErrShortBuffer and n = the size needed; the message stays queued.
	// Association loss is an error: io.EOF after a graceful shutdown,
	// ErrAborted, ErrAssociationLost, or net.ErrClosed after Close.
	ReadMsg(b []byte) (n int, info Info, err error)
	// WriteMsg sends b as one message on info.Stream with info.PPID.
	WriteMsg(b []byte, info Info) error
	// Close shuts the association down gracefully (bounded; it aborts if
	// the peer does not answer).
	Close() error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// Listener accepts associations.
type Listener interface {
	// Accept waits for the next association. It returns ctx.Err() when ctx
	// ends (the listener stays open) and net.ErrClosed after Close.
	Accept(ctx context.Context) (Conn, error)
	// Close stops accepting and closes every association it accepted.
	Close() error
	Addr() net.Addr
	Stats() ListenerStats
}

// ListenerStats counts what a listener did. Counters only grow; Peers is
// the current number of associations (and, in udp mode, of handshakes in
// progress).
type ListenerStats struct {
	Peers    int
	Accepted uint64
	// Malformed datagrams: not SCTP (too short, bad checksum, bad chunk
	// layout). Dropped.
	Malformed uint64
	// OutOfTheBlue: well-formed SCTP from an address with no association
	// that was not an INIT. Dropped, and answered per RFC 9260 section 8.4
	// (an ABORT, so a stale peer learns at once).
	OutOfTheBlue uint64
	// QueueFull: datagrams dropped because a peer's queue was full (SCTP
	// retransmits them).
	QueueFull uint64
	// HandshakeFailed: peers that sent an INIT but never completed the
	// handshake in time, or INITs refused because too many were pending.
	HandshakeFailed uint64
	// BacklogFull: associations aborted because nobody called Accept.
	BacklogFull uint64
}

// Dropped is the number of datagrams dropped before reaching an association.
func (s ListenerStats) Dropped() uint64 {
	return s.Malformed + s.OutOfTheBlue + s.QueueFull
}

// Listen opens a listener on addr ("host:port"). ctx covers set-up only,
// as with net.ListenConfig; Close the listener to stop it.
func Listen(ctx context.Context, cfg Config, addr string, log *slog.Logger) (Listener, error) {
	mode, log, err := prepare(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("sctp listen %s: %w", addr, err)
	}
	if mode == ModeKernel {
		return listenKernel(addr, log)
	}
	return listenUDP(addr, udpOptions{heartbeat: cfg.heartbeat()}, log)
}

// Dial opens an association from local ("" for any) to remote. ctx bounds
// the handshake only, as with net.Dialer; the Conn lives until closed or lost.
func Dial(ctx context.Context, cfg Config, local, remote string, log *slog.Logger) (Conn, error) {
	mode, log, err := prepare(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
	}
	if mode == ModeKernel {
		return dialKernel(ctx, local, remote, log)
	}
	return dialUDP(ctx, local, remote, cfg.heartbeat(), log)
}

// prepare validates cfg, resolves the mode and announces it once.
func prepare(ctx context.Context, cfg Config, log *slog.Logger) (Mode, *slog.Logger, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	if err := cfg.Validate(); err != nil {
		return "", nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mode, reason := resolve(cfg.Mode)
	announce(log, mode, reason)
	return mode, log.With("sctp", string(mode)), nil
}
