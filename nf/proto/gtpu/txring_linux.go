//go:build linux

package gtpu

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// txRing queues datagrams for sendmmsg. One goroutine owns it. With GSO,
// consecutive datagrams to one destination of one length (the last of a
// run may be shorter) go as one UDP_SEGMENT message: the kernel walks its
// stack once for the run and cuts it into the datagrams on the way.
type txRing struct {
	rc     syscall.RawConn
	ipv6   bool
	gso    bool
	msgs   [][]byte // queued, kept referenced until flushed
	dsts   []netip.AddrPort
	iovs   []unix.Iovec // one per message
	n      int
	runs   []gsoRun       // the messages grouped, in order
	hdrs   []unix.Mmsghdr // one per run
	names  []unix.RawSockaddrInet6
	cmsgs  []byte // a UDP_SEGMENT control message per run
	off    int    // next run to send during a flush
	sent   int
	onErr  func(i int, err error)
	sendFn func(fd uintptr) bool // t.send, bound once
}

// gsoRun is messages first..first+count-1, all to dst; all but the last
// are segSize long.
type gsoRun struct {
	first, count, segSize, bytes int
	dst                          netip.AddrPort
	open                         bool // another message may join
}

// GSO limits: the kernel's UDP_MAX_SEGMENTS, and what one UDP datagram's
// length field can say, with room for the headers.
const (
	gsoMaxSegments = 64
	gsoMaxBytes    = 65000
)

var cmsgSegmentSpace = unix.CmsgSpace(2)

func newTxRing(c *net.UDPConn, ipv6, gso bool, size int) (*txRing, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	t := &txRing{rc: rc, ipv6: ipv6, gso: gso && gsoSupported(rc), msgs: make([][]byte, size),
		dsts: make([]netip.AddrPort, size), iovs: make([]unix.Iovec, size), runs: make([]gsoRun, 0, size),
		hdrs: make([]unix.Mmsghdr, size), names: make([]unix.RawSockaddrInet6, size),
		cmsgs: make([]byte, size*cmsgSegmentSpace)}
	for i := range t.hdrs {
		t.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&t.names[i]))
		cm := (*unix.Cmsghdr)(unsafe.Pointer(&t.cmsgs[i*cmsgSegmentSpace]))
		cm.Level, cm.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
		cm.SetLen(unix.CmsgLen(2))
	}
	t.sendFn = t.send
	return t, nil
}

// gsoSupported asks the kernel whether it knows UDP_SEGMENT (Linux 4.18).
func gsoSupported(rc syscall.RawConn) bool {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		_, err = unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
	}); cerr != nil {
		return false
	}
	return err == nil
}

func (t *txRing) len() int { return t.n }
func (t *txRing) cap() int { return len(t.msgs) }

// add queues msg for dst, which has the socket's family (the caller checks).
func (t *txRing) add(dst netip.AddrPort, msg []byte) {
	i := t.n
	t.n++
	t.msgs[i], t.dsts[i] = msg, dst
	if len(msg) > 0 {
		t.iovs[i].Base = &msg[0]
	} else {
		t.iovs[i].Base = nil
	}
	t.iovs[i].SetLen(len(msg))
	if k := len(t.runs) - 1; t.gso && k >= 0 && t.runs[k].accepts(dst, len(msg)) {
		r := &t.runs[k]
		r.count++
		r.bytes += len(msg)
		r.open = len(msg) == r.segSize
		return
	}
	t.runs = append(t.runs, gsoRun{first: i, count: 1, segSize: len(msg), bytes: len(msg), dst: dst, open: len(msg) > 0})
}

func (r *gsoRun) accepts(dst netip.AddrPort, size int) bool {
	return r.open && r.dst == dst && size > 0 && size <= r.segSize &&
		r.count < gsoMaxSegments && r.bytes+size <= gsoMaxBytes
}

