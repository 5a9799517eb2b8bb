package pfcp

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/wmnsk/go-pfcp/ie"
)

// children returns a grouped IE's members.
func children(g *ie.IE) ([]*ie.IE, error) {
	kids, err := g.ValueAsGrouped()
	if err != nil {
		return nil, badIE(g.Type, err)
	}
	return kids, nil
}

func addr4(ip net.IP) (netip.Addr, error) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || !a.Unmap().Is4() {
		return netip.Addr{}, fmt.Errorf("not an IPv4 address: %v", ip)
	}
	return a.Unmap(), nil
}

func parseFTEID(x *ie.IE) (*FTEID, error) {
	f, err := x.FTEID()
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	if f.HasCh() {
		return &FTEID{Choose: true}, nil
	}
	if !f.HasIPv4() {
		return nil, badIE(x.Type, fmt.Errorf("F-TEID without IPv4 address (flags %#x)", f.Flags))
	}
	a, err := addr4(f.IPv4Address)
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	return &FTEID{TEID: f.TEID, IPv4: a}, nil
}

func parseUEIP(x *ie.IE) (*UEIPAddress, error) {
	f, err := x.UEIPAddress()
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	if f.Flags&ueipV4 == 0 {
		return nil, badIE(x.Type, fmt.Errorf("UE IP address without IPv4 (flags %#x)", f.Flags))
	}
	a, err := addr4(f.IPv4Address)
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	return &UEIPAddress{IPv4: a, Destination: f.Flags&ueipSD != 0}, nil
}

// leaf decoders that only add the IE type to go-pfcp's error.
func u8(x *ie.IE) (uint8, error) {
	v, err := x.ValueAsUint8()
	if err != nil {
		return 0, badIE(x.Type, err)
	}
	return v, nil
}

func u16(x *ie.IE) (uint16, error) {
	v, err := x.ValueAsUint16()
	if err != nil {
		return 0, badIE(x.Type, err)
	}
	return v, nil
}

func u32(x *ie.IE) (uint32, error) {
	v, err := x.ValueAsUint32()
	if err != nil {
		return 0, badIE(x.Type, err)
	}
	return v, nil
}

func parsePDI(g *ie.IE) (*PDI, error) {
	kids, err := children(g)
	if err != nil {
		return nil, err
	}
	var p PDI
	haveSource := false
	for _, x := range kids {
		switch x.Type {
		case ie.SourceInterface:
			v, err := u8(x)
			if err != nil {
				return nil, err
			}
			p.SourceInterface, haveSource = Interface(v&0x0f), true
		case ie.FTEID:
			if p.LocalFTEID, err = parseFTEID(x); err != nil {
				return nil, err
			}
		case ie.UEIPAddress:
			if p.UEIPAddress, err = parseUEIP(x); err != nil {
				return nil, err
			}
		case ie.NetworkInstance:
			p.NetworkInstance = string(x.Payload)
		case ie.QFI:
			v, err := u8(x)
			if err != nil {
				return nil, err
			}
			p.QFI = v & 0x3f
		}
	}
	if !haveSource {
		return nil, missingIE(ie.SourceInterface)
	}
	return &p, nil
}

func parseOHR(x *ie.IE) (*OuterHeaderRemoval, error) {
	d, err := x.OuterHeaderRemovalDescription()
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	ohr := OuterHeaderRemoval(d)
	return &ohr, nil
}

// pdrFields is what Create PDR and Update PDR share.
type pdrFields struct {
	id         uint16
	haveID     bool
	precedence *uint32
	pdi        *PDI
	ohr        *OuterHeaderRemoval
	farID      uint32
	qerIDs     []uint32
	urrIDs     []uint32
}

func parsePDRFields(g *ie.IE) (*pdrFields, error) {
	kids, err := children(g)
	if err != nil {
		return nil, err
	}
	var f pdrFields
	for _, x := range kids {
		switch x.Type {
		case ie.PDRID:
			f.id, err = u16(x)
			f.haveID = true
		case ie.Precedence:
			var v uint32
			v, err = u32(x)
			f.precedence = &v
		case ie.PDI:
			f.pdi, err = parsePDI(x)
		case ie.OuterHeaderRemoval:
			f.ohr, err = parseOHR(x)
		case ie.FARID:
			f.farID, err = u32(x)
		case ie.QERID:
			var v uint32
			v, err = u32(x)
			f.qerIDs = append(f.qerIDs, v)
		case ie.URRID:
			var v uint32
			v, err = u32(x)
			f.urrIDs = append(f.urrIDs, v)
		}
		if err != nil {
			return nil, err
		}
	}
	if !f.haveID {
		return nil, missingIE(ie.PDRID)
	}
	return &f, nil
}

