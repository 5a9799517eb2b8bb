package s1ap

import (
	"fmt"
	"net/netip"
)

// GTPTunnel is a GTP-U endpoint: transport layer address and TEID. Addr
// is IPv4 or IPv6; a dual-stack endpoint sets Addr to its IPv4 address and
// IPv6 to its IPv6 one (the 160-bit form of TS 36.413 9.2.2.1).
type GTPTunnel struct {
	Addr netip.Addr
	IPv6 netip.Addr
	TEID uint32
}

func (w *writer) transportAddress(t GTPTunnel) {
	var b []byte
	switch {
	case t.Addr.Is4() && t.IPv6.Is6() && !t.IPv6.Is4In6():
		a4, a6 := t.Addr.As4(), t.IPv6.As16()
		b = append(a4[:], a6[:]...)
	case t.IPv6.IsValid():
		w.fail("tunnel IPv6 %v needs an IPv4 Addr beside it", t.IPv6)
		return
	case t.Addr.Is4():
		a := t.Addr.As4()
		b = a[:]
	case t.Addr.Is6() && !t.Addr.Is4In6():
		a := t.Addr.As16()
		b = a[:]
	default:
		w.fail("tunnel address %v", t.Addr)
		return
	}
	w.bits(b, 8*len(b), 1, 160, true)
}

func (r *reader) transportAddress() GTPTunnel {
	b, n := r.bits(1, 160, true)
	var t GTPTunnel
	if r.err != nil {
		return t
	}
	switch n {
	case 32:
		t.Addr = netip.AddrFrom4([4]byte(b[:4]))
	case 128:
		t.Addr = netip.AddrFrom16([16]byte(b[:16]))
	case 160:
		t.Addr = netip.AddrFrom4([4]byte(b[:4]))
		t.IPv6 = netip.AddrFrom16([16]byte(b[4:20]))
	default:
		r.fail("transport layer address of %d bits", n)
	}
	return t
}

func (w *writer) teid(v uint32) {
	w.octets([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}, 4, 4, false)
}

