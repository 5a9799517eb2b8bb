package ue

import (
	"context"
	"net"

	"github.com/corebox/corebox/labs/sim/rtp"
	"github.com/corebox/corebox/labs/simapi"
)

// rtpStream runs a call's media: G.711 (PCMU, the codec we offer) every
// rtp.Ptime, measuring what the peer sends back.
func rtpStream(ctx context.Context, conn net.PacketConn, peer net.Addr) (simapi.RTPStats, error) {
	return rtp.Stream(ctx, conn, peer)
}
