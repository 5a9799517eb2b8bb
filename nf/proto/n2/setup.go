package n2

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// PagingDRX values (TS 38.413 9.3.1.90): the enumeration index.
const (
	PagingDRX32  uint8 = 0
	PagingDRX64  uint8 = 1
	PagingDRX128 uint8 = 2
	PagingDRX256 uint8 = 3
)

// BroadcastPLMN is a PLMN a TA is broadcast in, with its slices.
type BroadcastPLMN struct {
	PLMN   PLMN
	Slices []SNSSAI
}

// SupportedTA is one entry of the gNB's supported TA list.
type SupportedTA struct {
	TAC   uint32
	PLMNs []BroadcastPLMN
}

// NGSetupRequest (TS 38.413 9.2.6.1). RANNodeName is optional.
type NGSetupRequest struct {
	GlobalGNBID  GlobalGNBID
	RANNodeName  string
	SupportedTAs []SupportedTA
	PagingDRX    uint8
}

func (*NGSetupRequest) ProcedureCode() int64     { return ProcNGSetup }
func (*NGSetupRequest) MessageType() MessageType { return InitiatingMessage }

func (r *NGSetupRequest) Encode() ([]byte, error) {
	g := r.GlobalGNBID
	if g.IDBits < 22 || g.IDBits > 32 || (g.IDBits < 32 && g.ID>>g.IDBits != 0) {
		return nil, fmt.Errorf("n2: gNB ID %#x does not fit %d bits (22..32)", g.ID, g.IDBits)
	}
	p, err := plmnToIE(g.PLMN)
	if err != nil {
		return nil, err
	}
	tas, err := supportedTAsToIE(r.SupportedTAs)
	if err != nil {
		return nil, err
	}
	if r.PagingDRX > PagingDRX256 {
		return nil, fmt.Errorf("n2: paging DRX %d", r.PagingDRX)
	}
	m := &message.NGSetupRequest{
		GlobalRANNodeID: &ie.GlobalRANNodeID{Choice: &ie.GlobalGNBID{
			PLMNIdentity: p,
			GNBID:        &ie.GNBID{Choice: &ie.GNBIDForGNBID{Value: bitString(uint64(g.ID), int(g.IDBits))}},
		}},
		SupportedTAList:  tas,
		DefaultPagingDRX: &ie.PagingDRX{Value: aper.Enumerated(r.PagingDRX)},
	}
	if r.RANNodeName != "" {
		if len(r.RANNodeName) > 150 {
			return nil, fmt.Errorf("n2: RAN node name of %d characters", len(r.RANNodeName))
		}
		m.RANNodeName = &ie.RANNodeName{Value: aper.PrintableString(r.RANNodeName)}
	}
	return encode(m)
}

func supportedTAsToIE(tas []SupportedTA) (*ie.SupportedTAList, error) {
	if len(tas) == 0 {
		return nil, fmt.Errorf("n2: empty supported TA list")
	}
	out := &ie.SupportedTAList{}
	for _, ta := range tas {
		tac, err := tacToIE(ta.TAC)
		if err != nil {
			return nil, err
		}
		if len(ta.PLMNs) == 0 {
			return nil, fmt.Errorf("n2: TA %#x has no broadcast PLMN", ta.TAC)
		}
		item := ie.SupportedTAItem{TAC: tac, BroadcastPLMNList: &ie.BroadcastPLMNList{}}
		for _, bp := range ta.PLMNs {
			p, err := plmnToIE(bp.PLMN)
			if err != nil {
				return nil, err
			}
			slices, err := sliceListToIE(bp.Slices)
			if err != nil {
				return nil, err
			}
			item.BroadcastPLMNList.List = append(item.BroadcastPLMNList.List,
				ie.BroadcastPLMNItem{PLMNIdentity: p, TAISliceSupportList: slices})
		}
		out.List = append(out.List, item)
	}
	return out, nil
}

