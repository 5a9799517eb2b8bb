package gtpu

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/corebox/corebox/nf/nfkit"
)

// listen binds a UDP socket of the family the address asks for.
func listen(addr string) (*net.UDPConn, bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
	}
	network, ipv6 := "udp4", false
	if strings.Contains(host, ":") {
		network, ipv6 = "udp6", true
	}
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
	}
	conn, err := net.ListenUDP(network, ua)
	if err != nil {
		return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
	}
	if err := nfkit.GrowUDPBuffers(conn); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("gtpu listen %q: %w", addr, err)
	}
	return conn, ipv6, nil
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
	buf  []byte
	n    int
	oob  []byte
	oobn int
	src  netip.AddrPort
}

// readBatchSize is 1 for now: the loop is written over batches so that
// recvmmsg (ipv4.PacketConn.ReadBatch) can fill several at once later.
const readBatchSize = 1

func newRxBatch() []rxPacket {
	oobLen := max(len(ipv4.NewControlMessage(ipv4.FlagDst)), len(ipv6.NewControlMessage(ipv6.FlagDst)))
	pkts := make([]rxPacket, readBatchSize)
	for i := range pkts {
		pkts[i].buf = make([]byte, 65536)
		pkts[i].oob = make([]byte, oobLen)
	}
	return pkts
}

// readBatch fills pkts and returns how many it filled.
func (e *Endpoint) readBatch(pkts []rxPacket) (int, error) {
	p := &pkts[0]
	n, oobn, _, src, err := e.conn.ReadMsgUDPAddrPort(p.buf, p.oob)
	if err != nil {
		return 0, err
	}
	p.n, p.oobn = n, oobn
	p.src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	return 1, nil
}
