package n2

import (
	"fmt"

	"github.com/free5gc/ngap/ie"
)

// ULTunnelModifyItem is one item of the UL NG-U UP TNL Modify List (TS
// 38.413 9.3.4.3): the uplink tunnel to use from now on, and the downlink
// tunnel of the gNB it pairs with (the one the gNB already gave).
type ULTunnelModifyItem struct {
	UL GTPTunnel // the (new) UPF N3 endpoint
	DL GTPTunnel // the gNB's N3 endpoint of the session
}

// maxULTunnelModify is the size bound of the UL NG-U UP TNL Modify List.
const maxULTunnelModify = 4

// ModifyRequestTransfer is the PDU Session Resource Modify Request
// Transfer (TS 38.413 9.3.4.3). We build it only to move a session's
// uplink to another UPF, so Encode wants one to four ULTunnelModify
// items; every IE of the transfer is optional in the spec, so Decode takes
// a transfer without the list (ULTunnelModify empty) and ignores the IEs
// it does not model.
type ModifyRequestTransfer struct {
	ULTunnelModify []ULTunnelModifyItem
}

func (t *ModifyRequestTransfer) Encode() ([]byte, error) {
	if len(t.ULTunnelModify) == 0 || len(t.ULTunnelModify) > maxULTunnelModify {
		return nil, fmt.Errorf("n2: %d UL NG-U UP TNL modify items, want 1 to %d", len(t.ULTunnelModify), maxULTunnelModify)
	}
	list := &ie.ULNGUUPTNLModifyList{}
	for _, m := range t.ULTunnelModify {
		ul, err := tunnelToIE(m.UL)
		if err != nil {
			return nil, err
		}
		dl, err := tunnelToIE(m.DL)
		if err != nil {
			return nil, err
		}
		list.List = append(list.List, ie.ULNGUUPTNLModifyItem{ULNGUUPTNLInformation: ul, DLNGUUPTNLInformation: dl})
	}
	return marshalIE(&ie.PDUSessionResourceModifyRequestTransfer{
		ProtocolIEs: &ie.ProtocolIEContainerPDUSessionResourceModifyRequestTransferIEs{
			List: []ie.PDUSessionResourceModifyRequestTransferIEs{{ULNGUUPTNLModifyList: list}},
		},
	})
}

// DecodeModifyRequestTransfer decodes a PDU Session Resource Modify
// Request Transfer.
func DecodeModifyRequestTransfer(b []byte) (*ModifyRequestTransfer, error) {
	x := &ie.PDUSessionResourceModifyRequestTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	if x.ProtocolIEs == nil {
		return nil, fmt.Errorf("%w: empty modify request transfer", ErrMalformed)
	}
	t := &ModifyRequestTransfer{}
	seen := false
	for _, f := range x.ProtocolIEs.List {
		if f.ULNGUUPTNLModifyList == nil {
			continue
		}
		if seen {
			return nil, fmt.Errorf("%w: modify request transfer repeats the UL NG-U UP TNL modify list", ErrMalformed)
		}
		seen = true
		list, err := tunnelModifyFromIE(f.ULNGUUPTNLModifyList)
		if err != nil {
			return nil, fmt.Errorf("%w: modify request transfer: %w", ErrMalformed, err)
		}
		t.ULTunnelModify = list
	}
	return t, nil
}

func tunnelModifyFromIE(l *ie.ULNGUUPTNLModifyList) ([]ULTunnelModifyItem, error) {
	if len(l.List) == 0 || len(l.List) > maxULTunnelModify {
		return nil, fmt.Errorf("%d UL NG-U UP TNL modify items", len(l.List))
	}
	out := make([]ULTunnelModifyItem, 0, len(l.List))
	for i, it := range l.List {
		ul, err := tunnelFromIE(it.ULNGUUPTNLInformation)
		if err != nil {
			return nil, fmt.Errorf("modify item %d UL: %w", i, err)
		}
		dl, err := tunnelFromIE(it.DLNGUUPTNLInformation)
		if err != nil {
			return nil, fmt.Errorf("modify item %d DL: %w", i, err)
		}
		out = append(out, ULTunnelModifyItem{UL: ul, DL: dl})
	}
	return out, nil
}

// ModifyResponseTransfer is the PDU Session Resource Modify Response
// Transfer (TS 38.413 9.3.4.4); both tunnels are optional (nil: absent).
// After an uplink move our gNB simulator names the downlink tunnel it
// keeps (DLTunnel) and leaves ULTunnel out.
type ModifyResponseTransfer struct {
	DLTunnel *GTPTunnel
	ULTunnel *GTPTunnel
}

func (t *ModifyResponseTransfer) Encode() ([]byte, error) {
	x := &ie.PDUSessionResourceModifyResponseTransfer{}
	var err error
	if t.DLTunnel != nil {
		if x.DLNGUUPTNLInformation, err = tunnelToIE(*t.DLTunnel); err != nil {
			return nil, err
		}
	}
	if t.ULTunnel != nil {
		if x.ULNGUUPTNLInformation, err = tunnelToIE(*t.ULTunnel); err != nil {
			return nil, err
		}
	}
	return marshalIE(x)
}

// DecodeModifyResponseTransfer decodes a PDU Session Resource Modify
// Response Transfer.
func DecodeModifyResponseTransfer(b []byte) (*ModifyResponseTransfer, error) {
	x := &ie.PDUSessionResourceModifyResponseTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	t := &ModifyResponseTransfer{}
	for _, f := range []struct {
		in  *ie.UPTransportLayerInformation
		out **GTPTunnel
		dir string
	}{{x.DLNGUUPTNLInformation, &t.DLTunnel, "DL"}, {x.ULNGUUPTNLInformation, &t.ULTunnel, "UL"}} {
		if f.in == nil {
			continue
		}
		tun, err := tunnelFromIE(f.in)
		if err != nil {
			return nil, fmt.Errorf("%w: modify response transfer %s: %w", ErrMalformed, f.dir, err)
		}
		*f.out = &tun
	}
	return t, nil
}

// ModifyUnsuccessfulTransfer is the PDU Session Resource Modify
// Unsuccessful Transfer (TS 38.413 9.3.4).
type ModifyUnsuccessfulTransfer struct {
	Cause Cause
}

func (t *ModifyUnsuccessfulTransfer) Encode() ([]byte, error) {
	c, err := causeToIE(t.Cause)
	if err != nil {
		return nil, err
	}
	return marshalIE(&ie.PDUSessionResourceModifyUnsuccessfulTransfer{Cause: c})
}

// DecodeModifyUnsuccessfulTransfer decodes a PDU Session Resource Modify
// Unsuccessful Transfer.
func DecodeModifyUnsuccessfulTransfer(b []byte) (*ModifyUnsuccessfulTransfer, error) {
	x := &ie.PDUSessionResourceModifyUnsuccessfulTransfer{}
	if err := unmarshalIE(b, x); err != nil {
		return nil, err
	}
	c, err := causeFromIE(x.Cause)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &ModifyUnsuccessfulTransfer{Cause: c}, nil
}
