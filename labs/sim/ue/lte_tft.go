package ue

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/corebox/corebox/nf/proto/naseps"
)

// ulFilter is one uplink packet filter and the bearer it steers to.
type ulFilter struct {
	ebi uint8
	f   naseps.PacketFilter
}

// ulFilterSet is the uplink packet filters of every dedicated bearer, by
// linked default bearer, in evaluation order (lowest precedence value
// first, TS 23.060 15.3.3.4). It is rebuilt on every change and never
// modified, so the data plane reads it without a lock.
type ulFilterSet struct {
	byLinked map[uint8][]ulFilter
}

// rebuildFilters publishes the dedicated bearers' uplink filters.
func (e *epsUE) rebuildFilters() {
	set := &ulFilterSet{byLinked: map[uint8][]ulFilter{}}
	for _, b := range e.bearers {
		if !b.dedicated() {
			continue
		}
		for _, f := range b.filters {
			if f.Direction == naseps.FilterUplink || f.Direction == naseps.FilterBidirectional {
				set.byLinked[b.linked] = append(set.byLinked[b.linked], ulFilter{ebi: b.ebi, f: f})
			}
		}
	}
	for k, l := range set.byLinked {
		slices.SortStableFunc(l, func(a, b ulFilter) int { return int(a.f.Precedence) - int(b.f.Precedence) })
		set.byLinked[k] = l
	}
	e.ulFilters.Store(set)
}

// uplinkEBI is the bearer an uplink packet of the PDN connection whose
// default bearer is linked goes on: the first dedicated bearer with a
// matching filter, else the default bearer (TS 24.301 6.4.2, TS 23.401
// 5.4.1: packets matching no filter use the bearer without a TFT).
func (e *epsUE) uplinkEBI(linked uint8, pkt []byte) uint8 {
	set := e.ulFilters.Load()
	if set == nil || len(set.byLinked[linked]) == 0 {
		return linked
	}
	p, ok := parseFields(pkt)
	if !ok {
		return linked
	}
	for _, uf := range set.byLinked[linked] {
		if p.matches(&uf.f) {
			return uf.ebi
		}
	}
	return linked
}

// pktFields is what packet filters look at in an IPv4 packet.
type pktFields struct {
	src, dst         netip.Addr
	proto, tos       uint8
	srcPort, dstPort uint16
	hasPorts         bool
	spi              uint32
	hasSPI           bool
}

const (
	ipProtoTCP = 6
	ipProtoUDP = 17
	ipProtoESP = 50
)

// parseFields reads an IPv4 header and, in a first fragment, the ports
// (TCP, UDP) or the SPI (ESP).
func parseFields(pkt []byte) (pktFields, bool) {
	if len(pkt) < 20 || pkt[0]>>4 != 4 {
		return pktFields{}, false
	}
	ihl := int(pkt[0]&0x0F) * 4
	if ihl < 20 || len(pkt) < ihl {
		return pktFields{}, false
	}
	p := pktFields{src: netip.AddrFrom4([4]byte(pkt[12:16])), dst: netip.AddrFrom4([4]byte(pkt[16:20])),
		proto: pkt[9], tos: pkt[1]}
	l4 := pkt[ihl:]
	if binary.BigEndian.Uint16(pkt[6:])&0x1FFF != 0 {
		return p, true // a later fragment carries no transport header
	}
	switch {
	case (p.proto == ipProtoTCP || p.proto == ipProtoUDP) && len(l4) >= 4:
		p.srcPort, p.dstPort, p.hasPorts = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]), true
	case p.proto == ipProtoESP && len(l4) >= 4:
		p.spi, p.hasSPI = binary.BigEndian.Uint32(l4), true
	}
	return p, true
}

// matches applies a packet filter to an uplink packet: the remote side is
// the destination. Every component present must match (TS 23.060 15.3.2).
func (p pktFields) matches(f *naseps.PacketFilter) bool {
	if f.RemoteAddress.IsValid() && !(f.RemoteAddress.Addr().Is4() && f.RemoteAddress.Contains(p.dst)) {
		return false
	}
	if f.LocalAddress.IsValid() && !(f.LocalAddress.Addr().Is4() && f.LocalAddress.Contains(p.src)) {
		return false
	}
	if f.Protocol != nil && *f.Protocol != p.proto {
		return false
	}
	if !portIn(f.LocalPorts, p.srcPort, p.hasPorts) || !portIn(f.RemotePorts, p.dstPort, p.hasPorts) {
		return false
	}
	if f.SPI != nil && (!p.hasSPI || *f.SPI != p.spi) {
		return false
	}
	if f.TrafficClass != nil && p.tos&f.TrafficClass.Mask != f.TrafficClass.Value&f.TrafficClass.Mask {
		return false
	}
	return f.FlowLabel == nil // IPv4 has no flow label
}

func portIn(r *naseps.PortRange, port uint16, has bool) bool {
	return r == nil || has && port >= r.Low && port <= r.High
}

func sortedFilters(fs []naseps.PacketFilter) []naseps.PacketFilter {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b naseps.PacketFilter) int { return int(a.Precedence) - int(b.Precedence) })
	return out
}

var directionNames = map[naseps.FilterDirection]string{naseps.FilterPreRel7: "pre-rel7",
	naseps.FilterDownlink: "down", naseps.FilterUplink: "up", naseps.FilterBidirectional: "both"}

// filterString describes a packet filter for the control API.
func filterString(f naseps.PacketFilter) string {
	parts := []string{fmt.Sprintf("id %d prec %d %s", f.ID, f.Precedence, directionNames[f.Direction])}
	if f.Protocol != nil {
		parts = append(parts, fmt.Sprintf("proto %d", *f.Protocol))
	}
	if f.RemoteAddress.IsValid() {
		parts = append(parts, "remote "+f.RemoteAddress.String())
	}
	if f.LocalAddress.IsValid() {
		parts = append(parts, "local "+f.LocalAddress.String())
	}
	for _, pr := range []struct {
		name string
		r    *naseps.PortRange
	}{{"lport", f.LocalPorts}, {"rport", f.RemotePorts}} {
		switch {
		case pr.r == nil:
		case pr.r.Low == pr.r.High:
			parts = append(parts, fmt.Sprintf("%s %d", pr.name, pr.r.Low))
		default:
			parts = append(parts, fmt.Sprintf("%s %d-%d", pr.name, pr.r.Low, pr.r.High))
		}
	}
	if f.SPI != nil {
		parts = append(parts, fmt.Sprintf("spi %#x", *f.SPI))
	}
	if f.TrafficClass != nil {
		parts = append(parts, fmt.Sprintf("tos %#x/%#x", f.TrafficClass.Value, f.TrafficClass.Mask))
	}
	if f.FlowLabel != nil {
		parts = append(parts, fmt.Sprintf("flow %#x", *f.FlowLabel))
	}
	return strings.Join(parts, " ")
}
