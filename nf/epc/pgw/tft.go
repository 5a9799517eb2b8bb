package pgw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// packetFilter is one TFT packet filter (TS 24.008 §10.5.6.12) built
// from an IPFilterRule: the PGW sends it to the UE in the TFT and matches
// downlink packets against it to pick the bearer.
type packetFilter struct {
	id         uint8 // 1..15
	precedence uint8
	remote     netip.Prefix // invalid: any
	local      netip.Prefix // invalid: any (or the UE's own address)
	proto      uint8        // 0: any
	remotePort portRange    // zero: any
	localPort  portRange
}

type portRange struct{ lo, hi uint16 }

func (r portRange) any() bool              { return r.lo == 0 && r.hi == 0 }
func (r portRange) has(p uint16) bool      { return r.any() || (p >= r.lo && p <= r.hi) }
func (r portRange) single() (uint16, bool) { return r.lo, r.lo == r.hi && r.lo != 0 }

var errFilter = errors.New("ip filter rule")

// parseFlow reads the subset of RFC 6733 §4.3.1 IPFilterRules that PCRFs
// send in Flow-Description (TS 29.212 §5.4.2): "permit out PROTO from
// REMOTE [PORTS] to LOCAL [PORTS]", where "out" means toward the UE, so
// the source is the remote (network) side and the destination the UE.
// PCRFs also write uplink flows with the UE as source ("permit in", or
// "permit out" from the UE's address): ue puts those the right way round.
func parseFlow(rule string, ue netip.Addr) (packetFilter, error) {
	f := strings.Fields(rule)
	if len(f) < 6 || f[0] != "permit" || (f[1] != "out" && f[1] != "in") {
		return packetFilter{}, fmt.Errorf("%w %q: want \"permit out PROTO from ADDR [PORTS] to ADDR [PORTS]\"", errFilter, rule)
	}
	var pf packetFilter
	if f[2] != "ip" {
		p, err := strconv.ParseUint(f[2], 10, 8)
		if err != nil {
			return packetFilter{}, fmt.Errorf("%w %q: protocol %q: want a number or ip", errFilter, rule, f[2])
		}
		pf.proto = uint8(p)
	}
	rest := f[3:]
	var err error
	if pf.remote, pf.remotePort, rest, err = parseEnd(rest, "from"); err != nil {
		return packetFilter{}, fmt.Errorf("%w %q: %v", errFilter, rule, err)
	}
	if pf.local, pf.localPort, rest, err = parseEnd(rest, "to"); err != nil {
		return packetFilter{}, fmt.Errorf("%w %q: %v", errFilter, rule, err)
	}
	if len(rest) > 0 {
		return packetFilter{}, fmt.Errorf("%w %q: options %q not supported", errFilter, rule, strings.Join(rest, " "))
	}
	if f[1] == "in" || isUE(pf.remote, ue) && !isUE(pf.local, ue) {
		pf.remote, pf.local = pf.local, pf.remote
		pf.remotePort, pf.localPort = pf.localPort, pf.remotePort
	}
	return pf, nil
}

// isUE reports whether p names exactly the UE's address.
func isUE(p netip.Prefix, ue netip.Addr) bool {
	return ue.IsValid() && p.IsValid() && p.IsSingleIP() && p.Addr() == ue
}

