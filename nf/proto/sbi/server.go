package sbi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// shutdownGrace bounds how long in-flight SBI requests may finish on stop.
const shutdownGrace = 5 * time.Second

// TLSConfig names the PEM files of the server's certificate chain and key.
type TLSConfig struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// ServerConfig is the "sbi:" section of a 5GC NF's config.
type ServerConfig struct {
	// Listen is the SBI server's host:port.
	Listen string `yaml:"listen"`
	// TLS, when set, serves HTTPS (h2 and HTTP/1.1 by ALPN); else h2c.
	TLS *TLSConfig `yaml:"tls,omitempty"`
}

// Validate checks Listen is a host:port and TLS names both files.
func (c ServerConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("sbi.listen %q: %w", c.Listen, err))
	}
	if c.TLS != nil && (c.TLS.Cert == "" || c.TLS.Key == "") {
		errs = append(errs, errors.New("sbi.tls needs both cert and key"))
	}
	return errors.Join(errs...)
}

// Scheme is "https" when TLS is configured, else "http".
func (c ServerConfig) Scheme() string {
	if c.TLS != nil {
		return "https"
	}
	return "http"
}

// Server serves one NF's SBI API.
type Server struct {
	cfg  ServerConfig
	log  *slog.Logger
	tls  *tls.Config
	addr atomic.Pointer[net.Addr]
}

// NewServer checks cfg and loads the TLS key pair, if any, so a bad file
// fails at start rather than at the first handshake.
func NewServer(cfg ServerConfig, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log}
	if cfg.TLS != nil {
		pair, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key)
		if err != nil {
			return nil, fmt.Errorf("sbi: load TLS key pair: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// Addr is the bound address once Run or Serve listens, else nil.
func (s *Server) Addr() net.Addr {
	if p := s.addr.Load(); p != nil {
		return *p
	}
	return nil
}

// URL is scheme://host:port of the bound address, or "" before listening.
func (s *Server) URL() string {
	a := s.Addr()
	if a == nil {
		return ""
	}
	return s.cfg.Scheme() + "://" + a.String()
}

// Run listens on cfg.Listen and serves h until ctx ends.
func (s *Server) Run(ctx context.Context, h http.Handler) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("sbi: listen %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln, h)
}

// Serve serves h on ln (closing it) until ctx ends, then shuts down
// gracefully: in-flight requests get shutdownGrace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           h,
		Protocols:         &protos,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a := ln.Addr()
	s.addr.Store(&a)
	s.log.Info("sbi server listening", "addr", a.String(), "scheme", s.cfg.Scheme())
	errc := make(chan error, 1)
	go func() {
		if s.tls != nil {
			// ServeTLS adds the ALPN names (h2, http/1.1) to a clone of TLSConfig.
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("sbi: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sbi: serve: %w", err)
	}
	if shutErr != nil {
		if err := srv.Close(); err != nil {
			return fmt.Errorf("sbi: close: %w", err)
		}
		return fmt.Errorf("sbi: shutdown: %w", shutErr)
	}
	return nil
}