// ParseCreatePDR decodes a Create PDR IE.
func ParseCreatePDR(g *ie.IE) (PDR, error) {
	f, err := parsePDRFields(g)
	if err != nil {
		return PDR{}, err
	}
	switch {
	case f.precedence == nil:
		return PDR{}, missingIE(ie.Precedence)
	case f.pdi == nil:
		return PDR{}, missingIE(ie.PDI)
	}
	return PDR{ID: f.id, Precedence: *f.precedence, PDI: *f.pdi, OuterHeaderRemoval: f.ohr,
		FARID: f.farID, QERIDs: f.qerIDs, URRIDs: f.urrIDs}, nil
}

// ParseUpdatePDR decodes an Update PDR IE.
func ParseUpdatePDR(g *ie.IE) (UpdatePDR, error) {
	f, err := parsePDRFields(g)
	if err != nil {
		return UpdatePDR{}, err
	}
	return UpdatePDR{ID: f.id, Precedence: f.precedence, PDI: f.pdi, OuterHeaderRemoval: f.ohr,
		FARID: f.farID, QERIDs: f.qerIDs, URRIDs: f.urrIDs}, nil
}

func parseApplyAction(x *ie.IE) (ApplyAction, error) {
	if len(x.Payload) < 1 {
		return 0, badIE(x.Type, fmt.Errorf("empty"))
	}
	a := ApplyAction(x.Payload[0])
	if len(x.Payload) > 1 {
		a |= ApplyAction(x.Payload[1]) << 8
	}
	return a, nil
}

func parseForwarding(g *ie.IE) (*ForwardingParameters, error) {
	kids, err := children(g)
	if err != nil {
		return nil, err
	}
	var f ForwardingParameters
	for _, x := range kids {
		switch x.Type {
		case ie.DestinationInterface:
			v, err := u8(x)
			if err != nil {
				return nil, err
			}
			f.DestinationInterface = Interface(v & 0x0f)
		case ie.NetworkInstance:
			f.NetworkInstance = string(x.Payload)
		case ie.OuterHeaderCreation:
			if f.OuterHeaderCreation, err = parseOHC(x); err != nil {
				return nil, err
			}
		}
	}
	return &f, nil
}

func parseOHC(x *ie.IE) (*OuterHeaderCreation, error) {
	o, err := x.OuterHeaderCreation()
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	if o.OuterHeaderCreationDescription != ohcGTPUIPv4 {
		return nil, badIE(x.Type, fmt.Errorf("outer header creation %#04x: only GTP-U/UDP/IPv4 is supported", o.OuterHeaderCreationDescription))
	}
	a, err := addr4(o.IPv4Address)
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	return &OuterHeaderCreation{TEID: o.TEID, IPv4: a}, nil
}

// parseFARFields reads what Create FAR and Update FAR share.
func parseFARFields(g *ie.IE, fwdType uint16) (id uint32, action ApplyAction, fwd *ForwardingParameters, err error) {
	kids, err := children(g)
	if err != nil {
		return 0, 0, nil, err
	}
	haveID := false
	for _, x := range kids {
		switch x.Type {
		case ie.FARID:
			id, err = u32(x)
			haveID = true
		case ie.ApplyAction:
			action, err = parseApplyAction(x)
		case fwdType:
			fwd, err = parseForwarding(x)
		}
		if err != nil {
			return 0, 0, nil, err
		}
	}
	if !haveID {
		return 0, 0, nil, missingIE(ie.FARID)
	}
	return id, action, fwd, nil
}

// ParseCreateFAR decodes a Create FAR IE.
func ParseCreateFAR(g *ie.IE) (FAR, error) {
	id, action, fwd, err := parseFARFields(g, ie.ForwardingParameters)
	if err != nil {
		return FAR{}, err
	}
	if action == 0 {
		return FAR{}, missingIE(ie.ApplyAction)
	}
	return FAR{ID: id, ApplyAction: action, Forwarding: fwd}, nil
}

// ParseUpdateFAR decodes an Update FAR IE.
func ParseUpdateFAR(g *ie.IE) (UpdateFAR, error) {
	id, action, fwd, err := parseFARFields(g, ie.UpdateForwardingParameters)
	if err != nil {
		return UpdateFAR{}, err
	}
	return UpdateFAR{ID: id, ApplyAction: action, Forwarding: fwd}, nil
}

