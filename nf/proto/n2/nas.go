package n2

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// RRC establishment causes (TS 38.413 9.3.1.111): the enumeration index.
const (
	RRCEmergency          uint8 = 0
	RRCHighPriorityAccess uint8 = 1
	RRCMTAccess           uint8 = 2
	RRCMOSignalling       uint8 = 3
	RRCMOData             uint8 = 4
	RRCMOVoiceCall        uint8 = 5
)

// InitialUEMessage (TS 38.413 9.2.5.1). STMSI is set when the UE gave
// its 5G-S-TMSI to the RAN.
type InitialUEMessage struct {
	RANUENGAPID uint32
	NASPDU      []byte
	Location    UserLocation
	RRCCause    uint8
	STMSI       *STMSI
}

func (*InitialUEMessage) ProcedureCode() int64     { return ProcInitialUEMessage }
func (*InitialUEMessage) MessageType() MessageType { return InitiatingMessage }

func (r *InitialUEMessage) Encode() ([]byte, error) {
	if len(r.NASPDU) == 0 {
		return nil, fmt.Errorf("n2: Initial UE Message without NAS PDU")
	}
	loc, err := locationToIE(r.Location)
	if err != nil {
		return nil, err
	}
	m := &message.InitialUEMessage{
		RANUENGAPID:             &ie.RANUENGAPID{Value: int64(r.RANUENGAPID)},
		NASPDU:                  nasPDU(r.NASPDU),
		UserLocationInformation: loc,
		RRCEstablishmentCause:   &ie.RRCEstablishmentCause{Value: aper.Enumerated(r.RRCCause)},
	}
	if r.STMSI != nil {
		if m.FiveGSTMSI, err = stmsiToIE(*r.STMSI); err != nil {
			return nil, err
		}
	}
	return encode(m)
}

// ParseInitialUEMessage decodes an Initial UE Message.
func ParseInitialUEMessage(pdu []byte) (*InitialUEMessage, error) {
	return parseAs[*InitialUEMessage](pdu)
}

func initialUEMessageFrom(m *message.InitialUEMessage) (Message, error) {
	if m.RANUENGAPID == nil || m.NASPDU == nil || m.RRCEstablishmentCause == nil {
		return nil, fmt.Errorf("mandatory IE missing")
	}
	loc, err := locationFromIE(m.UserLocationInformation)
	if err != nil {
		return nil, err
	}
	r := &InitialUEMessage{
		RANUENGAPID: uint32(m.RANUENGAPID.Value),
		NASPDU:      nasBytes(m.NASPDU),
		Location:    loc,
		RRCCause:    uint8(m.RRCEstablishmentCause.Value),
	}
	if m.FiveGSTMSI != nil {
		s, err := stmsiFromIE(m.FiveGSTMSI)
		if err != nil {
			return nil, err
		}
		r.STMSI = &s
	}
	return r, nil
}

// DownlinkNASTransport (TS 38.413 9.2.5.2).
type DownlinkNASTransport struct {
	UEIDs
	NASPDU []byte
}

func (*DownlinkNASTransport) ProcedureCode() int64     { return ProcDownlinkNASTransport }
func (*DownlinkNASTransport) MessageType() MessageType { return InitiatingMessage }

func (r *DownlinkNASTransport) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if len(r.NASPDU) == 0 {
		return nil, fmt.Errorf("n2: Downlink NAS Transport without NAS PDU")
	}
	return encode(&message.DownlinkNASTransport{AMFUENGAPID: amf, RANUENGAPID: ran, NASPDU: nasPDU(r.NASPDU)})
}

// ParseDownlinkNASTransport decodes a Downlink NAS Transport.
func ParseDownlinkNASTransport(pdu []byte) (*DownlinkNASTransport, error) {
	return parseAs[*DownlinkNASTransport](pdu)
}

// UplinkNASTransport (TS 38.413 9.2.5.3).
type UplinkNASTransport struct {
	UEIDs
	NASPDU   []byte
	Location UserLocation
}

func (*UplinkNASTransport) ProcedureCode() int64     { return ProcUplinkNASTransport }
func (*UplinkNASTransport) MessageType() MessageType { return InitiatingMessage }

func (r *UplinkNASTransport) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if len(r.NASPDU) == 0 {
		return nil, fmt.Errorf("n2: Uplink NAS Transport without NAS PDU")
	}
	loc, err := locationToIE(r.Location)
	if err != nil {
		return nil, err
	}
	return encode(&message.UplinkNASTransport{AMFUENGAPID: amf, RANUENGAPID: ran,
		NASPDU: nasPDU(r.NASPDU), UserLocationInformation: loc})
}

// ParseUplinkNASTransport decodes an Uplink NAS Transport.
func ParseUplinkNASTransport(pdu []byte) (*UplinkNASTransport, error) {
	return parseAs[*UplinkNASTransport](pdu)
}

func init() {
	register(&message.InitialUEMessage{}, initialUEMessageFrom)
	register(&message.DownlinkNASTransport{}, func(m *message.DownlinkNASTransport) (Message, error) {
		ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
		if err != nil || m.NASPDU == nil {
			return nil, firstErr(err, fmt.Errorf("missing NAS PDU"))
		}
		return &DownlinkNASTransport{UEIDs: ids, NASPDU: nasBytes(m.NASPDU)}, nil
	})
	register(&message.UplinkNASTransport{}, func(m *message.UplinkNASTransport) (Message, error) {
		ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
		if err != nil || m.NASPDU == nil {
			return nil, firstErr(err, fmt.Errorf("missing NAS PDU"))
		}
		loc, err := locationFromIE(m.UserLocationInformation)
		if err != nil {
			return nil, err
		}
		return &UplinkNASTransport{UEIDs: ids, NASPDU: nasBytes(m.NASPDU), Location: loc}, nil
	})
}
