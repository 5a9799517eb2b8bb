package sgwtest

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// ENB is a fake eNB's S1-U: a UDP socket sending and receiving G-PDUs.
type ENB struct {
	conn *net.UDPConn
}

// StartENB binds the fake eNB on b.Addr(1), port 0 (its port is the
// GTP-U port of the test), until the test ends.
func StartENB(t testing.TB, b gtpv2ctest.Block) *ENB {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(b.Addr(1), 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &ENB{conn: c}
}

// Port is the eNB's GTP-U port: the test's GTP-U port.
func (e *ENB) Port() uint16 { return e.Addr().Port() }

// Addr is the eNB's GTP-U address.
func (e *ENB) Addr() netip.AddrPort { return e.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Send sends payload in a G-PDU for teid to dst.
func (e *ENB) Send(dst netip.AddrPort, teid uint32, payload []byte) error {
	var h gtpu.Header
	h.Type = gtpu.MsgGPDU
	h.TEID = teid
	b, err := gtpu.Append(nil, &h, payload)
	if err != nil {
		return err
	}
	_, err = e.conn.WriteToUDPAddrPort(b, dst)
	return err
}

// Recv waits up to timeout for a G-PDU and returns its TEID and payload.
func (e *ENB) Recv(timeout time.Duration) (uint32, []byte, error) {
	buf := make([]byte, 65535)
	if err := e.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, nil, err
	}
	for {
		n, _, err := e.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return 0, nil, err
		}
		var h gtpu.Header
		if err := gtpu.Parse(buf[:n], &h); err != nil {
			return 0, nil, fmt.Errorf("not GTP-U: %w", err)
		}
		if h.Type == gtpu.MsgGPDU {
			return h.TEID, append([]byte(nil), h.Payload(buf[:n])...), nil
		}
	}
}

// UDPPacket builds an IPv4/UDP packet from src to dst with payload and
// valid checksums.
func UDPPacket(src, dst netip.AddrPort, payload []byte) []byte {
	p := make([]byte, 28+len(payload))
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	p[8] = 64
	p[9] = 17
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	binary.BigEndian.PutUint16(p[10:], checksum(p[:20], 0))
	u := p[20:]
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	copy(u[8:], payload)
	pseudo := uint32(s[0])<<8 | uint32(s[1])
	pseudo += uint32(s[2])<<8 | uint32(s[3])
	pseudo += uint32(d[0])<<8 | uint32(d[1])
	pseudo += uint32(d[2])<<8 | uint32(d[3])
	pseudo += 17 + uint32(len(u))
	c := checksum(u, pseudo)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return p
}

func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