// ParseNGSetupRequest decodes an NG Setup Request.
func ParseNGSetupRequest(pdu []byte) (*NGSetupRequest, error) {
	return parseAs[*NGSetupRequest](pdu)
}

func ngSetupRequestFrom(m *message.NGSetupRequest) (Message, error) {
	if m.GlobalRANNodeID == nil || m.SupportedTAList == nil || m.DefaultPagingDRX == nil {
		return nil, fmt.Errorf("mandatory IE missing")
	}
	gnb, ok := m.GlobalRANNodeID.Choice.(*ie.GlobalGNBID)
	if !ok || gnb.GNBID == nil {
		return nil, fmt.Errorf("global RAN node ID %T is not a gNB", m.GlobalRANNodeID.Choice)
	}
	id, ok := gnb.GNBID.Choice.(*ie.GNBIDForGNBID)
	if !ok || id.Value.BitLength < 22 || id.Value.BitLength > 32 {
		return nil, fmt.Errorf("bad gNB ID")
	}
	v, err := fromBitString(id.Value, int(id.Value.BitLength))
	if err != nil {
		return nil, err
	}
	p, err := plmnFromIE(gnb.PLMNIdentity)
	if err != nil {
		return nil, err
	}
	r := &NGSetupRequest{
		GlobalGNBID: GlobalGNBID{PLMN: p, ID: uint32(v), IDBits: uint8(id.Value.BitLength)},
		PagingDRX:   uint8(m.DefaultPagingDRX.Value),
	}
	if m.RANNodeName != nil {
		r.RANNodeName = string(m.RANNodeName.Value)
	}
	for _, it := range m.SupportedTAList.List {
		tac, err := tacFromIE(it.TAC)
		if err != nil {
			return nil, err
		}
		if it.BroadcastPLMNList == nil {
			return nil, fmt.Errorf("TA without broadcast PLMN list")
		}
		ta := SupportedTA{TAC: tac}
		for _, bp := range it.BroadcastPLMNList.List {
			p, err := plmnFromIE(bp.PLMNIdentity)
			if err != nil {
				return nil, err
			}
			slices, err := sliceListFromIE(bp.TAISliceSupportList)
			if err != nil {
				return nil, err
			}
			ta.PLMNs = append(ta.PLMNs, BroadcastPLMN{PLMN: p, Slices: slices})
		}
		r.SupportedTAs = append(r.SupportedTAs, ta)
	}
	return r, nil
}

// PLMNSupport is a PLMN the AMF serves, with its slices.
type PLMNSupport struct {
	PLMN   PLMN
	Slices []SNSSAI
}

// NGSetupResponse (TS 38.413 9.2.6.2).
type NGSetupResponse struct {
	AMFName          string
	ServedGUAMIs     []GUAMI
	RelativeCapacity uint8
	PLMNSupport      []PLMNSupport
}

func (*NGSetupResponse) ProcedureCode() int64     { return ProcNGSetup }
func (*NGSetupResponse) MessageType() MessageType { return SuccessfulOutcome }

func (r *NGSetupResponse) Encode() ([]byte, error) {
	if r.AMFName == "" || len(r.AMFName) > 150 || len(r.ServedGUAMIs) == 0 || len(r.PLMNSupport) == 0 {
		return nil, fmt.Errorf("n2: NG Setup Response needs an AMF name, GUAMIs and PLMNs")
	}
	m := &message.NGSetupResponse{
		AMFName:             &ie.AMFName{Value: aper.PrintableString(r.AMFName)},
		ServedGUAMIList:     &ie.ServedGUAMIList{},
		RelativeAMFCapacity: &ie.RelativeAMFCapacity{Value: int64(r.RelativeCapacity)},
		PLMNSupportList:     &ie.PLMNSupportList{},
	}
	for _, g := range r.ServedGUAMIs {
		v, err := guamiToIE(g)
		if err != nil {
			return nil, err
		}
		m.ServedGUAMIList.List = append(m.ServedGUAMIList.List, ie.ServedGUAMIItem{GUAMI: v})
	}
	for _, ps := range r.PLMNSupport {
		p, err := plmnToIE(ps.PLMN)
		if err != nil {
			return nil, err
		}
		slices, err := sliceListToIE(ps.Slices)
		if err != nil {
			return nil, err
		}
		m.PLMNSupportList.List = append(m.PLMNSupportList.List, ie.PLMNSupportItem{PLMNIdentity: p, SliceSupportList: slices})
	}
	return encode(m)
}

