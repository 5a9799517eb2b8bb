package upf

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// tunDevice is N6 as a kernel TUN device with one queue per worker
// (IFF_MULTI_QUEUE): the kernel routes the UE pools into it (downlink),
// spreading flows over the queues, and forwards what we write out of the
// N6 interface (uplink). Closing it deletes the interface and its routes.
type tunDevice struct {
	name   string
	queues []*tunQueue
}

// openTUN creates the TUN device name with the given number of queues,
// sets its MTU, brings it up, routes the UE pools into it and turns on
// IPv4 forwarding (in the instance's network namespace). Needs
// CAP_NET_ADMIN and /dev/net/tun.
func openTUN(name string, mtu, queues int, pools []netip.Prefix) (*tunDevice, error) {
	t := &tunDevice{name: name}
	for range max(queues, 1) {
		q, err := openTUNQueue(t.name)
		if err != nil {
			t.Close()
			return nil, err
		}
		t.name = q.name // the kernel's spelling, for the next queues
		t.queues = append(t.queues, q)
	}
	if err := t.configure(mtu, pools); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// openTUNQueue attaches one more queue to the device name, creating it
// with the first.
func openTUNQueue(name string) (*tunQueue, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("n6 tun: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("n6 tun %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_MULTI_QUEUE)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("n6 tun %q: TUNSETIFF: %w (the upf needs NET_ADMIN)", name, err)
	}
	// A non-blocking fd goes to Go's poller, so Close wakes a blocked read.
	q := &tunQueue{name: ifr.Name(), file: os.NewFile(uintptr(fd), "/dev/net/tun")}
	if q.rc, err = q.file.SyscallConn(); err != nil {
		q.file.Close()
		return nil, fmt.Errorf("n6 tun %q: %w", name, err)
	}
	q.readFn = q.readSome
	return q, nil
}

func (t *tunDevice) configure(mtu int, pools []netip.Prefix) error {
	link, err := netlink.LinkByName(t.name)
	if err != nil {
		return fmt.Errorf("n6 tun %s: %w", t.name, err)
	}
	if err := netlink.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("n6 tun %s: mtu %d: %w", t.name, mtu, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("n6 tun %s: up: %w", t.name, err)
	}
	for _, p := range pools {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: prefixNet(p), Scope: netlink.SCOPE_LINK}
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("n6 tun %s: route %s: %w", t.name, p, err)
		}
	}
	return enableForwarding()
}

// enableForwarding turns on IPv4 forwarding unless it is on already.
func enableForwarding() error {
	if cur, err := os.ReadFile(ipForwardPath); err == nil && bytes.Equal(bytes.TrimSpace(cur), []byte("1")) {
		return nil
	}
	if err := os.WriteFile(ipForwardPath, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("n6: enable IPv4 forwarding: %w", err)
	}
	return nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Name implements n6Device.
func (t *tunDevice) Name() string { return t.name }

// SetRoute implements n6Device.
func (t *tunDevice) SetRoute(p netip.Prefix, on bool) error {
	link, err := netlink.LinkByName(t.name)
	if err != nil {
		return fmt.Errorf("n6 tun %s: %w", t.name, err)
	}
	r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: prefixNet(p), Scope: netlink.SCOPE_LINK}
	if on {
		err = netlink.RouteReplace(r)
	} else {
		err = netlink.RouteDel(r)
	}
	if err != nil {
		return fmt.Errorf("n6 tun %s: route %s (on %v): %w", t.name, p, on, err)
	}
	return nil
}

// Queues implements n6Device.
func (t *tunDevice) Queues() int { return len(t.queues) }

// Queue implements n6Device.
func (t *tunDevice) Queue(i int) n6Queue { return t.queues[i] }

// Close implements n6Device; the kernel deletes the interface with its
// last queue.
func (t *tunDevice) Close() error {
	var errs []error
	for _, q := range t.queues {
		q.closed.Store(true) // before the close its readers see
		if err := q.file.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, fmt.Errorf("n6 tun %s: close: %w", t.name, err))
		}
	}
	return errors.Join(errs...)
}

