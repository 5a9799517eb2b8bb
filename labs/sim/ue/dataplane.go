package ue

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
)

// dataPlane carries the sessions' packets between programs (or the
// traffic step) and the radio.
type dataPlane interface {
	// run sets the plane up and serves it until ctx ends.
	run(ctx context.Context) error
	ready() bool
	// add makes a session address usable; remove undoes it.
	add(u *UE, session uint8, addr netip.Addr) error
	remove(addr netip.Addr)
	// setReady records whether the address's user plane is up.
	setReady(addr netip.Addr, up bool)
	// deliver takes a downlink packet from the radio.
	deliver(pkt []byte)
	// echo runs one UE's echo exchange from addr.
	echo(ctx context.Context, u *UE, session uint8, addr netip.Addr, p echoParams) (simapi.TrafficOutcome, error)
}

// route is where an address's uplink packets go.
type route struct {
	ue      *UE
	session uint8
	up      atomic.Bool
}

// routes maps session addresses to UEs.
type routes struct {
	mu sync.RWMutex
	m  map[netip.Addr]*route
}

func newRoutes() *routes { return &routes{m: map[netip.Addr]*route{}} }

func (r *routes) add(u *UE, session uint8, addr netip.Addr) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.m[addr]; old != nil && old.ue != u {
		return fmt.Errorf("address %s is already %s's", addr, old.ue.supi)
	}
	r.m[addr] = &route{ue: u, session: session}
	return nil
}

func (r *routes) remove(addr netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, addr)
}

func (r *routes) get(addr netip.Addr) *route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[addr]
}

func (r *routes) setReady(addr netip.Addr, up bool) {
	if rt := r.get(addr); rt != nil {
		rt.up.Store(up)
	}
}

// memoryPlane has no device: the traffic step builds IPv4/UDP packets and
// matches the replies itself.
type memoryPlane struct {
	sim *NF
	*routes
	mu       sync.Mutex
	waiters  map[netip.AddrPort]chan echoReply
	nextPort uint32
}

// Ports the memory plane sources echo requests from.
const (
	firstEchoPort = 20000
	echoPorts     = 40000
)

func newMemoryPlane(sim *NF) *memoryPlane {
	return &memoryPlane{sim: sim, routes: newRoutes(), waiters: map[netip.AddrPort]chan echoReply{}}
}

func (m *memoryPlane) run(ctx context.Context) error { <-ctx.Done(); return nil }
func (m *memoryPlane) ready() bool                   { return true }

func (m *memoryPlane) deliver(pkt []byte) {
	p, err := ippkt.ParseUDP4(pkt)
	if err != nil {
		m.sim.m.dropped.WithLabelValues("not_udp").Inc()
		return
	}
	m.mu.Lock()
	ch := m.waiters[p.Dst]
	m.mu.Unlock()
	if ch == nil {
		m.sim.m.dropped.WithLabelValues("no_listener").Inc()
		return
	}
	select {
	case ch <- echoReply{payload: append([]byte(nil), p.Payload...), at: time.Now()}:
	default:
		m.sim.m.dropped.WithLabelValues("queue_full").Inc()
	}
}

func (m *memoryPlane) echo(ctx context.Context, u *UE, session uint8, addr netip.Addr, p echoParams) (simapi.TrafficOutcome, error) {
	if !p.target.Addr().Is4() {
		return simapi.TrafficOutcome{}, errors.New("memory data plane: IPv4 targets only")
	}
	src, ch := m.listen(addr, p.count)
	defer m.unlisten(src)
	var ipID uint16
	send := func(payload []byte) error {
		ipID++
		pkt, err := ippkt.AppendUDP4(nil, src, p.target, ipID, payload)
		if err != nil {
			return err
		}
		return m.sim.uplink(u, session, pkt)
	}
	return measure(ctx, p, send, ch)
}

// listen picks a free source port on addr and registers its waiter.
func (m *memoryPlane) listen(addr netip.Addr, depth int) (netip.AddrPort, chan echoReply) {
	ch := make(chan echoReply, min(depth, 1024))
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		port := uint16(firstEchoPort + m.nextPort%echoPorts)
		m.nextPort++
		src := netip.AddrPortFrom(addr, port)
		if m.waiters[src] == nil {
			m.waiters[src] = ch
			return src, ch
		}
	}
}

func (m *memoryPlane) unlisten(src netip.AddrPort) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.waiters, src)
}
