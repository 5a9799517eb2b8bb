package nas5g

import (
	"fmt"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// Access types of a Deregistration Request (TS 24.501 9.11.3.20).
const (
	Access3GPP        uint8 = 1
	AccessNon3GPP     uint8 = 2
	Access3GPPNon3GPP uint8 = 3
)

// DeregistrationRequest is the UE-originating Deregistration Request (TS
// 24.501 8.2.12).
type DeregistrationRequest struct {
	SwitchOff  bool
	AccessType uint8
	NgKSI      KSI
	Identity   UEIdentity
}

func (*DeregistrationRequest) MessageType() MessageType {
	return MsgDeregistrationRequestUEOriginating
}

func (r *DeregistrationRequest) Encode() ([]byte, error) {
	if r.AccessType < Access3GPP || r.AccessType > Access3GPPNon3GPP {
		return nil, fmt.Errorf("nas5g: deregistration access type %d", r.AccessType)
	}
	ksi, err := ksiToIE(r.NgKSI)
	if err != nil {
		return nil, err
	}
	id, err := r.Identity.toIE()
	if err != nil {
		return nil, err
	}
	return encode(&message.DeregReqUEOrig{
		DeregType:   &ie.DeregType{Switchoff: r.SwitchOff, AccessType: r.AccessType},
		Ngksi:       ksi,
		MobileId5GS: id,
	})
}

// ParseDeregistrationRequest decodes a plain UE-originating Deregistration
// Request.
func ParseDeregistrationRequest(plain []byte) (*DeregistrationRequest, error) {
	return parseAs[*DeregistrationRequest](plain, MsgDeregistrationRequestUEOriginating)
}

func deregistrationRequestFrom(m *message.DeregReqUEOrig) (Message, error) {
	if m.DeregType == nil {
		return nil, fmt.Errorf("missing de-registration type")
	}
	id, err := identityFromIE(m.MobileId5GS)
	if err != nil {
		return nil, err
	}
	return &DeregistrationRequest{
		SwitchOff:  m.DeregType.Switchoff,
		AccessType: m.DeregType.AccessType,
		NgKSI:      ksiFromIE(m.Ngksi),
		Identity:   id,
	}, nil
}

// DeregistrationAccept is the UE-originating Deregistration Accept (TS
// 24.501 8.2.13).
type DeregistrationAccept struct{}

func (*DeregistrationAccept) MessageType() MessageType {
	return MsgDeregistrationAcceptUEOriginating
}

func (*DeregistrationAccept) Encode() ([]byte, error) {
	return encode(&message.DeregAcceptUEOrig{})
}

// ParseDeregistrationAccept decodes a plain UE-originating Deregistration
// Accept.
func ParseDeregistrationAccept(plain []byte) (*DeregistrationAccept, error) {
	return parseAs[*DeregistrationAccept](plain, MsgDeregistrationAcceptUEOriginating)
}

// Service types (TS 24.501 9.11.3.50).
const (
	ServiceSignalling       uint8 = 0
	ServiceData             uint8 = 1
	ServiceMobileTerminated uint8 = 2
	ServiceEmergency        uint8 = 3
)

// ServiceRequest (TS 24.501 8.2.16). UplinkDataStatus and PDUSessionStatus
// are bitmaps with bit i for PDU session i; zero leaves the IE out.
type ServiceRequest struct {
	NgKSI            KSI
	ServiceType      uint8
	STMSI            STMSI
	UplinkDataStatus uint16
	PDUSessionStatus uint16
}

func (*ServiceRequest) MessageType() MessageType { return MsgServiceRequest }

func (r *ServiceRequest) Encode() ([]byte, error) {
	if r.ServiceType > 0xF {
		return nil, fmt.Errorf("nas5g: service type %d", r.ServiceType)
	}
	ksi, err := ksiToIE(r.NgKSI)
	if err != nil {
		return nil, err
	}
	id, err := stmsiToIE(r.STMSI)
	if err != nil {
		return nil, err
	}
	m := &message.SvcReq{
		Ngksi:   ksi,
		SvcType: &ie.SvcType{Value: ie.ConstSvcType(r.ServiceType)},
		TMSI5GS: id,
	}
	if r.UplinkDataStatus != 0 {
		m.UplinkDataStatus = &ie.UplinkDataStatus{Psi: psiList(r.UplinkDataStatus)}
	}
	if r.PDUSessionStatus != 0 {
		m.PDUSessStatus = &ie.PDUSessStatus{Psi: psiList(r.PDUSessionStatus)}
	}
	return encode(m)
}

// ParseServiceRequest decodes a plain Service Request.
func ParseServiceRequest(plain []byte) (*ServiceRequest, error) {
	return parseAs[*ServiceRequest](plain, MsgServiceRequest)
}

func serviceRequestFrom(m *message.SvcReq) (Message, error) {
	if m.SvcType == nil || m.TMSI5GS == nil {
		return nil, fmt.Errorf("service type or 5G-S-TMSI missing")
	}
	if m.TMSI5GS.TypeOfId != ie.IdType_5GS_TMSI {
		return nil, fmt.Errorf("mobile identity type %d is not 5G-S-TMSI", m.TMSI5GS.TypeOfId)
	}
	r := &ServiceRequest{
		NgKSI:       ksiFromIE(m.Ngksi),
		ServiceType: uint8(m.SvcType.Value),
		STMSI:       stmsiFromIE(m.TMSI5GS),
	}
	if m.UplinkDataStatus != nil {
		r.UplinkDataStatus = psiBitmap(&m.UplinkDataStatus.Psi)
	}
	if m.PDUSessStatus != nil {
		r.PDUSessionStatus = psiBitmap(&m.PDUSessStatus.Psi)
	}
	return r, nil
}

// ServiceAccept (TS 24.501 8.2.18); PDUSessionStatus as in ServiceRequest.
type ServiceAccept struct {
	PDUSessionStatus uint16
}

func (*ServiceAccept) MessageType() MessageType { return MsgServiceAccept }

func (r *ServiceAccept) Encode() ([]byte, error) {
	m := &message.SvcAccept{}
	if r.PDUSessionStatus != 0 {
		m.PDUSessStatus = &ie.PDUSessStatus{Psi: psiList(r.PDUSessionStatus)}
	}
	return encode(m)
}

// ParseServiceAccept decodes a plain Service Accept.
func ParseServiceAccept(plain []byte) (*ServiceAccept, error) {
	return parseAs[*ServiceAccept](plain, MsgServiceAccept)
}

// ServiceReject (TS 24.501 8.2.19).
type ServiceReject struct {
	Cause uint8
}

func (*ServiceReject) MessageType() MessageType { return MsgServiceReject }

func (r *ServiceReject) Encode() ([]byte, error) {
	return encode(&message.SvcRej{Cause5GMM: cause5GMM(r.Cause)})
}

// ParseServiceReject decodes a plain Service Reject.
func ParseServiceReject(plain []byte) (*ServiceReject, error) {
	return parseAs[*ServiceReject](plain, MsgServiceReject)
}

func init() {
	register(MsgDeregistrationRequestUEOriginating, deregistrationRequestFrom)
	register(MsgDeregistrationAcceptUEOriginating, func(*message.DeregAcceptUEOrig) (Message, error) {
		return &DeregistrationAccept{}, nil
	})
	register(MsgServiceRequest, serviceRequestFrom)
	register(MsgServiceAccept, func(m *message.SvcAccept) (Message, error) {
		r := &ServiceAccept{}
		if m.PDUSessStatus != nil {
			r.PDUSessionStatus = psiBitmap(&m.PDUSessStatus.Psi)
		}
		return r, nil
	})
	register(MsgServiceReject, func(m *message.SvcRej) (Message, error) {
		c, err := causeOf(m.Cause5GMM)
		return &ServiceReject{Cause: c}, err
	})
}
