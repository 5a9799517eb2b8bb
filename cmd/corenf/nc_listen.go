package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// ncListen waits for one peer: a TCP connection, or the first datagram
// (which the session then sees first) from a UDP sender.
func ncListen(ctx context.Context, network, addr string, verbose bool, w io.Writer) (ncConn, error) {
	var lc net.ListenConfig
	if network == "tcp" {
		ln, err := lc.Listen(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		if verbose {
			fmt.Fprintf(w, "listening on %s (tcp)\n", ln.Addr())
		}
		stop := context.AfterFunc(ctx, func() { ln.Close() })
		defer stop()
		c, err := ln.Accept()
		if err != nil {
			return nil, fmt.Errorf("accept: %w", err)
		}
		if verbose {
			fmt.Fprintf(w, "connection from %s\n", c.RemoteAddr())
		}
		return c, nil
	}
	pc, err := lc.ListenPacket(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	uc := pc.(*net.UDPConn)
	if verbose {
		fmt.Fprintf(w, "listening on %s (udp)\n", uc.LocalAddr())
	}
	stop := context.AfterFunc(ctx, func() { uc.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	n, peer, err := uc.ReadFromUDPAddrPort(buf)
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("receive: %w", err)
	}
	if verbose {
		fmt.Fprintf(w, "datagram from %s\n", peer)
	}
	return &udpPeer{c: uc, peer: peer, first: buf[:n], hasFirst: true}, nil
}

// udpPeer is a listening UDP socket narrowed to its first sender.
type udpPeer struct {
	c        *net.UDPConn
	peer     netip.AddrPort
	first    []byte
	hasFirst bool
}

func (u *udpPeer) Read(p []byte) (int, error) {
	if u.hasFirst {
		u.hasFirst = false
		return copy(p, u.first), nil
	}
	for {
		n, from, err := u.c.ReadFromUDPAddrPort(p)
		if err != nil || from == u.peer {
			return n, err
		}
		// Other senders are not part of this conversation.
	}
}

func (u *udpPeer) Write(p []byte) (int, error)       { return u.c.WriteToUDPAddrPort(p, u.peer) }
func (u *udpPeer) SetReadDeadline(t time.Time) error { return u.c.SetReadDeadline(t) }
func (u *udpPeer) Close() error                      { return u.c.Close() }
