package n2

import (
	"errors"
	"fmt"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"
)

// The PDU session transfer IEs are octet strings holding their own APER
// encoding (TS 38.413 9.3.4); each type here encodes to, and decodes from,
// those octets.

// NGAP PDU session types (TS 38.413 9.3.1.52): the enumeration index, which
// is not the NAS value.
const (
	SessionTypeIPv4         uint8 = 0
	SessionTypeIPv6         uint8 = 1
	SessionTypeIPv4v6       uint8 = 2
	SessionTypeEthernet     uint8 = 3
	SessionTypeUnstructured uint8 = 4
)

// ARP is an allocation and retention priority.
type ARP struct {
	Level                uint8 // 1 (highest) to 15
	MayTriggerPreemption bool
	Preemptable          bool
}

// QoSFlowRequest is a QoS flow to set up with a standardized (non-dynamic)
// 5QI.
type QoSFlowRequest struct {
	QFI    uint8
	FiveQI uint8
	ARP    ARP
}

// SetupRequestTransfer is the PDU Session Resource Setup Request Transfer
// (TS 38.413 9.3.4.1): session AMBR, the UPF's N3 tunnel, session type and
// flows.
type SetupRequestTransfer struct {
	SessionAMBR    AMBR
	ULTunnel       GTPTunnel
	PDUSessionType uint8
	QoSFlows       []QoSFlowRequest
}

func (t *SetupRequestTransfer) Encode() ([]byte, error) {
	tunnel, err := tunnelToIE(t.ULTunnel)
	if err != nil {
		return nil, err
	}
	if len(t.QoSFlows) == 0 || len(t.QoSFlows) > 64 {
		return nil, fmt.Errorf("n2: %d QoS flows, want 1 to 64", len(t.QoSFlows))
	}
	if t.PDUSessionType > SessionTypeUnstructured {
		return nil, fmt.Errorf("n2: PDU session type %d", t.PDUSessionType)
	}
	if err := checkBitRate(t.SessionAMBR); err != nil {
		return nil, err
	}
	flows := &ie.QosFlowSetupRequestList{}
	for _, f := range t.QoSFlows {
		item, err := flowToIE(f)
		if err != nil {
			return nil, err
		}
		flows.List = append(flows.List, item)
	}
	x := &ie.PDUSessionResourceSetupRequestTransfer{
		ProtocolIEs: &ie.ProtocolIEContainerPDUSessionResourceSetupRequestTransferIEs{
			List: []ie.PDUSessionResourceSetupRequestTransferIEs{
				{PDUSessionAggregateMaximumBitRate: &ie.PDUSessionAggregateMaximumBitRate{
					PDUSessionAggregateMaximumBitRateDL: &ie.BitRate{Value: int64(t.SessionAMBR.Downlink)},
					PDUSessionAggregateMaximumBitRateUL: &ie.BitRate{Value: int64(t.SessionAMBR.Uplink)},
				}},
				{ULNGUUPTNLInformation: tunnel},
				{PDUSessionType: &ie.PDUSessionType{Value: aper.Enumerated(t.PDUSessionType)}},
				{QosFlowSetupRequestList: flows},
			},
		},
	}
	return marshalIE(x)
}

func flowToIE(f QoSFlowRequest) (ie.QosFlowSetupRequestItem, error) {
	if f.QFI > 63 || f.ARP.Level < 1 || f.ARP.Level > 15 {
		return ie.QosFlowSetupRequestItem{}, fmt.Errorf("n2: QFI %d or ARP level %d out of range", f.QFI, f.ARP.Level)
	}
	return ie.QosFlowSetupRequestItem{
		QosFlowIdentifier: &ie.QosFlowIdentifier{Value: int64(f.QFI)},
		QosFlowLevelQosParameters: &ie.QosFlowLevelQosParameters{
			QosCharacteristics: &ie.QosCharacteristics{Choice: &ie.NonDynamic5QIDescriptor{
				FiveQI: &ie.FiveQI{Value: int64(f.FiveQI)},
			}},
			AllocationAndRetentionPriority: &ie.AllocationAndRetentionPriority{
				PriorityLevelARP:        &ie.PriorityLevelARP{Value: int64(f.ARP.Level)},
				PreEmptionCapability:    &ie.PreEmptionCapability{Value: enumBool(f.ARP.MayTriggerPreemption)},
				PreEmptionVulnerability: &ie.PreEmptionVulnerability{Value: enumBool(f.ARP.Preemptable)},
			},
		},
	}, nil
}

func enumBool(b bool) aper.Enumerated {
	if b {
		return 1
	}
	return 0
}

// maxBitRate is the upper bound of the NGAP BitRate type.
const maxBitRate = 4_000_000_000_000