// pack writes the mmsghdr of run k.
func (t *txRing) pack(k int) {
	r, h := &t.runs[k], &t.hdrs[k].Hdr
	h.Iov = &t.iovs[r.first]
	h.SetIovlen(r.count)
	h.Namelen = putSockaddr(&t.names[k], r.dst, t.ipv6)
	h.Control, h.Controllen = nil, 0
	if r.count > 1 {
		cm := t.cmsgs[k*cmsgSegmentSpace : (k+1)*cmsgSegmentSpace]
		*(*uint16)(unsafe.Pointer(&cm[unix.CmsgLen(0)])) = uint16(r.segSize)
		h.Control = &cm[0]
		h.SetControllen(cmsgSegmentSpace)
	}
	t.hdrs[k].Len = 0
}

// putSockaddr writes dst as the socket's family wants it and returns the
// sockaddr's length.
func putSockaddr(sa *unix.RawSockaddrInet6, dst netip.AddrPort, ipv6 bool) uint32 {
	port := (*[2]byte)(unsafe.Pointer(&sa.Port))[:]
	binary.BigEndian.PutUint16(port, dst.Port())
	if !ipv6 {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		sa4.Family = unix.AF_INET
		sa4.Addr = dst.Addr().As4()
		sa4.Zero = [8]uint8{}
		return unix.SizeofSockaddrInet4
	}
	sa.Family = unix.AF_INET6
	sa.Flowinfo, sa.Scope_id = 0, 0
	sa.Addr = dst.Addr().As16()
	return unix.SizeofSockaddrInet6
}

// flush sends the queued messages in order, skipping (and reporting to
// onErr) those the kernel refuses, and empties the ring. It returns how
// many were sent, or an error when the socket itself failed (closed).
func (t *txRing) flush(onErr func(i int, err error)) (int, error) {
	if t.n == 0 {
		return 0, nil
	}
	for k := range t.runs {
		t.pack(k)
	}
	t.off, t.sent, t.onErr = 0, 0, onErr
	err := t.rc.Write(t.sendFn)
	sent := t.sent
	if err != nil {
		for _, r := range t.runs[t.off:] {
			for i := r.first; i < r.first+r.count; i++ {
				t.fail(i, err)
			}
		}
	}
	clear(t.msgs[:t.n])
	t.n, t.runs, t.onErr = 0, t.runs[:0], nil
	return sent, err
}

// send is the RawConn callback: false means "socket buffer full, wait".
func (t *txRing) send(fd uintptr) bool {
	for t.off < len(t.runs) {
		n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&t.hdrs[t.off])),
			uintptr(len(t.runs)-t.off), 0, 0, 0)
		switch e {
		case 0:
			for _, r := range t.runs[t.off : t.off+int(n)] {
				t.sent += r.count
			}
			t.off += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			t.refused(e) // the first run of the rest failed
		}
	}
	return true
}

// refused handles a run the kernel would not send: a GSO run is retried
// as single datagrams (EIO: the device cannot checksum, so GSO stays off;
// EINVAL: a datagram longer than the path MTU, which only GSO refuses),
// a single datagram is skipped and reported.
func (t *txRing) refused(e syscall.Errno) {
	r := t.runs[t.off]
	if r.count == 1 {
		t.fail(r.first, os.NewSyscallError("sendmmsg", e))
		t.off++
		return
	}
	if e == unix.EIO {
		t.gso = false
	}
	t.split(t.off)
}

// split turns run k and those after it into one run per message.
func (t *txRing) split(k int) {
	first := t.runs[k].first
	t.runs = t.runs[:k]
	for i := first; i < t.n; i++ {
		t.runs = append(t.runs, gsoRun{first: i, count: 1, segSize: len(t.msgs[i]), bytes: len(t.msgs[i]), dst: t.dsts[i]})
		t.pack(len(t.runs) - 1)
	}
}

func (t *txRing) fail(i int, err error) {
	if t.onErr != nil {
		t.onErr(i, err)
	}
}
