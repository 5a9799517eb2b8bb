package gtpgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
)

// MemoryDevice is an in-process N6 device carrying whole IP packets;
// the UPF's *upf.MemoryN6 is one.
type MemoryDevice interface {
	// Inject hands the UPF a downlink packet, which it keeps.
	Inject(ctx context.Context, pkt []byte) error
	// Uplink delivers the packets the UPF sent toward the data network.
	Uplink() <-chan []byte
}

// memoryN6 is an N6Port over a MemoryDevice: it adds and strips the
// IPv4/UDP headers a kernel would. For tests, so it allocates freely.
type memoryN6 struct {
	dev    MemoryDevice
	local  netip.AddrPort
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	id     uint16
}

// NewMemoryN6 makes dev an N6Port whose own address is local: uplink
// packets to local are read, others ignored (a host would not see them).
func NewMemoryN6(dev MemoryDevice, local netip.AddrPort) N6Port {
	ctx, cancel := context.WithCancel(context.Background())
	return &memoryN6{dev: dev, local: local, ctx: ctx, cancel: cancel}
}

func (m *memoryN6) LocalAddr() netip.AddrPort { return m.local }

func (m *memoryN6) ReadBatch(dgs []Datagram) (int, error) {
	n := 0
	for n < len(dgs) {
		var pkt []byte
		if n == 0 {
			select {
			case pkt = <-m.dev.Uplink():
			case <-m.ctx.Done():
				return 0, fmt.Errorf("memory n6 read: %w", net.ErrClosed)
			}
		} else {
			select {
			case pkt = <-m.dev.Uplink():
			default:
				return n, nil
			}
		}
		u, err := ippkt.ParseUDP4(pkt)
		if err != nil || u.Dst != m.local {
			continue
		}
		dgs[n].N = copy(dgs[n].Buf[:cap(dgs[n].Buf)], u.Payload)
		dgs[n].Peer = u.Src
		n++
	}
	return n, nil
}

func (m *memoryN6) WriteBatch(dgs []Datagram) (int, error) {
	for i := range dgs {
		m.id++
		pkt, err := ippkt.AppendUDP4(nil, m.local, dgs[i].Peer, m.id, dgs[i].Buf[:dgs[i].N])
		if err != nil {
			return i, fmt.Errorf("memory n6 write: %w", err)
		}
		if err := m.dev.Inject(m.ctx, pkt); err != nil {
			return i, fmt.Errorf("memory n6 write: %w", err)
		}
	}
	return len(dgs), nil
}

func (m *memoryN6) Close() error {
	m.cancel()
	return nil
}