func checkBitRate(a AMBR) error {
	if a.Uplink > maxBitRate || a.Downlink > maxBitRate {
		return fmt.Errorf("n2: bit rate over %d", uint64(maxBitRate))
	}
	return nil
}

// DecodeSetupRequestTransfer decodes a PDU Session Resource Setup Request
// Transfer.
func DecodeSetupRequestTransfer(b []byte) (*SetupRequestTransfer, error) {
	x := &ie.PDUSessionResourceSetupRequestTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	if x.ProtocolIEs == nil {
		return nil, fmt.Errorf("%w: empty setup request transfer", ErrMalformed)
	}
	t := &SetupRequestTransfer{}
	var have [4]bool
	for _, f := range x.ProtocolIEs.List {
		var err error
		switch {
		case f.PDUSessionAggregateMaximumBitRate != nil:
			a := f.PDUSessionAggregateMaximumBitRate
			if a.PDUSessionAggregateMaximumBitRateDL == nil || a.PDUSessionAggregateMaximumBitRateUL == nil {
				err = fmt.Errorf("incomplete session AMBR")
			} else {
				t.SessionAMBR = AMBR{Uplink: uint64(a.PDUSessionAggregateMaximumBitRateUL.Value),
					Downlink: uint64(a.PDUSessionAggregateMaximumBitRateDL.Value)}
			}
			have[0] = true
		case f.ULNGUUPTNLInformation != nil:
			t.ULTunnel, err = tunnelFromIE(f.ULNGUUPTNLInformation)
			have[1] = true
		case f.PDUSessionType != nil:
			t.PDUSessionType = uint8(f.PDUSessionType.Value)
			have[2] = true
		case f.QosFlowSetupRequestList != nil:
			t.QoSFlows, err = flowsFromIE(f.QosFlowSetupRequestList)
			have[3] = true
		}
		if err != nil {
			return nil, fmt.Errorf("%w: setup request transfer: %w", ErrMalformed, err)
		}
	}
	if have != [4]bool{true, true, true, true} {
		return nil, fmt.Errorf("%w: setup request transfer lacks a mandatory IE", ErrMalformed)
	}
	return t, nil
}

func flowsFromIE(l *ie.QosFlowSetupRequestList) ([]QoSFlowRequest, error) {
	var out []QoSFlowRequest
	for _, it := range l.List {
		p := it.QosFlowLevelQosParameters
		if it.QosFlowIdentifier == nil || p == nil || p.QosCharacteristics == nil || p.AllocationAndRetentionPriority == nil {
			return nil, fmt.Errorf("incomplete QoS flow")
		}
		nd, ok := p.QosCharacteristics.Choice.(*ie.NonDynamic5QIDescriptor)
		if !ok || nd.FiveQI == nil {
			return nil, fmt.Errorf("%w: QoS flow %d is not a non-dynamic 5QI", ErrUnsupported, it.QosFlowIdentifier.Value)
		}
		arp := p.AllocationAndRetentionPriority
		if arp.PriorityLevelARP == nil || arp.PreEmptionCapability == nil || arp.PreEmptionVulnerability == nil {
			return nil, fmt.Errorf("incomplete ARP")
		}
		out = append(out, QoSFlowRequest{
			QFI:    uint8(it.QosFlowIdentifier.Value),
			FiveQI: uint8(nd.FiveQI.Value),
			ARP: ARP{Level: uint8(arp.PriorityLevelARP.Value), MayTriggerPreemption: arp.PreEmptionCapability.Value == 1,
				Preemptable: arp.PreEmptionVulnerability.Value == 1},
		})
	}
	return out, nil
}

// SetupResponseTransfer is the PDU Session Resource Setup Response
// Transfer (TS 38.413 9.3.4.2): the gNB's N3 tunnel and the QoS flows
// carried on it.
type SetupResponseTransfer struct {
	DLTunnel GTPTunnel
	QFIs     []uint8
}

func (t *SetupResponseTransfer) Encode() ([]byte, error) {
	tunnel, err := tunnelToIE(t.DLTunnel)
	if err != nil {
		return nil, err
	}
	if len(t.QFIs) == 0 || len(t.QFIs) > 64 {
		return nil, fmt.Errorf("n2: %d associated QoS flows, want 1 to 64", len(t.QFIs))
	}
	flows := &ie.AssociatedQosFlowList{}
	for _, q := range t.QFIs {
		if q > 63 {
			return nil, fmt.Errorf("n2: QFI %d", q)
		}
		flows.List = append(flows.List, ie.AssociatedQosFlowItem{QosFlowIdentifier: &ie.QosFlowIdentifier{Value: int64(q)}})
	}
	return marshalIE(&ie.PDUSessionResourceSetupResponseTransfer{
		DLQosFlowPerTNLInformation: &ie.QosFlowPerTNLInformation{UPTransportLayerInformation: tunnel, AssociatedQosFlowList: flows},
	})
}

