package n2

import (
	"fmt"
	"reflect"

	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// Header is what an AMF needs to dispatch an NGAP PDU.
type Header struct {
	ProcedureCode int64
	Type          MessageType
	// UE NGAP IDs, when the message carries them.
	AMFUENGAPID    uint64
	HasAMFUENGAPID bool
	RANUENGAPID    uint32
	HasRANUENGAPID bool
}

// UEAssociated reports whether the PDU names a UE.
func (h Header) UEAssociated() bool { return h.HasAMFUENGAPID || h.HasRANUENGAPID }

// Classify reads the procedure code and message type of an NGAP PDU and,
// from the decoded message, its UE NGAP IDs. When the header reads but the
// body does not decode, it returns the header with the error, so the
// caller can still answer with an Error Indication.
func Classify(pdu []byte) (Header, error) {
	h, err := peekHeader(pdu)
	if err != nil {
		return h, err
	}
	m, err := DecodeRaw(pdu)
	if err != nil {
		return h, err
	}
	amf, ran := ueIDsOf(m)
	if amf != nil {
		h.AMFUENGAPID, h.HasAMFUENGAPID = uint64(amf.Value), true
	}
	if ran != nil {
		h.RANUENGAPID, h.HasRANUENGAPID = uint32(ran.Value), true
	}
	return h, nil
}

// peekHeader reads the aligned-PER preamble of NGAP-PDU: an extension bit
// and a 2-bit choice in the first octet, then the procedure code octet.
func peekHeader(pdu []byte) (Header, error) {
	if len(pdu) < 3 {
		return Header{}, fmt.Errorf("%w: %d octets", ErrMalformed, len(pdu))
	}
	if pdu[0]&0x80 != 0 {
		return Header{}, fmt.Errorf("%w: NGAP-PDU choice extension", ErrMalformed)
	}
	t := MessageType(pdu[0] >> 5 & 0x3)
	if t > UnsuccessfulOutcome {
		return Header{}, fmt.Errorf("%w: NGAP-PDU choice %d", ErrMalformed, t)
	}
	return Header{ProcedureCode: int64(pdu[1]), Type: t}, nil
}

// ueIDsOf finds the UE NGAP IDs of any free5gc message: the fields are
// named alike in all of them, and UE Context Release Command carries them
// as a choice.
func ueIDsOf(m message.Message) (*ie.AMFUENGAPID, *ie.RANUENGAPID) {
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, nil
	}
	s := v.Elem()
	amf, _ := fieldPtr(s, "AMFUENGAPID").(*ie.AMFUENGAPID)
	ran, _ := fieldPtr(s, "RANUENGAPID").(*ie.RANUENGAPID)
	if ids, ok := fieldPtr(s, "UENGAPIDs").(*ie.UENGAPIDs); ok && ids != nil {
		switch c := ids.Choice.(type) {
		case *ie.UENGAPIDPair:
			amf, ran = c.AMFUENGAPID, c.RANUENGAPID
		case *ie.AMFUENGAPID:
			amf = c
		}
	}
	return amf, ran
}

func fieldPtr(s reflect.Value, name string) any {
	f := s.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil
	}
	return f.Interface()
}