// tunQueue is one queue of the TUN device. One worker reads it; the read
// state lives here so the poller callback is bound once, not per call.
type tunQueue struct {
	name   string
	file   *os.File
	rc     syscall.RawConn
	closed atomic.Bool
	readFn func(fd uintptr) bool // q.readSome, bound once

	// The current ReadBatch.
	bufs    [][]byte
	sizes   []int
	off     int
	got     int
	readErr error
}

// ReadBatch implements n6Queue: one read(2) per packet, as many as are
// waiting (the device has no batch read), parking in the poller when none is.
func (q *tunQueue) ReadBatch(bufs [][]byte, sizes []int, off int) (int, error) {
	q.bufs, q.sizes, q.off, q.got, q.readErr = bufs, sizes, off, 0, nil
	err := q.rc.Read(q.readFn)
	q.bufs, q.sizes = nil, nil
	switch {
	case q.got > 0:
		return q.got, nil
	case q.closed.Load():
		// The poller says "use of closed file", which is not os.ErrClosed.
		return 0, fmt.Errorf("n6 tun %s: %w", q.name, net.ErrClosed)
	case err != nil:
		return 0, fmt.Errorf("n6 tun %s: read: %w", q.name, err)
	case q.readErr != nil:
		return 0, fmt.Errorf("n6 tun %s: read: %w", q.name, q.readErr)
	}
	return 0, fmt.Errorf("n6 tun %s: read: nothing read", q.name)
}

// readSome is the poller callback: false means "nothing yet, wait". The
// fd is non-blocking, so each read(2) returns at once and goes as a raw
// system call, without telling the Go scheduler.
func (q *tunQueue) readSome(fd uintptr) bool {
	for q.got < len(q.bufs) {
		b := q.bufs[q.got][q.off:]
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		switch e {
		case 0:
			q.sizes[q.got] = int(n)
			q.got++
		case unix.EINTR:
		case unix.EAGAIN:
			return q.got > 0
		default:
			q.readErr = e
			return true
		}
	}
	return true
}

// WritePacket implements n6Queue.
func (q *tunQueue) WritePacket(pkt []byte) error {
	if _, err := q.file.Write(pkt); err != nil {
		return fmt.Errorf("n6 tun %s: write: %w", q.name, err)
	}
	return nil
}

// NewWriter implements n6Queue.
func (q *tunQueue) NewWriter() n6Writer {
	w := &tunWriter{q: q}
	w.writeFn = w.write
	return w
}

// tunWriter writes one goroutine's packets to a queue through the
// poller's RawConn (which keeps the fd open meanwhile) as raw system
// calls: a TUN write never blocks (the device's send buffer is unlimited),
// though it runs the packet through the kernel's forwarding on the way.
type tunWriter struct {
	q       *tunQueue
	pkt     []byte
	err     unix.Errno
	writeFn func(fd uintptr) bool // w.write, bound once
}

// WritePacket implements n6Writer.
func (w *tunWriter) WritePacket(pkt []byte) error {
	if len(pkt) == 0 {
		return nil
	}
	w.pkt, w.err = pkt, 0
	err := w.q.rc.Write(w.writeFn)
	w.pkt = nil
	switch {
	case w.q.closed.Load():
		return fmt.Errorf("n6 tun %s: write: %w", w.q.name, net.ErrClosed)
	case err != nil:
		return fmt.Errorf("n6 tun %s: write: %w", w.q.name, err)
	case w.err != 0:
		return fmt.Errorf("n6 tun %s: write: %w", w.q.name, w.err)
	}
	return nil
}

func (w *tunWriter) write(fd uintptr) bool {
	for {
		_, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&w.pkt[0])), uintptr(len(w.pkt)))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		w.err = e
		return true
	}
}