// parseEnd reads "from|to ADDR [PORTS]".
func parseEnd(f []string, word string) (netip.Prefix, portRange, []string, error) {
	if len(f) < 2 || f[0] != word {
		return netip.Prefix{}, portRange{}, nil, fmt.Errorf("want %q ADDR", word)
	}
	var p netip.Prefix
	switch a := f[1]; a {
	case "any", "assigned":
	default:
		var err error
		if strings.Contains(a, "/") {
			p, err = netip.ParsePrefix(a)
		} else {
			var addr netip.Addr
			if addr, err = netip.ParseAddr(a); err == nil {
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
		}
		if err != nil || !p.Addr().Is4() {
			return p, portRange{}, nil, fmt.Errorf("address %q: want IPv4, IPv4/len, any or assigned", a)
		}
		p = p.Masked()
	}
	f = f[2:]
	if len(f) == 0 || f[0] == "to" {
		return p, portRange{}, f, nil
	}
	r, err := parsePorts(f[0])
	if err != nil {
		return p, r, nil, err
	}
	return p, r, f[1:], nil
}

func parsePorts(s string) (portRange, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || a == 0 || b < a {
		return portRange{}, fmt.Errorf("ports %q: want N or N-M (1..65535)", s)
	}
	return portRange{lo: uint16(a), hi: uint16(b)}, nil
}

// filtersOf builds a rule's packet filters for the UE ue, numbered from
// firstID. Flows that come out the same (one per direction, say) become
// one bidirectional filter.
func filtersOf(r Rule, firstID uint8, ue netip.Addr) ([]packetFilter, error) {
	if len(r.Flows) == 0 {
		return nil, fmt.Errorf("rule %q: no flows", r.Name)
	}
	out := make([]packetFilter, 0, len(r.Flows))
	for _, fl := range r.Flows {
		pf, err := parseFlow(fl, ue)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
		pf.precedence = r.Precedence
		if slices.Contains(out, pf) {
			continue
		}
		out = append(out, pf)
	}
	if int(firstID)+len(out)-1 > 15 {
		return nil, fmt.Errorf("rule %q: %d flows, at most 15 packet filters per bearer", r.Name, len(out))
	}
	for i := range out {
		out[i].id = firstID + uint8(i)
	}
	return out, nil
}

// tftIE is the Bearer TFT "create new TFT" with the filters, each
// bidirectional: the UE applies them uplink with the ends swapped.
func tftIE(pfs []packetFilter) *ie.IE {
	filters := make([]*ie.TFTPacketFilter, 0, len(pfs))
	for _, pf := range pfs {
		filters = append(filters, ie.NewTFTPacketFilter(ie.TFTPFBidirectional, pf.id, pf.precedence, pf.components()...))
	}
	return ie.NewBearerTFTCreateNewTFT(filters, nil)
}

func (pf packetFilter) components() []*ie.TFTPFComponent {
	var cs []*ie.TFTPFComponent
	if pf.remote.IsValid() {
		a := pf.remote.Addr().As4()
		cs = append(cs, ie.NewTFTPFComponentIPv4RemoteAddress(net.IP(a[:]), net.CIDRMask(pf.remote.Bits(), 32)))
	}
	if pf.local.IsValid() {
		a := pf.local.Addr().As4()
		cs = append(cs, ie.NewTFTPFComponentIPv4LocalAddress(net.IP(a[:]), net.CIDRMask(pf.local.Bits(), 32)))
	}
	if pf.proto != 0 {
		cs = append(cs, ie.NewTFTPFComponentProtocolIdentifierNextHeader(pf.proto))
	}
	cs = append(cs, portComponent(pf.localPort, ie.NewTFTPFComponentSingleLocalPort, ie.NewTFTPFComponentLocalPortRange)...)
	cs = append(cs, portComponent(pf.remotePort, ie.NewTFTPFComponentSingleRemotePort, ie.NewTFTPFComponentRemotePortRange)...)
	return cs
}

func portComponent(r portRange, single func(uint16) *ie.TFTPFComponent,
	span func(uint16, uint16) *ie.TFTPFComponent) []*ie.TFTPFComponent {
	if r.any() {
		return nil
	}
	if p, ok := r.single(); ok {
		return []*ie.TFTPFComponent{single(p)}
	}
	return []*ie.TFTPFComponent{span(r.lo, r.hi)}
}

// matchDownlink reports whether the IPv4 packet pkt (toward the UE)
// matches: its source is the remote end, its destination the UE.
func (pf *packetFilter) matchDownlink(pkt []byte) bool {
	src := netip.AddrFrom4([4]byte(pkt[12:16]))
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	if pf.remote.IsValid() && !pf.remote.Contains(src) {
		return false
	}
	if pf.local.IsValid() && !pf.local.Contains(dst) {
		return false
	}
	proto := pkt[9]
	if pf.proto != 0 && pf.proto != proto {
		return false
	}
	if pf.remotePort.any() && pf.localPort.any() {
		return true
	}
	sport, dport, ok := ports(pkt, proto)
	return ok && pf.remotePort.has(sport) && pf.localPort.has(dport)
}

// ports reads the transport ports of an unfragmented TCP, UDP or SCTP
// IPv4 packet (validated by isIPv4).
func ports(pkt []byte, proto uint8) (src, dst uint16, ok bool) {
	if proto != 6 && proto != 17 && proto != 132 {
		return 0, 0, false
	}
	if binary.BigEndian.Uint16(pkt[6:8])&0x1fff != 0 {
		return 0, 0, false // a later fragment has no transport header
	}
	ihl := int(pkt[0]&0x0f) * 4
	if len(pkt) < ihl+4 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(pkt[ihl:]), binary.BigEndian.Uint16(pkt[ihl+2:]), true
}
