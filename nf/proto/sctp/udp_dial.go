package sctp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pion/sctp"

	"github.com/corebox/corebox/nf/nfkit"
)

// dialUDP runs a pion client association over a connected UDP socket.
func dialUDP(ctx context.Context, local, remote string, hb time.Duration, log *slog.Logger) (Conn, error) {
	raddr, err := net.ResolveUDPAddr("udp", remote)
	if err != nil {
		return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
	}
	var laddr *net.UDPAddr
	if local != "" {
		if laddr, err = net.ResolveUDPAddr("udp", local); err != nil {
			return nil, fmt.Errorf("sctp dial %s: local %s: %w", remote, local, err)
		}
	}
	uc, err := net.DialUDP("udp", laddr, raddr)
	if err != nil {
		return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
	}
	if err := nfkit.GrowUDPBuffers(uc); err != nil {
		uc.Close()
		return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
	}
	dc := newDialConn(uc)
	log = log.With("peer", raddr.String())
	assoc, err := sctp.ClientContext(ctx, clientOptions(pionOptions(dc, log))...)
	if err != nil {
		// On cancellation pion closes the socket itself, in the background.
		if ctx.Err() == nil {
			if cerr := uc.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
				log.Debug("sctp dial: closing socket", "err", cerr)
			}
		}
		if ferr := dc.state.failure(); ferr != nil {
			err = ferr // e.g. connection refused: more useful than pion's error
		}
		return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
	}
	log.Info("sctp association up", "transport", "udp", "local", uc.LocalAddr().String())
	return newUDPConn(assoc, dc, hb, log, nil), nil
}
