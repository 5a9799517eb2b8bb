package imsinterop

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain quiets the SIP library's default logger: the NFs log through
// their own (quiet) loggers, but sipgo's transaction layer logs every
// late retransmission to the default one, thousands under load.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(m.Run())
}
