package n2

import (
	"fmt"

	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// Paging (TS 38.413 9.2.4.1): the UE's 5G-S-TMSI and where to page it.
type Paging struct {
	STMSI STMSI
	TAIs  []TAI
}

func (*Paging) ProcedureCode() int64     { return ProcPaging }
func (*Paging) MessageType() MessageType { return InitiatingMessage }

func (r *Paging) Encode() ([]byte, error) {
	s, err := stmsiToIE(r.STMSI)
	if err != nil {
		return nil, err
	}
	if len(r.TAIs) == 0 || len(r.TAIs) > 16 {
		return nil, fmt.Errorf("n2: paging in %d TAs, want 1 to 16", len(r.TAIs))
	}
	m := &message.Paging{
		UEPagingIdentity: &ie.UEPagingIdentity{Choice: s},
		TAIListForPaging: &ie.TAIListForPaging{},
	}
	for _, t := range r.TAIs {
		v, err := taiToIE(t)
		if err != nil {
			return nil, err
		}
		m.TAIListForPaging.List = append(m.TAIListForPaging.List, ie.TAIListForPagingItem{TAI: v})
	}
	return encode(m)
}

// ParsePaging decodes a Paging message.
func ParsePaging(pdu []byte) (*Paging, error) {
	return parseAs[*Paging](pdu)
}

func pagingFrom(m *message.Paging) (Message, error) {
	if m.UEPagingIdentity == nil || m.TAIListForPaging == nil {
		return nil, fmt.Errorf("mandatory IE missing")
	}
	id, ok := m.UEPagingIdentity.Choice.(*ie.FiveGSTMSI)
	if !ok {
		return nil, fmt.Errorf("paging identity %T", m.UEPagingIdentity.Choice)
	}
	s, err := stmsiFromIE(id)
	if err != nil {
		return nil, err
	}
	r := &Paging{STMSI: s}
	for _, it := range m.TAIListForPaging.List {
		t, err := taiFromIE(it.TAI)
		if err != nil {
			return nil, err
		}
		r.TAIs = append(r.TAIs, t)
	}
	return r, nil
}

// ErrorIndication (TS 38.413 9.2.7.5). Every IE is optional; nil leaves it
// out.
type ErrorIndication struct {
	AMFUENGAPID *uint64
	RANUENGAPID *uint32
	Cause       *Cause
}

func (*ErrorIndication) ProcedureCode() int64     { return ProcErrorIndication }
func (*ErrorIndication) MessageType() MessageType { return InitiatingMessage }

func (r *ErrorIndication) Encode() ([]byte, error) {
	m := &message.ErrorIndication{}
	if r.AMFUENGAPID != nil {
		if *r.AMFUENGAPID > maxAMFUENGAPID {
			return nil, fmt.Errorf("n2: AMF UE NGAP ID %d is over 40 bits", *r.AMFUENGAPID)
		}
		m.AMFUENGAPID = &ie.AMFUENGAPID{Value: int64(*r.AMFUENGAPID)}
	}
	if r.RANUENGAPID != nil {
		m.RANUENGAPID = &ie.RANUENGAPID{Value: int64(*r.RANUENGAPID)}
	}
	if r.Cause != nil {
		c, err := causeToIE(*r.Cause)
		if err != nil {
			return nil, err
		}
		m.Cause = c
	}
	return encode(m)
}

// ParseErrorIndication decodes an Error Indication.
func ParseErrorIndication(pdu []byte) (*ErrorIndication, error) {
	return parseAs[*ErrorIndication](pdu)
}

func errorIndicationFrom(m *message.ErrorIndication) (Message, error) {
	r := &ErrorIndication{}
	if m.AMFUENGAPID != nil {
		v := uint64(m.AMFUENGAPID.Value)
		r.AMFUENGAPID = &v
	}
	if m.RANUENGAPID != nil {
		v := uint32(m.RANUENGAPID.Value)
		r.RANUENGAPID = &v
	}
	if m.Cause != nil {
		c, err := causeFromIE(m.Cause)
		if err != nil {
			return nil, err
		}
		r.Cause = &c
	}
	return r, nil
}

func init() {
	register(&message.Paging{}, pagingFrom)
	register(&message.ErrorIndication{}, errorIndicationFrom)
}
