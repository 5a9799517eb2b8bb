package sctp

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs routes pion's logging into slog. pion traces every packet, so
// Trace is dropped and nothing is formatted unless its level is enabled.
// pion reports some routine events (a cancelled handshake, a malformed
// packet from a peer) as errors; they are warnings here.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("component", "pion-"+scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) emit(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	msg := format
	if args != nil {
		msg = fmt.Sprintf(format, args...)
	}
	l.log.Log(ctx, level, msg)
}

func (pionLogger) Trace(string)          {}
func (pionLogger) Tracef(string, ...any) {}

func (l pionLogger) Debug(msg string)               { l.emit(slog.LevelDebug, msg, nil) }
func (l pionLogger) Debugf(format string, a ...any) { l.emit(slog.LevelDebug, format, a) }
func (l pionLogger) Info(msg string)                { l.emit(slog.LevelDebug, msg, nil) }
func (l pionLogger) Infof(format string, a ...any)  { l.emit(slog.LevelDebug, format, a) }
func (l pionLogger) Warn(msg string)                { l.emit(slog.LevelWarn, msg, nil) }
func (l pionLogger) Warnf(format string, a ...any)  { l.emit(slog.LevelWarn, format, a) }
func (l pionLogger) Error(msg string)               { l.emit(slog.LevelWarn, msg, nil) }
func (l pionLogger) Errorf(format string, a ...any) { l.emit(slog.LevelWarn, format, a) }
