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

// recvmmsg(2) and sendmmsg(2) over the socket's RawConn, so that the Go
// poller still parks a reader with nothing to read. Our own rather than
// golang.org/x/net/ipv4.PacketConn.ReadBatch, which allocates a
// *net.UDPAddr for every datagram's source: here the headers, iovecs and
// addresses are allocated once per ring and reused. The sockets are
// non-blocking, so the calls go as raw system calls: the Go scheduler's
// bookkeeping around a system call costs more than it saves here.

// rxRing receives up to len(pkts) datagrams per system call. One read
// loop owns it.
type rxRing struct {
	rc     syscall.RawConn
	pkts   []rxPacket
	hdrs   []unix.Mmsghdr
	iovs   []unix.Iovec
	names  []unix.RawSockaddrInet6 // room for either family
	got    int                     // filled by the last recvmmsg
	errno  syscall.Errno
	recvFn func(fd uintptr) bool // r.recv, bound once
}

func newRxRing(c *net.UDPConn, size int) (*rxRing, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rxRing{rc: rc, pkts: newRxPackets(size), hdrs: make([]unix.Mmsghdr, size),
		iovs: make([]unix.Iovec, size), names: make([]unix.RawSockaddrInet6, size)}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.pkts[i].buf[0]
		r.iovs[i].SetLen(len(r.pkts[i].buf))
		h := &r.hdrs[i].Hdr
		h.Iov, h.Iovlen = &r.iovs[i], 1
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Control = &r.pkts[i].oob[0]
	}
	r.got = size // all headers need their lengths set
	r.recvFn = r.recv
	return r, nil
}

// read blocks until at least one datagram is there and returns how many
// of r.pkts it filled.
func (r *rxRing) read() (int, error) {
	for i := range r.got { // the kernel rewrote only these
		h := &r.hdrs[i].Hdr
		h.Namelen = unix.SizeofSockaddrInet6
		h.SetControllen(len(r.pkts[i].oob))
		h.Flags = 0
	}
	r.got, r.errno = 0, 0
	if err := r.rc.Read(r.recvFn); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", r.errno)
	}
	for i := range r.got {
		p, h := &r.pkts[i], &r.hdrs[i]
		p.n, p.oobn = int(h.Len), int(h.Hdr.Controllen)
		p.truncated = h.Hdr.Flags&unix.MSG_TRUNC != 0
		p.src = sockaddrToAddrPort(&r.names[i])
	}
	return r.got, nil
}

// recv is the RawConn callback: false means "nothing yet, wait".
func (r *rxRing) recv(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])),
			uintptr(len(r.hdrs)), 0, 0, 0)
		switch e {
		case 0:
			r.got = int(n)
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.errno = e
		return true
	}
}

// sockaddrToAddrPort reads a kernel-filled sockaddr_in or sockaddr_in6.
func sockaddrToAddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	if sa.Family == unix.AF_INET {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port)
}

// setReusePort lets several sockets bind one address; the kernel spreads
// datagrams over them by a hash of the 4-tuple.
func setReusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("setsockopt SO_REUSEPORT", serr)
	}
	return nil
}
