package nas5g

import (
	"fmt"
	"time"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// 5GS registration types (TS 24.501 9.11.3.7).
const (
	RegistrationInitial   uint8 = 1
	RegistrationMobility  uint8 = 2
	RegistrationPeriodic  uint8 = 3
	RegistrationEmergency uint8 = 4
)

// RegistrationRequest (TS 24.501 8.2.6). See the package comment for how
// cleartext IEs are handled.
type RegistrationRequest struct {
	RegistrationType    uint8
	FollowOnRequest     bool
	NgKSI               KSI
	Identity            UEIdentity
	SecurityCapability  *UESecurityCapability
	RequestedNSSAI      []SNSSAI
	NASMessageContainer []byte
}

func (*RegistrationRequest) MessageType() MessageType { return MsgRegistrationRequest }

func (r *RegistrationRequest) Encode() ([]byte, error) {
	if r.RegistrationType == 0 || r.RegistrationType > 7 {
		return nil, fmt.Errorf("nas5g: registration type %d", r.RegistrationType)
	}
	ksi, err := ksiToIE(r.NgKSI)
	if err != nil {
		return nil, err
	}
	id, err := r.Identity.toIE()
	if err != nil {
		return nil, err
	}
	nssai, err := nssaiToIE(r.RequestedNSSAI)
	if err != nil {
		return nil, err
	}
	m := &message.RegReq{
		RegType5GS:  &ie.RegType5GS{FOR_Pending: r.FollowOnRequest, Value: r.RegistrationType},
		Ngksi:       ksi,
		MobileId5GS: id,
		ReqNSSAI:    nssai,
		NASMsgCntr:  nasContainer(r.NASMessageContainer),
	}
	if r.SecurityCapability != nil {
		m.UESecCapability = secCapToIE(*r.SecurityCapability)
	}
	return encode(m)
}

// ParseRegistrationRequest decodes a plain Registration Request.
func ParseRegistrationRequest(plain []byte) (*RegistrationRequest, error) {
	return parseAs[*RegistrationRequest](plain, MsgRegistrationRequest)
}

func registrationRequestFrom(m *message.RegReq) (Message, error) {
	if m.RegType5GS == nil {
		return nil, fmt.Errorf("missing registration type")
	}
	id, err := identityFromIE(m.MobileId5GS)
	if err != nil {
		return nil, err
	}
	nssai, err := nssaiFromIE(m.ReqNSSAI)
	if err != nil {
		return nil, err
	}
	r := &RegistrationRequest{
		RegistrationType:    m.RegType5GS.Value,
		FollowOnRequest:     m.RegType5GS.FOR_Pending,
		NgKSI:               ksiFromIE(m.Ngksi),
		Identity:            id,
		RequestedNSSAI:      nssai,
		NASMessageContainer: containerBytes(m.NASMsgCntr),
	}
	if m.UESecCapability != nil {
		c := secCapFromIE(m.UESecCapability)
		r.SecurityCapability = &c
	}
	return r, nil
}

// RegistrationAccept (TS 24.501 8.2.7). T3512 zero leaves the timer out;
// TimerDeactivated sends it deactivated.
type RegistrationAccept struct {
	SMSAllowed   bool
	GUTI         *GUTI
	TAIList      []TAI
	AllowedNSSAI []SNSSAI
	T3512        time.Duration
}

func (*RegistrationAccept) MessageType() MessageType { return MsgRegistrationAccept }

func (r *RegistrationAccept) Encode() ([]byte, error) {
	m := &message.RegAccept{
		RegResult5GS: &ie.RegResult5GS{Value: ie.RegResult_3gpp, SMSAllowed: r.SMSAllowed},
	}
	var err error
	if r.GUTI != nil {
		if m.GUTI5G, err = gutiToIE(*r.GUTI); err != nil {
			return nil, err
		}
	}
	if m.AllowedNSSAI, err = nssaiToIE(r.AllowedNSSAI); err != nil {
		return nil, err
	}
	if r.T3512 != 0 {
		if m.T3512Value, err = timer3ToIE(r.T3512); err != nil {
			return nil, err
		}
	}
	b, err := encode(m)
	if err != nil || len(r.TAIList) == 0 {
		return b, err
	}
	return spliceTAIList(b, m.GUTI5G != nil, r.TAIList)
}

// spliceTAIList puts our own encoding of the TAI list IE (IEI 0x54) where
// TS 24.501 8.2.7.1 orders it, right after the 5G-GUTI: free5gc v1.3.0
// writes lists of TAIs sharing a PLMN with the wrong layout (type 00/01 in
// the header, type 10 octets after it).
func spliceTAIList(b []byte, hasGUTI bool, list []TAI) ([]byte, error) {
	value, err := encodeTAIList(list)
	if err != nil {
		return nil, err
	}
	at := 3 + 2 // header, registration result LV
	if hasGUTI {
		at += 3 + 11
	}
	if len(b) < at {
		return nil, fmt.Errorf("nas5g: Registration Accept of %d octets", len(b))
	}
	out := make([]byte, 0, len(b)+2+len(value))
	out = append(out, b[:at]...)
	out = append(out, 0x54, byte(len(value)))
	out = append(out, value...)
	return append(out, b[at:]...), nil
}

// encodeTAIList is the value of a 5GS tracking area identity list (TS
// 24.501 9.11.3.9): one partial list of type 00 (one PLMN, listed TACs)
// when every TAI shares the PLMN, else of type 10 (PLMN and TAC each).
func encodeTAIList(list []TAI) ([]byte, error) {
	if len(list) > 16 {
		return nil, fmt.Errorf("nas5g: TAI list of %d entries, at most 16", len(list))
	}
	same := true
	for _, t := range list[1:] {
		same = same && t.PLMN == list[0].PLMN
	}
	out := []byte{byte(len(list) - 1)}
	if !same {
		out[0] |= 0x40
	}
	for i, t := range list {
		p, err := t.PLMN.Bytes()
		if err != nil {
			return nil, err
		}
		if t.TAC > 0xFFFFFF {
			return nil, fmt.Errorf("nas5g: TAC %#x is over 24 bits", t.TAC)
		}
		if !same || i == 0 {
			out = append(out, p[:]...)
		}
		out = append(out, byte(t.TAC>>16), byte(t.TAC>>8), byte(t.TAC))
	}
	return out, nil
}

// ParseRegistrationAccept decodes a plain Registration Accept.
func ParseRegistrationAccept(plain []byte) (*RegistrationAccept, error) {
	return parseAs[*RegistrationAccept](plain, MsgRegistrationAccept)
}

func registrationAcceptFrom(m *message.RegAccept) (Message, error) {
	if m.RegResult5GS == nil {
		return nil, fmt.Errorf("missing 5GS registration result")
	}
	r := &RegistrationAccept{SMSAllowed: m.RegResult5GS.SMSAllowed}
	var err error
	if m.GUTI5G != nil {
		if m.GUTI5G.TypeOfId != ie.IdType_5GS_GUTI {
			return nil, fmt.Errorf("5G-GUTI IE holds identity type %d", m.GUTI5G.TypeOfId)
		}
		if r.GUTI, err = gutiFromIE(m.GUTI5G); err != nil {
			return nil, err
		}
	}
	if m.TAIList != nil && len(m.TAIList.TAI) > 0 {
		for _, t := range m.TAIList.TAI {
			v, err := taiFromIE(t)
			if err != nil {
				return nil, err
			}
			r.TAIList = append(r.TAIList, v)
		}
	}
	if r.AllowedNSSAI, err = nssaiFromIE(m.AllowedNSSAI); err != nil {
		return nil, err
	}
	if r.T3512, err = timer3FromIE(m.T3512Value); err != nil {
		return nil, err
	}
	return r, nil
}

// RegistrationComplete (TS 24.501 8.2.8).
type RegistrationComplete struct{}

func (*RegistrationComplete) MessageType() MessageType { return MsgRegistrationComplete }

func (*RegistrationComplete) Encode() ([]byte, error) { return encode(&message.RegComplete{}) }

// ParseRegistrationComplete decodes a plain Registration Complete.
func ParseRegistrationComplete(plain []byte) (*RegistrationComplete, error) {
	return parseAs[*RegistrationComplete](plain, MsgRegistrationComplete)
}

// RegistrationReject (TS 24.501 8.2.9).
type RegistrationReject struct {
	Cause uint8
}

func (*RegistrationReject) MessageType() MessageType { return MsgRegistrationReject }

func (r *RegistrationReject) Encode() ([]byte, error) {
	return encode(&message.RegRej{Cause5GMM: cause5GMM(r.Cause)})
}

// ParseRegistrationReject decodes a plain Registration Reject.
func ParseRegistrationReject(plain []byte) (*RegistrationReject, error) {
	return parseAs[*RegistrationReject](plain, MsgRegistrationReject)
}

func init() {
	register(MsgRegistrationRequest, registrationRequestFrom)
	register(MsgRegistrationAccept, registrationAcceptFrom)
	register(MsgRegistrationComplete, func(*message.RegComplete) (Message, error) {
		return &RegistrationComplete{}, nil
	})
	register(MsgRegistrationReject, func(m *message.RegRej) (Message, error) {
		c, err := causeOf(m.Cause5GMM)
		return &RegistrationReject{Cause: c}, err
	})
}