func (r *reader) teid() uint32 {
	b := r.octets(4, 4, false)
	if r.err != nil {
		return 0
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// MaxBitRate is the largest BitRate S1AP carries without its extended
// form: 10 Gbit/s.
const MaxBitRate = 10_000_000_000

func (w *writer) bitRate(v uint64) {
	if v > MaxBitRate {
		w.fail("bit rate %d over %d", v, uint64(MaxBitRate))
		return
	}
	w.integer(int64(v), 0, MaxBitRate, false)
}

func (r *reader) bitRate() uint64 { return uint64(r.integer(0, MaxBitRate, false)) }

// AMBR is an aggregate maximum bit rate in bit/s.
type AMBR struct {
	DL uint64
	UL uint64
}

func (w *writer) ambr(a AMBR) {
	w.seq(true, false)
	w.bitRate(a.DL)
	w.bitRate(a.UL)
}

func (r *reader) ambr() AMBR {
	h := r.seq(true, 1)
	a := AMBR{DL: r.bitRate(), UL: r.bitRate()}
	r.tail(h)
	return a
}

// ARP is the allocation and retention priority; PriorityLevel is 1
// (highest) to 14 (lowest), 15 for no priority.
type ARP struct {
	PriorityLevel        uint8
	MayTriggerPreemption bool
	Preemptable          bool
}

func (w *writer) arp(a ARP) {
	w.seq(true, false)
	w.integer(int64(a.PriorityLevel), 0, 15, false)
	w.enum(boolIndex(a.MayTriggerPreemption), 2, 0, false)
	w.enum(boolIndex(a.Preemptable), 2, 0, false)
}

func (r *reader) arp() ARP {
	h := r.seq(true, 1)
	a := ARP{PriorityLevel: uint8(r.integer(0, 15, false))}
	a.MayTriggerPreemption = r.enum(2, false) == 1
	a.Preemptable = r.enum(2, false) == 1
	r.tail(h)
	return a
}

func boolIndex(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// GBR is the bit rates of a GBR bearer, in bit/s.
type GBR struct {
	MaxDL, MaxUL               uint64
	GuaranteedDL, GuaranteedUL uint64
}

// QoS is the E-RAB level QoS parameters; GBR is set for GBR bearers.
type QoS struct {
	QCI uint8
	ARP ARP
	GBR *GBR
}

func (w *writer) qos(q QoS) {
	w.seq(true, q.GBR != nil, false)
	w.integer(int64(q.QCI), 0, 255, false)
	w.arp(q.ARP)
	if g := q.GBR; g != nil {
		w.seq(true, false)
		w.bitRate(g.MaxDL)
		w.bitRate(g.MaxUL)
		w.bitRate(g.GuaranteedDL)
		w.bitRate(g.GuaranteedUL)
	}
}

func (r *reader) qos() QoS {
	h := r.seq(true, 2)
	q := QoS{QCI: uint8(r.integer(0, 255, false)), ARP: r.arp()}
	if r.err == nil && h.present[0] {
		gh := r.seq(true, 1)
		q.GBR = &GBR{MaxDL: r.bitRate(), MaxUL: r.bitRate(), GuaranteedDL: r.bitRate(), GuaranteedUL: r.bitRate()}
		r.tail(gh)
	}
	r.tail(h)
	return q
}

// UESecurityCapabilities (TS 36.413 9.2.1.40): 16-bit maps whose first
// (most significant) bit is 128-EEA1/EIA1, then 2, then 3.
type UESecurityCapabilities struct {
	Encryption uint16
	Integrity  uint16
}

// Alg128Bit is the capability bit of algorithm 1, 2 or 3.
func Alg128Bit(alg uint8) uint16 { return 0x8000 >> (alg - 1) }

func (w *writer) securityCapabilities(c UESecurityCapabilities) {
	w.seq(true, false)
	w.bits([]byte{byte(c.Encryption >> 8), byte(c.Encryption)}, 16, 16, 16, true)
	w.bits([]byte{byte(c.Integrity >> 8), byte(c.Integrity)}, 16, 16, 16, true)
}

func (r *reader) securityCapabilities() UESecurityCapabilities {
	h := r.seq(true, 1)
	var c UESecurityCapabilities
	if b, _ := r.bits(16, 16, true); r.err == nil {
		c.Encryption = uint16(b[0])<<8 | uint16(b[1])
	}
	if b, _ := r.bits(16, 16, true); r.err == nil {
		c.Integrity = uint16(b[0])<<8 | uint16(b[1])
	}
	r.tail(h)
	return c
}

// maxERABID is the largest E-RAB ID (TS 36.413 9.2.1.2) in its root range.
const maxERABID = 15

func (w *writer) erabID(id uint8) { w.integer(int64(id), 0, maxERABID, true) }

func (r *reader) erabID() uint8 { return uint8(r.integer(0, maxERABID, true)) }

// nasPDU writes a NAS-PDU; NAS messages are never empty.
func nasPDU(b []byte) func(*writer) {
	return func(w *writer) {
		if len(b) == 0 {
			w.fail("empty NAS-PDU")
			return
		}
		w.octets(b, 0, unbounded, false)
	}
}

func (r *reader) nasPDU() []byte {
	b := r.octets(0, unbounded, false)
	if r.err == nil && len(b) == 0 {
		r.fail("empty NAS-PDU")
	}
	return b
}

// listOf writes a SEQUENCE (SIZE (1..256)) OF ProtocolIE-SingleContainer,
// the form of every E-RAB and TAI list, one item per element.
func listOf[T any](items []T, id uint16, crit criticality, item func(*writer, T)) func(*writer) {
	return func(w *writer) {
		w.seqOf(len(items), 1, 256)
		for _, it := range items {
			writeField(w, ieOut{id: id, crit: crit, fill: func(v *writer) { item(v, it) }})
		}
	}
}

// readList reads what listOf writes, insisting on the item id.
func readList[T any](r *reader, id uint16, item func(*reader) T) []T {
	fields := readFields(r, 1, 256, false)
	var out []T
	for _, f := range fields {
		if r.err != nil {
			break
		}
		if f.id != id {
			r.fail("list item %s, want %s", ieName(f.id), ieName(id))
			break
		}
		v := newReader(f.value)
		out = append(out, item(v))
		if v.err != nil {
			r.err = fmt.Errorf("%s: %w", ieName(id), v.err)
		}
	}
	return out
}