// ParseNGSetupResponse decodes an NG Setup Response.
func ParseNGSetupResponse(pdu []byte) (*NGSetupResponse, error) {
	return parseAs[*NGSetupResponse](pdu)
}

func ngSetupResponseFrom(m *message.NGSetupResponse) (Message, error) {
	if m.AMFName == nil || m.ServedGUAMIList == nil || m.RelativeAMFCapacity == nil || m.PLMNSupportList == nil {
		return nil, fmt.Errorf("mandatory IE missing")
	}
	r := &NGSetupResponse{AMFName: string(m.AMFName.Value), RelativeCapacity: uint8(m.RelativeAMFCapacity.Value)}
	for _, it := range m.ServedGUAMIList.List {
		g, err := guamiFromIE(it.GUAMI)
		if err != nil {
			return nil, err
		}
		r.ServedGUAMIs = append(r.ServedGUAMIs, g)
	}
	for _, it := range m.PLMNSupportList.List {
		p, err := plmnFromIE(it.PLMNIdentity)
		if err != nil {
			return nil, err
		}
		slices, err := sliceListFromIE(it.SliceSupportList)
		if err != nil {
			return nil, err
		}
		r.PLMNSupport = append(r.PLMNSupport, PLMNSupport{PLMN: p, Slices: slices})
	}
	return r, nil
}

// timeToWait maps TimeToWait enumeration indexes to seconds.
var timeToWait = []uint8{1, 2, 5, 10, 20, 60}

// NGSetupFailure (TS 38.413 9.2.6.3). TimeToWait is in seconds, one of 1,
// 2, 5, 10, 20, 60; zero leaves it out.
type NGSetupFailure struct {
	Cause      Cause
	TimeToWait uint8
}

func (*NGSetupFailure) ProcedureCode() int64     { return ProcNGSetup }
func (*NGSetupFailure) MessageType() MessageType { return UnsuccessfulOutcome }

func (r *NGSetupFailure) Encode() ([]byte, error) {
	c, err := causeToIE(r.Cause)
	if err != nil {
		return nil, err
	}
	m := &message.NGSetupFailure{Cause: c}
	if r.TimeToWait != 0 {
		idx := -1
		for i, s := range timeToWait {
			if s == r.TimeToWait {
				idx = i
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("n2: time to wait %ds is not one of %v", r.TimeToWait, timeToWait)
		}
		m.TimeToWait = &ie.TimeToWait{Value: aper.Enumerated(idx)}
	}
	return encode(m)
}

// ParseNGSetupFailure decodes an NG Setup Failure.
func ParseNGSetupFailure(pdu []byte) (*NGSetupFailure, error) {
	return parseAs[*NGSetupFailure](pdu)
}

func ngSetupFailureFrom(m *message.NGSetupFailure) (Message, error) {
	c, err := causeFromIE(m.Cause)
	if err != nil {
		return nil, err
	}
	r := &NGSetupFailure{Cause: c}
	if m.TimeToWait != nil {
		if int(m.TimeToWait.Value) >= len(timeToWait) {
			return nil, fmt.Errorf("time to wait index %d", m.TimeToWait.Value)
		}
		r.TimeToWait = timeToWait[m.TimeToWait.Value]
	}
	return r, nil
}

func init() {
	register(&message.NGSetupRequest{}, ngSetupRequestFrom)
	register(&message.NGSetupResponse{}, ngSetupResponseFrom)
	register(&message.NGSetupFailure{}, ngSetupFailureFrom)
}
