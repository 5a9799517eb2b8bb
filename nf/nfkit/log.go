package nfkit

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Environment variables every NF reads.
const (
	EnvInstance  = "COREBOX_INSTANCE"   // instance name, e.g. 5gc-upf-0; default: hostname
	EnvLogLevel  = "COREBOX_LOG_LEVEL"  // debug, info (default), warn, error
	EnvLogFormat = "COREBOX_LOG_FORMAT" // json (default) or text
)

// Logger returns the logger an NF of this kind uses: records go to stderr as
// JSON (or text, per COREBOX_LOG_FORMAT) at the level in COREBOX_LOG_LEVEL,
// each with nf=<kind> and instance=<name>. An empty name means Instance().
func Logger(kind, name string) *slog.Logger {
	if name == "" {
		name = Instance()
	}
	level, levelErr := ParseLevel(os.Getenv(EnvLogLevel))
	format := os.Getenv(EnvLogFormat)
	log := NewLogger(os.Stderr, kind, name, level, format)
	if levelErr != nil {
		log.Warn("ignoring bad log level, using info", "env", EnvLogLevel, "err", levelErr)
	}
	if format != "" && format != "json" && format != "text" {
		log.Warn("ignoring unknown log format, using json", "env", EnvLogFormat, "format", format)
	}
	return log
}

// NewLogger builds a logger writing to w; format "text" selects the text
// handler, anything else JSON.
func NewLogger(w io.Writer, kind, instance string, level slog.Leveler, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h).With("nf", kind, "instance", instance)
}

// Instance is this instance's name: $COREBOX_INSTANCE, else the hostname
// (which corebox and Kubernetes set to the instance name), else "unknown".
func Instance() string {
	if v := os.Getenv(EnvInstance); v != "" {
		return v
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}

// ParseLevel parses debug/info/warn/error (any case); empty means info.
func ParseLevel(s string) (slog.Level, error) {
	if strings.TrimSpace(s) == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelInfo, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}
