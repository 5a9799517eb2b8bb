// Package simkit holds the small pieces the RAN simulators (gnb, enb, ue)
// share: address config values, listen-address checks, quiet closing and
// a context-aware sleep.
package simkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// AddrList is one address or a list of them in YAML.
type AddrList []string

// UnmarshalYAML takes a scalar or a sequence of scalars.
func (l *AddrList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			*l = nil
			return nil
		}
		*l = AddrList{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return fmt.Errorf("line %d: want an address or a list of addresses: %w", n.Line, err)
	}
	*l = list
	return nil
}

// CheckListen wants host:port with an IP literal or an empty host.
func CheckListen(key, hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("%s %q: %w", key, hp, err)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("%s %q: host must be an IP address or empty", key, hp)
		}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%s %q: bad port", key, hp)
	}
	return nil
}

// CloseQuietly closes c, logging any error but an already-closed socket.
func CloseQuietly(log *slog.Logger, what string, c interface{ Close() error }) {
	if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		log.Warn("close "+what, "err", err)
	}
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
