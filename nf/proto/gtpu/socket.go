package gtpu

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/corebox/corebox/nf/nfkit"
)

// listen binds n UDP sockets of the family the address asks for, all on
// one address (SO_REUSEPORT when n > 1; a port of 0 is resolved by the
// first socket).
func listen(addr string, n int) ([]*net.UDPConn, bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
	}
	network, ipv6 := "udp4", false
	if strings.Contains(host, ":") {
		network, ipv6 = "udp6", true
	}
	var lc net.ListenConfig
	if n > 1 {
		lc.Control = setReusePort
	}
	conns := make([]*net.UDPConn, 0, n)
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for range n {
		pc, err := lc.ListenPacket(context.Background(), network, addr)
		if err != nil {
			closeAll()
			return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
		}
		c := pc.(*net.UDPConn)
		conns = append(conns, c)
		if err := nfkit.GrowUDPBuffers(c); err != nil {
			closeAll()
			return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
		}
		addr = c.LocalAddr().String() // the others join the port the first got
	}
	return conns, ipv6, nil
}

// enableDstInfo asks the kernel to report each datagram's destination.
func enableDstInfo(c *net.UDPConn, ipv6Socket bool) error {
	if ipv6Socket {
		return ipv6.NewPacketConn(c).SetControlMessage(ipv6.FlagDst, true)
	}
	return ipv4.NewPacketConn(c).SetControlMessage(ipv4.FlagDst, true)
}

// dstFromOOB reads the destination address from a datagram's control data.
func dstFromOOB(oob []byte, ipv6Socket bool) netip.Addr {
	var ip net.IP
	if ipv6Socket {
		var cm ipv6.ControlMessage
		if cm.Parse(oob) == nil {
			ip = cm.Dst
		}
	} else {
		var cm ipv4.ControlMessage
		if cm.Parse(oob) == nil {
			ip = cm.Dst
		}
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// rxPacket is one received datagram and its control data.
type rxPacket struct {
	buf       []byte
	n         int
	oob       []byte
	oobn      int
	src       netip.AddrPort
	truncated bool // longer than buf
}

// rxBufSize holds the largest UDP payload.
const rxBufSize = 65536

// rxStride spaces the receive buffers of a ring in one slab so that they
// do not all start at the same cache set.
const rxStride = rxBufSize + 128

// readBatchSize is how many datagrams one read loop takes per recvmmsg.
const readBatchSize = 64

func newRxPackets(n int) []rxPacket {
	oobLen := max(len(ipv4.NewControlMessage(ipv4.FlagDst)), len(ipv6.NewControlMessage(ipv6.FlagDst)))
	slab := make([]byte, n*rxStride)
	oobs := make([]byte, n*oobLen)
	pkts := make([]rxPacket, n)
	for i := range pkts {
		pkts[i].buf = slab[i*rxStride : i*rxStride+rxBufSize : i*rxStride+rxBufSize]
		pkts[i].oob = oobs[i*oobLen : (i+1)*oobLen : (i+1)*oobLen]
	}
	return pkts
}
