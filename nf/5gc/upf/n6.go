package upf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// n6Device is where uplink packets leave toward the data network and
// downlink packets come from: whole IP packets, no link header. It has
// one or more queues; each downlink worker reads one.
type n6Device interface {
	Queues() int
	Queue(i int) n6Queue
	Close() error
	Name() string
	// SetRoute routes p into the device (on) or stops (off).
	SetRoute(p netip.Prefix, on bool) error
}

// n6Queue is one queue of an N6 device.
type n6Queue interface {
	// ReadBatch blocks for the next downlink packet, then takes the
	// packets already waiting, up to len(bufs): packet i goes to
	// bufs[i][off:] (room for maxPacket octets) and its length to sizes[i]. Only one goroutine reads
	// a queue. After Close it returns an error wrapping net.ErrClosed.
	ReadBatch(bufs [][]byte, sizes []int, off int) (int, error)
	// WritePacket sends one uplink packet; pkt may be reused on return.
	// Safe for concurrent use.
	WritePacket(pkt []byte) error
	// NewWriter returns a writer for one goroutine's uplink packets,
	// cheaper per packet than WritePacket where the device allows.
	NewWriter() n6Writer
}

// n6Writer writes uplink packets to one N6 queue.
type n6Writer interface {
	WritePacket(pkt []byte) error
}

// memoryQueue is how many packets each direction of a MemoryN6 holds.
const memoryQueue = 4096

// MemoryN6 is an in-process N6 device of one queue: tests inject
// downlink packets and read the uplink packets the UPF wrote. No root
// needed.
type MemoryN6 struct {
	down    chan []byte // injected, waiting for the UPF
	up      chan []byte // written by the UPF, waiting for the test
	sink    func(pkt []byte) bool
	dropped atomic.Uint64
	closed  chan struct{}
	once    sync.Once
}

// NewMemoryN6 returns an open memory device.
func NewMemoryN6() *MemoryN6 {
	m := &MemoryN6{down: make(chan []byte, memoryQueue), up: make(chan []byte, memoryQueue),
		closed: make(chan struct{})}
	m.sink = m.queueUp
	return m
}

// Name implements n6Device.
func (m *MemoryN6) Name() string { return "memory" }

// SetRoute implements n6Device: a memory device takes every packet.
func (m *MemoryN6) SetRoute(netip.Prefix, bool) error { return nil }

// Inject queues a downlink packet, as if the data network had routed it to
// the UPF. The UPF reads pkt later: do not modify it after the call.
func (m *MemoryN6) Inject(ctx context.Context, pkt []byte) error {
	select {
	case <-m.closed: // checked first: a select picks among ready cases at random
		return fmt.Errorf("memory n6: inject: %w", net.ErrClosed)
	default:
	}
	select {
	case m.down <- pkt:
		return nil
	case <-m.closed:
		return fmt.Errorf("memory n6: inject: %w", net.ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("memory n6: inject: %w", ctx.Err())
	}
}

// Uplink delivers copies of the packets the UPF sent toward the data
// network. When nobody reads, packets beyond its queue are dropped (as an
// interface would) and counted in Dropped.
func (m *MemoryN6) Uplink() <-chan []byte { return m.up }

// Dropped counts uplink packets lost because Uplink was not read, and
// injected packets too long to be IP packets.
func (m *MemoryN6) Dropped() uint64 { return m.dropped.Load() }

// Queues implements n6Device: the memory device has one queue.
func (m *MemoryN6) Queues() int { return 1 }

// Queue implements n6Device.
func (m *MemoryN6) Queue(int) n6Queue { return m }

// ReadBatch implements n6Queue. Packets longer than the room in a buffer
// are dropped and counted in Dropped, as no IP packet can be.
func (m *MemoryN6) ReadBatch(bufs [][]byte, sizes []int, off int) (int, error) {
	k := 0
	for k == 0 {
		select {
		case pkt := <-m.down:
			if m.take(pkt, bufs[0][off:], &sizes[0]) {
				k++
			}
		case <-m.closed:
			return 0, fmt.Errorf("memory n6: read: %w", net.ErrClosed)
		}
	}
	for k < len(bufs) {
		select {
		case pkt := <-m.down:
			if m.take(pkt, bufs[k][off:], &sizes[k]) {
				k++
			}
		default:
			return k, nil
		}
	}
	return k, nil
}

// take copies pkt into buf, or drops it if it does not fit.
func (m *MemoryN6) take(pkt, buf []byte, size *int) bool {
	if len(pkt) > len(buf) {
		m.dropped.Add(1)
		return false
	}
	*size = copy(buf, pkt)
	return true
}

// NewWriter implements n6Queue: the device itself, safe for any goroutine.
func (m *MemoryN6) NewWriter() n6Writer { return m }

// WritePacket implements n6Queue.
func (m *MemoryN6) WritePacket(pkt []byte) error {
	select {
	case <-m.closed:
		return fmt.Errorf("memory n6: write: %w", net.ErrClosed)
	default:
	}
	if !m.sink(pkt) {
		m.dropped.Add(1)
	}
	return nil
}

func (m *MemoryN6) queueUp(pkt []byte) bool {
	select {
	case m.up <- append([]byte(nil), pkt...):
		return true
	default:
		return false
	}
}

// Close implements n6Device; pending reads return.
func (m *MemoryN6) Close() error {
	m.once.Do(func() { close(m.closed) })
	return nil
}

// isClosed reports whether err means the device was closed.
func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
