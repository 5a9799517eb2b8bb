// Package capture records the frames crossing a lab's host bridges into
// one pcap file (Ethernet link type), for tshark or Wireshark. It opens an
// AF_PACKET socket per bridge in promiscuous mode, so frames the bridge
// forwards between containers are seen, not only those to the host.
package capture

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Stats counts what a capture saw.
type Stats struct {
	Frames    int
	Bytes     int
	Truncated int
	// Dropped counts frames the kernel could not queue for us.
	Dropped int
}

// Capture is a running capture; Stop ends it.
type Capture struct {
	w       *pcapWriter
	socks   []int
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	stats   Stats
	readErr error
}

// captureBuffer is each packet socket's receive buffer.
const captureBuffer = 64 << 20

// pollEvery bounds how long a reader blocks before it checks for Stop.
const pollEvery = 100 * time.Millisecond

// Start captures every frame on the named interfaces into w (pcap) until
// Stop or ctx ends. snaplen 0 keeps whole frames (up to 65535 bytes).
func Start(ctx context.Context, ifaces []string, w io.Writer, snaplen int) (*Capture, error) {
	if len(ifaces) == 0 {
		return nil, errors.New("capture: no interfaces given")
	}
	if snaplen <= 0 || snaplen > 65535 {
		snaplen = 65535
	}
	pw, err := newPcapWriter(w, snaplen)
	if err != nil {
		return nil, err
	}
	c := &Capture{w: pw}
	for _, name := range ifaces {
		fd, err := openPacketSocket(name)
		if err != nil {
			c.closeAll()
			return nil, fmt.Errorf("capture on %s: %w", name, err)
		}
		c.socks = append(c.socks, fd)
	}
	ctx, c.cancel = context.WithCancel(ctx)
	for _, fd := range c.socks {
		c.wg.Go(func() { c.read(ctx, fd, snaplen) })
	}
	return c, nil
}

// Stop ends the capture, closes the sockets, flushes the file and returns
// what was written.
func (c *Capture) Stop() (Stats, error) {
	c.cancel()
	c.wg.Wait()
	c.closeAll()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.w.w.Flush(); err != nil && c.readErr == nil {
		c.readErr = fmt.Errorf("write pcap: %w", err)
	}
	return c.stats, c.readErr
}

func (c *Capture) closeAll() {
	for _, fd := range c.socks {
		// Statistics are best effort: a socket that cannot say keeps 0.
		if st, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			c.stats.Dropped += int(st.Drops)
		}
		unix.Close(fd)
	}
	c.socks = nil
}

func openPacketSocket(name string) (int, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return -1, err
	}
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, fmt.Errorf("packet socket: %w", err)
	}
	fail := func(what string, err error) (int, error) {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifc.Index}); err != nil {
		return fail("bind", err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifc.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fail("promiscuous mode", err)
	}
	// A burst (a thousand UEs registering) must not overflow the socket:
	// a frame lost here reads as a protocol problem in the capture.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, captureBuffer); err != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, captureBuffer); err != nil {
			return fail("receive buffer", err)
		}
	}
	tv := unix.NsecToTimeval(pollEvery.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fail("receive timeout", err)
	}
	return fd, nil
}

func (c *Capture) read(ctx context.Context, fd, snaplen int) {
	buf := make([]byte, 65536)
	for {
		// After Stop, what is already queued is still read, without waiting.
		flags := unix.MSG_TRUNC
		stopping := ctx.Err() != nil
		if stopping {
			flags |= unix.MSG_DONTWAIT
		}
		n, _, err := unix.Recvfrom(fd, buf, flags)
		switch {
		case errors.Is(err, unix.EAGAIN) && stopping:
			return
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			c.fail(fmt.Errorf("read frames: %w", err))
			return
		}
		orig := n
		if n > len(buf) {
			n = len(buf)
		}
		kept := min(n, snaplen)
		c.mu.Lock()
		if err := c.w.record(time.Now(), buf[:kept], orig); err != nil {
			c.mu.Unlock()
			c.fail(err)
			return
		}
		c.stats.Frames++
		c.stats.Bytes += orig
		if kept < orig {
			c.stats.Truncated++
		}
		c.mu.Unlock()
	}
}

func (c *Capture) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readErr == nil {
		c.readErr = err
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// pcapWriter writes the classic pcap format (microsecond timestamps).
type pcapWriter struct {
	w   *bufio.Writer
	hdr [16]byte
}

const linkTypeEthernet = 1

func newPcapWriter(w io.Writer, snaplen int) (*pcapWriter, error) {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], uint32(snaplen))
	binary.LittleEndian.PutUint32(h[20:], linkTypeEthernet)
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(h[:]); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &pcapWriter{w: bw}, nil
}

func (p *pcapWriter) record(t time.Time, frame []byte, orig int) error {
	binary.LittleEndian.PutUint32(p.hdr[0:], uint32(t.Unix()))
	binary.LittleEndian.PutUint32(p.hdr[4:], uint32(t.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(p.hdr[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(p.hdr[12:], uint32(orig))
	if _, err := p.w.Write(p.hdr[:]); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	if _, err := p.w.Write(frame); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	return nil
}
