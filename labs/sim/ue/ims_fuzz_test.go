package ue

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// discardConn is a PacketConn that reads nothing and drops what is sent.
type discardConn struct{ net.PacketConn }

func (discardConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }
func (discardConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: sipPort}
}

// FuzzIMSSIP feeds datagrams to an agent's SIP layer: parsing,
// transaction matching, the request dispatch (an unregistered agent:
// no call starts) and the SDP and hang-up header readers. Nothing may
// panic; what does not parse is counted. Seeds: testdata/fuzz/FuzzIMSSIP.
func FuzzIMSSIP(f *testing.F) {
	m, err := newIMSMetrics(prometheus.NewRegistry())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a := &imsAgent{cfg: imsAgentConfig{metrics: m, calleeBearer: time.Second}, log: nfkittest.Quiet(), dialogs: map[string]*dialog{}}
		a.ctx, a.cancel = context.WithCancel(context.Background())
		defer a.cancel()
		a.conn = newSIPConn(discardConn{}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort}, a.log, m.malformedSIP)
		a.conn.onRequest, a.conn.onStray = a.onRequest, a.onStray
		a.conn.handle(b, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort})
		msg, err := parseSIP(b)
		if err != nil {
			return
		}
		_, _ = sdpPeer(msg.Body())
		if req, ok := msg.(*sip.Request); ok {
			_, _ = a.calleeParams(req)
			_ = recordRoutes(req)
		}
	})
}