// DecodeSetupResponseTransfer decodes a PDU Session Resource Setup
// Response Transfer.
func DecodeSetupResponseTransfer(b []byte) (*SetupResponseTransfer, error) {
	x := &ie.PDUSessionResourceSetupResponseTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	info := x.DLQosFlowPerTNLInformation
	if info == nil || info.AssociatedQosFlowList == nil {
		return nil, fmt.Errorf("%w: setup response transfer lacks DL QoS flow per TNL information", ErrMalformed)
	}
	tunnel, err := tunnelFromIE(info.UPTransportLayerInformation)
	if err != nil {
		return nil, fmt.Errorf("%w: setup response transfer: %w", ErrMalformed, err)
	}
	t := &SetupResponseTransfer{DLTunnel: tunnel}
	for _, it := range info.AssociatedQosFlowList.List {
		if it.QosFlowIdentifier == nil {
			return nil, fmt.Errorf("%w: associated QoS flow without QFI", ErrMalformed)
		}
		t.QFIs = append(t.QFIs, uint8(it.QosFlowIdentifier.Value))
	}
	return t, nil
}

// SetupUnsuccessfulTransfer is the PDU Session Resource Setup Unsuccessful
// Transfer (TS 38.413 9.3.4.16).
type SetupUnsuccessfulTransfer struct {
	Cause Cause
}

func (t *SetupUnsuccessfulTransfer) Encode() ([]byte, error) {
	c, err := causeToIE(t.Cause)
	if err != nil {
		return nil, err
	}
	return marshalIE(&ie.PDUSessionResourceSetupUnsuccessfulTransfer{Cause: c})
}

// DecodeSetupUnsuccessfulTransfer decodes a PDU Session Resource Setup
// Unsuccessful Transfer.
func DecodeSetupUnsuccessfulTransfer(b []byte) (*SetupUnsuccessfulTransfer, error) {
	x := &ie.PDUSessionResourceSetupUnsuccessfulTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	c, err := causeFromIE(x.Cause)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &SetupUnsuccessfulTransfer{Cause: c}, nil
}

// ReleaseCommandTransfer is the PDU Session Resource Release Command
// Transfer (TS 38.413 9.3.4.12).
type ReleaseCommandTransfer struct {
	Cause Cause
}

func (t *ReleaseCommandTransfer) Encode() ([]byte, error) {
	c, err := causeToIE(t.Cause)
	if err != nil {
		return nil, err
	}
	return marshalIE(&ie.PDUSessionResourceReleaseCommandTransfer{Cause: c})
}

// DecodeReleaseCommandTransfer decodes a PDU Session Resource Release
// Command Transfer.
func DecodeReleaseCommandTransfer(b []byte) (*ReleaseCommandTransfer, error) {
	x := &ie.PDUSessionResourceReleaseCommandTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	c, err := causeFromIE(x.Cause)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &ReleaseCommandTransfer{Cause: c}, nil
}

// ReleaseResponseTransfer is the PDU Session Resource Release Response
// Transfer (TS 38.413 9.3.4.21); our gNB sends it empty.
type ReleaseResponseTransfer struct{}

func (*ReleaseResponseTransfer) Encode() ([]byte, error) {
	return marshalIE(&ie.PDUSessionResourceReleaseResponseTransfer{})
}

// DecodeReleaseResponseTransfer checks a PDU Session Resource Release
// Response Transfer decodes.
func DecodeReleaseResponseTransfer(b []byte) (*ReleaseResponseTransfer, error) {
	if err := unmarshalIE(b, &ie.PDUSessionResourceReleaseResponseTransfer{}); err != nil {
		return nil, err
	}
	return &ReleaseResponseTransfer{}, nil
}

type aperIE interface {
	Write(*aper.PerBitData) error
	Read(*aper.PerBitData) error
}

func marshalIE(x aperIE) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("n2: encode %T: panic: %v", x, p)
		}
	}()
	if b, err = ie.MarshalBinary(x); err != nil {
		return nil, fmt.Errorf("n2: encode %T: %w", x, err)
	}
	return b, nil
}

func unmarshalIE(b []byte, x aperIE) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty transfer", ErrMalformed)
	}
	err := guard(func() error { return ie.UnmarshalBinary(b, x) })
	if err != nil && !errors.Is(err, ErrDecoderPanic) {
		err = fmt.Errorf("%w: %T: %w", ErrMalformed, x, err)
	}
	return err
}
