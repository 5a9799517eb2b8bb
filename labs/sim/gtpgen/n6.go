package gtpgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"

	"github.com/corebox/corebox/nf/nfkit"
)

// Datagram is one UDP datagram on N6. Peer is the UE side's address and
// port. To write, Buf[:N] is sent; to read, Buf is filled and N set.
type Datagram struct {
	Buf  []byte
	N    int
	Peer netip.AddrPort
}

// N6Port is gtpgen's data-network side: UDP datagrams to and from UE
// addresses, in batches. In a container it is a UDP socket on the n6
// interface; in tests it can be the UPF's in-memory N6 (NewMemoryN6).
// One goroutine reads and one writes at a time.
type N6Port interface {
	// LocalAddr is where uplink packets must be sent to.
	LocalAddr() netip.AddrPort
	// ReadBatch blocks until at least one datagram arrives, fills up to
	// len(dgs) and returns how many. After Close it returns an error
	// wrapping net.ErrClosed.
	ReadBatch(dgs []Datagram) (int, error)
	// WriteBatch sends dgs in order and returns how many were sent.
	WriteBatch(dgs []Datagram) (int, error)
	Close() error
}

// udpN6 is the N6Port of a container: one UDP socket, sendmmsg/recvmmsg.
type udpN6 struct {
	conn  *net.UDPConn
	pc    *ipv4.PacketConn
	local netip.AddrPort
	rmsgs []ipv4.Message
	wmsgs []ipv4.Message
	waddr []net.UDPAddr // destination of wmsgs[i], reused: no allocation per packet
}

// listenUDP binds an IPv4 UDP socket with large buffers.
func listenUDP(ctx context.Context, key, addr string) (*net.UDPConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	conn := pc.(*net.UDPConn)
	if err := nfkit.GrowUDPBuffers(conn); err != nil {
		return nil, fmt.Errorf("%s: %w", key, closeAfter(conn, err))
	}
	return conn, nil
}

// newUDPN6 binds the N6 socket; batch bounds a call's datagrams.
func newUDPN6(ctx context.Context, addr string, batch int) (*udpN6, error) {
	conn, err := listenUDP(ctx, "n6.listen", addr)
	if err != nil {
		return nil, err
	}
	u := &udpN6{conn: conn, pc: ipv4.NewPacketConn(conn), local: conn.LocalAddr().(*net.UDPAddr).AddrPort(),
		rmsgs: newMessages(batch), wmsgs: newMessages(batch), waddr: make([]net.UDPAddr, batch)}
	for i := range u.waddr {
		u.waddr[i].IP = make(net.IP, net.IPv4len)
	}
	return u, nil
}

// newMessages makes batch messages of one buffer each.
func newMessages(batch int) []ipv4.Message {
	ms := make([]ipv4.Message, batch)
	for i := range ms {
		ms[i].Buffers = make([][]byte, 1)
	}
	return ms
}

func (u *udpN6) LocalAddr() netip.AddrPort { return u.local }

func (u *udpN6) ReadBatch(dgs []Datagram) (int, error) {
	n := min(len(dgs), len(u.rmsgs))
	for i := range n {
		u.rmsgs[i].Buffers[0] = dgs[i].Buf[:cap(dgs[i].Buf)]
	}
	k, err := u.pc.ReadBatch(u.rmsgs[:n], 0)
	k = max(k, 0) // -1 with an error
	for i := range k {
		dgs[i].N = u.rmsgs[i].N
		dgs[i].Peer = netip.AddrPort{}
		if ua, ok := u.rmsgs[i].Addr.(*net.UDPAddr); ok {
			ap := ua.AddrPort()
			dgs[i].Peer = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	if err != nil {
		return k, fmt.Errorf("n6 read: %w", err)
	}
	return k, nil
}

func (u *udpN6) WriteBatch(dgs []Datagram) (int, error) {
	n := min(len(dgs), len(u.wmsgs))
	for i := range n {
		a := &u.waddr[i]
		ip := dgs[i].Peer.Addr().As4()
		copy(a.IP, ip[:])
		a.Port = int(dgs[i].Peer.Port())
		u.wmsgs[i].Buffers[0] = dgs[i].Buf[:dgs[i].N]
		u.wmsgs[i].Addr = a
	}
	k, err := u.pc.WriteBatch(u.wmsgs[:n], 0)
	k = max(k, 0)
	if err != nil {
		return k, fmt.Errorf("n6 write: %w", err)
	}
	return k, nil
}

func (u *udpN6) Close() error { return u.conn.Close() }

// closeAfter closes c after a failure, keeping both errors.
func closeAfter(c interface{ Close() error }, err error) error {
	if cerr := c.Close(); cerr != nil {
		return fmt.Errorf("%w (and closing: %v)", err, cerr)
	}
	return err
}
