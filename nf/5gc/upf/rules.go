package upf

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"

	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// rules are a session's rules as the SMF installed them.
type rules struct {
	pdrs map[uint16]pfcp.PDR
	fars map[uint32]pfcp.FAR
	qers map[uint32]pfcp.QER
	urrs map[uint32]pfcp.URR
}

func newRules() *rules {
	return &rules{pdrs: map[uint16]pfcp.PDR{}, fars: map[uint32]pfcp.FAR{},
		qers: map[uint32]pfcp.QER{}, urrs: map[uint32]pfcp.URR{}}
}

// clone copies the maps; the rule values are only ever replaced whole.
func (r *rules) clone() *rules {
	return &rules{pdrs: maps.Clone(r.pdrs), fars: maps.Clone(r.fars),
		qers: maps.Clone(r.qers), urrs: maps.Clone(r.urrs)}
}

// uplinkTEIDs are the local TEIDs the PDRs detect on.
func (r *rules) uplinkTEIDs() map[uint32]bool {
	out := map[uint32]bool{}
	for _, p := range r.pdrs {
		if f := p.PDI.LocalFTEID; f != nil && !f.Choose {
			out[f.TEID] = true
		}
	}
	return out
}

// ueAddrs are the UE addresses downlink PDRs detect on.
func (r *rules) ueAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, p := range r.pdrs {
		if isDownlink(&p.PDI) {
			out[p.PDI.UEIPAddress.IPv4] = true
		}
	}
	return out
}

func isUplink(p *pfcp.PDI) bool {
	return p.SourceInterface == pfcp.InterfaceAccess && p.LocalFTEID != nil
}

func isDownlink(p *pfcp.PDI) bool {
	return (p.SourceInterface == pfcp.InterfaceCore || p.SourceInterface == pfcp.InterfaceSGiLAN) &&
		p.UEIPAddress != nil && p.UEIPAddress.IPv4.Is4()
}

// farAction is what a compiled FAR does with a packet.
type farAction uint8

const (
	actDrop farAction = iota
	actForward
	actBuffer
)

// farRule is a FAR compiled for the data path.
type farRule struct {
	id      uint32
	action  farAction
	notify  bool // NOCP: tell the SMF when the first packet is buffered
	encap   bool // GTP-U toward peer/teid; else out of N6
	peer    netip.AddrPort
	teid    uint32
	pduType uint8 // of the PDU Session Container we add
}

// pdrRule is a PDR compiled for the data path, with its FAR inlined and
// its QERs and URRs resolved.
type pdrRule struct {
	id         uint16
	precedence uint32
	qfi        uint8 // QFI to match; 0: any
	qfiOut     uint8 // QFI of the G-PDUs we send
	far        farRule
	qers       []*qerState
	urrs       []*urrState
}

// ruleSet is what the data path reads: immutable, swapped whole.
type ruleSet struct {
	ul   map[uint32][]*pdrRule // by local TEID, best precedence first
	dl   []*pdrRule            // best precedence first
	byID map[uint16]*pdrRule
}

// matchUplink finds the PDR for a G-PDU on teid (qfi 0: no container).
func (rs *ruleSet) matchUplink(teid uint32, qfi uint8) *pdrRule {
	for _, p := range rs.ul[teid] {
		if p.qfi == 0 || p.qfi == qfi {
			return p
		}
	}
	return nil
}

// matchDownlink finds the PDR for a packet to the session's UE. Without
// SDF filters the best precedence always wins.
func (rs *ruleSet) matchDownlink() *pdrRule {
	if len(rs.dl) == 0 {
		return nil
	}
	return rs.dl[0]
}

// compile builds the data path's view of r.
// GTP-U peers listen on peerPort (gtpu.Port but in tests).
func compile(r *rules, qers map[uint32]*qerState, urrs map[uint32]*urrState, peerPort uint16) *ruleSet {
	rs := &ruleSet{ul: map[uint32][]*pdrRule{}, byID: make(map[uint16]*pdrRule, len(r.pdrs))}
	ids := slices.SortedFunc(maps.Keys(r.pdrs), func(a, b uint16) int {
		pa, pb := r.pdrs[a], r.pdrs[b]
		return cmp.Or(cmp.Compare(pa.Precedence, pb.Precedence), cmp.Compare(a, b))
	})
	for _, id := range ids {
		p := r.pdrs[id]
		far, ok := r.fars[p.FARID]
		c := &pdrRule{id: id, precedence: p.Precedence, qfi: p.PDI.QFI, qfiOut: p.PDI.QFI,
			far: compileFAR(far, ok, peerPort)}
		marked := false
		for _, qid := range p.QERIDs {
			c.qers = append(c.qers, qers[qid])
			if q := r.qers[qid]; q.QFI != 0 && !marked {
				c.qfiOut, marked = q.QFI, true // the first QER with a QFI marks the flow
			}
		}
		for _, uid := range p.URRIDs {
			c.urrs = append(c.urrs, urrs[uid])
		}
		rs.byID[id] = c
		switch {
		case isUplink(&p.PDI):
			teid := p.PDI.LocalFTEID.TEID
			rs.ul[teid] = append(rs.ul[teid], c)
		case isDownlink(&p.PDI):
			rs.dl = append(rs.dl, c)
		}
	}
	return rs
}

func compileFAR(f pfcp.FAR, ok bool, peerPort uint16) farRule {
	fr := farRule{id: f.ID, action: actDrop}
	switch {
	case !ok || f.ApplyAction&pfcp.ActionDrop != 0:
	case f.ApplyAction&pfcp.ActionForward != 0:
		fwd := f.Forwarding
		switch {
		case fwd != nil && fwd.OuterHeaderCreation != nil:
			ohc := fwd.OuterHeaderCreation
			fr.action, fr.encap = actForward, true
			fr.peer = netip.AddrPortFrom(ohc.IPv4, peerPort)
			fr.teid = ohc.TEID
			fr.pduType = gtpu.PDUTypeUL // toward another UPF (N9)
			if fwd.DestinationInterface == pfcp.InterfaceAccess {
				fr.pduType = gtpu.PDUTypeDL
			}
		case fwd == nil || fwd.DestinationInterface == pfcp.InterfaceCore ||
			fwd.DestinationInterface == pfcp.InterfaceSGiLAN:
			fr.action = actForward // out of N6
		}
		// Toward the access side or the CP function without a tunnel:
		// nowhere to send, so drop.
	case f.ApplyAction&pfcp.ActionBuffer != 0:
		fr.action = actBuffer
		fr.notify = f.ApplyAction&pfcp.ActionNotifyCP != 0
	}
	return fr
}
