package upf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// n6Device is where uplink packets leave toward the data network and
// downlink packets come from: whole IP packets, no link header.
type n6Device interface {
	// ReadPacket blocks for the next downlink packet and copies it into
	// buf. After Close it returns an error wrapping net.ErrClosed.
	ReadPacket(buf []byte) (int, error)
	// WritePacket sends one uplink packet; pkt may be reused on return.
	WritePacket(pkt []byte) error
	Close() error
	Name() string
}

// memoryQueue is how many packets each direction of a MemoryN6 holds.
const memoryQueue = 4096

// MemoryN6 is an in-process N6 device: tests inject downlink packets and
// read the uplink packets the UPF wrote. No root needed.
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

// ReadPacket implements n6Device. Packets longer than buf are dropped
// and counted in Dropped, as no IP packet can be.
func (m *MemoryN6) ReadPacket(buf []byte) (int, error) {
	for {
		select {
		case pkt := <-m.down:
			if len(pkt) > len(buf) {
				m.dropped.Add(1)
				continue
			}
			return copy(buf, pkt), nil
		case <-m.closed:
			return 0, fmt.Errorf("memory n6: read: %w", net.ErrClosed)
		}
	}
}

// WritePacket implements n6Device.
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
