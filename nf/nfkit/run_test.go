package nfkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/corebox/corebox/nf/nfkit"
)

func TestRunAllFirstErrorCancelsOthers(t *testing.T) {
	boom := errors.New("boom")
	err := nfkit.RunAll(context.Background(),
		func(ctx context.Context) error { <-ctx.Done(); return nil },
		func(ctx context.Context) error { return nil }, // finishing early stops nothing
		func(ctx context.Context) error { return boom },
		func(ctx context.Context) error { <-ctx.Done(); return errors.New("late") },
	)
	if !errors.Is(err, boom) {
		t.Errorf("RunAll = %v, want boom", err)
	}
}

func TestRunAllParentCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := nfkit.RunAll(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	if err != nil {
		t.Errorf("RunAll = %v, want nil", err)
	}
}

func TestExitErrorUnwraps(t *testing.T) {
	err := errors.Join(errors.New("other"), &nfkit.ExitError{Code: 3, Reason: "asked"})
	var ee *nfkit.ExitError
	if !errors.As(err, &ee) || ee.Code != 3 {
		t.Fatalf("errors.As = %v", err)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want slog.Level
		ok   bool
	}{
		{"", slog.LevelInfo, true},
		{"debug", slog.LevelDebug, true},
		{"WARN", slog.LevelWarn, true},
		{" error ", slog.LevelError, true},
		{"loud", slog.LevelInfo, false},
	}
	for _, tt := range tests {
		got, err := nfkit.ParseLevel(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseLevel(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestInstance(t *testing.T) {
	t.Setenv(nfkit.EnvInstance, "5gc-upf-0")
	if got := nfkit.Instance(); got != "5gc-upf-0" {
		t.Errorf("Instance = %q", got)
	}
	t.Setenv(nfkit.EnvInstance, "")
	if got := nfkit.Instance(); got == "" {
		t.Error("Instance empty without env")
	}
}

// The logger's contract is its attributes, so this reads one record back.
func TestNewLoggerTagsRecords(t *testing.T) {
	var buf bytes.Buffer
	nfkit.NewLogger(&buf, "dn", "lab-dn-0", slog.LevelInfo, "json").Debug("dropped")
	if buf.Len() != 0 {
		t.Errorf("debug record written at info level")
	}
	nfkit.NewLogger(&buf, "dn", "lab-dn-0", slog.LevelInfo, "json").Info("hello")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if rec["nf"] != "dn" || rec["instance"] != "lab-dn-0" {
		t.Errorf("record %v lacks nf/instance", rec)
	}
}