func parseBitrate(x *ie.IE) (*Bitrate, error) {
	if len(x.Payload) < 10 {
		return nil, badIE(x.Type, fmt.Errorf("%d octets, want 10", len(x.Payload)))
	}
	return &Bitrate{UL: uint40(x.Payload[0:5]), DL: uint40(x.Payload[5:10])}, nil
}

func uint40(b []byte) uint64 {
	return uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
}

func parseQERFields(g *ie.IE) (u UpdateQER, err error) {
	kids, err := children(g)
	if err != nil {
		return u, err
	}
	haveID := false
	for _, x := range kids {
		switch x.Type {
		case ie.QERID:
			u.ID, err = u32(x)
			haveID = true
		case ie.QFI:
			var v uint8
			v, err = u8(x)
			u.QFI = v & 0x3f
		case ie.GateStatus:
			var v uint8
			v, err = u8(x)
			u.GateStatus = &GateStatus{UL: Gate(v >> 2 & 0x03), DL: Gate(v & 0x03)}
		case ie.MBR:
			u.MBR, err = parseBitrate(x)
		case ie.GBR:
			u.GBR, err = parseBitrate(x)
		}
		if err != nil {
			return u, err
		}
	}
	if !haveID {
		return u, missingIE(ie.QERID)
	}
	return u, nil
}

// ParseCreateQER decodes a Create QER IE.
func ParseCreateQER(g *ie.IE) (QER, error) {
	u, err := parseQERFields(g)
	if err != nil {
		return QER{}, err
	}
	if u.GateStatus == nil {
		return QER{}, missingIE(ie.GateStatus)
	}
	return QER{ID: u.ID, QFI: u.QFI, GateStatus: *u.GateStatus, MBR: u.MBR, GBR: u.GBR}, nil
}

// ParseUpdateQER decodes an Update QER IE.
func ParseUpdateQER(g *ie.IE) (UpdateQER, error) { return parseQERFields(g) }

func parseTriggers(x *ie.IE) (uint32, error) {
	if len(x.Payload) < 1 {
		return 0, badIE(x.Type, fmt.Errorf("empty"))
	}
	var v uint32
	for i, b := range x.Payload[:min(len(x.Payload), 3)] {
		v |= uint32(b) << (8 * i)
	}
	return v, nil
}

func parseVolumeThreshold(x *ie.IE) (*Volume, error) {
	f, err := x.VolumeThreshold()
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	return &Volume{Total: f.TotalVolume, Uplink: f.UplinkVolume, Downlink: f.DownlinkVolume}, nil
}

func parseURRFields(g *ie.IE) (u UpdateURR, err error) {
	kids, err := children(g)
	if err != nil {
		return u, err
	}
	haveID := false
	for _, x := range kids {
		switch x.Type {
		case ie.URRID:
			u.ID, err = u32(x)
			haveID = true
		case ie.MeasurementMethod:
			var v uint8
			v, err = u8(x)
			u.MeasurementMethod = MeasurementMethod(v & 0x07)
		case ie.ReportingTriggers:
			var v uint32
			v, err = parseTriggers(x)
			u.ReportingTriggers = ReportingTriggers(v)
		case ie.VolumeThreshold:
			u.VolumeThreshold, err = parseVolumeThreshold(x)
		}
		if err != nil {
			return u, err
		}
	}
	if !haveID {
		return u, missingIE(ie.URRID)
	}
	return u, nil
}

// ParseCreateURR decodes a Create URR IE.
func ParseCreateURR(g *ie.IE) (URR, error) {
	u, err := parseURRFields(g)
	if err != nil {
		return URR{}, err
	}
	if u.MeasurementMethod == 0 {
		return URR{}, missingIE(ie.MeasurementMethod)
	}
	return URR{ID: u.ID, MeasurementMethod: u.MeasurementMethod, ReportingTriggers: u.ReportingTriggers,
		VolumeThreshold: u.VolumeThreshold}, nil
}

// ParseUpdateURR decodes an Update URR IE.
func ParseUpdateURR(g *ie.IE) (UpdateURR, error) { return parseURRFields(g) }

// parseRemoveID decodes a Remove PDR/FAR/QER/URR IE: one ID of idType.
func parseRemoveID(g *ie.IE, idType uint16) (uint32, error) {
	kids, err := children(g)
	if err != nil {
		return 0, err
	}
	for _, x := range kids {
		if x.Type != idType {
			continue
		}
		if idType == ie.PDRID {
			v, err := u16(x)
			return uint32(v), err
		}
		return u32(x)
	}
	return 0, missingIE(idType)
}
