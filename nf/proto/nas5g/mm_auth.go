package nas5g

import (
	"fmt"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// AUTSLen is the length of the AUTS in an Authentication Failure for
// synch failure (TS 33.102 6.3.3).
const AUTSLen = 14

// AuthenticationRequest (TS 24.501 8.2.1) for 5G AKA.
type AuthenticationRequest struct {
	NgKSI KSI
	ABBA  []byte
	RAND  [16]byte
	AUTN  [16]byte
}

func (*AuthenticationRequest) MessageType() MessageType { return MsgAuthenticationRequest }

func (r *AuthenticationRequest) Encode() ([]byte, error) {
	ksi, err := ksiToIE(r.NgKSI)
	if err != nil {
		return nil, err
	}
	return encode(&message.AuthReq{
		Ngksi:                   ksi,
		ABBA:                    &ie.ABBA{Abba: cloneBytes(r.ABBA)},
		AuthParamRAND5GAuthChlg: &ie.AuthParamRAND{Rand: cloneBytes(r.RAND[:])},
		AuthParamAUTN5GAuthChlg: &ie.AuthParamAUTN{Autn: cloneBytes(r.AUTN[:])},
	})
}

// ParseAuthenticationRequest decodes a plain Authentication Request.
func ParseAuthenticationRequest(plain []byte) (*AuthenticationRequest, error) {
	return parseAs[*AuthenticationRequest](plain, MsgAuthenticationRequest)
}

func authenticationRequestFrom(m *message.AuthReq) (Message, error) {
	if m.ABBA == nil || m.AuthParamRAND5GAuthChlg == nil || m.AuthParamAUTN5GAuthChlg == nil {
		return nil, fmt.Errorf("not a 5G AKA challenge: ABBA, RAND or AUTN missing")
	}
	r := &AuthenticationRequest{NgKSI: ksiFromIE(m.Ngksi), ABBA: cloneBytes(m.ABBA.Abba)}
	var err error
	if r.RAND, err = fixed16("RAND", m.AuthParamRAND5GAuthChlg.Rand); err != nil {
		return nil, err
	}
	if r.AUTN, err = fixed16("AUTN", m.AuthParamAUTN5GAuthChlg.Autn); err != nil {
		return nil, err
	}
	return r, nil
}

// AuthenticationResponse (TS 24.501 8.2.2) carrying RES*.
type AuthenticationResponse struct {
	RESStar [16]byte
}

func (*AuthenticationResponse) MessageType() MessageType { return MsgAuthenticationResponse }

func (r *AuthenticationResponse) Encode() ([]byte, error) {
	return encode(&message.AuthRsp{AuthRspParam: &ie.AuthRspParam{Res: cloneBytes(r.RESStar[:])}})
}

// ParseAuthenticationResponse decodes a plain Authentication Response.
func ParseAuthenticationResponse(plain []byte) (*AuthenticationResponse, error) {
	return parseAs[*AuthenticationResponse](plain, MsgAuthenticationResponse)
}

func authenticationResponseFrom(m *message.AuthRsp) (Message, error) {
	if m.AuthRspParam == nil {
		return nil, fmt.Errorf("missing authentication response parameter")
	}
	res, err := fixed16("RES*", m.AuthRspParam.Res)
	return &AuthenticationResponse{RESStar: res}, err
}

// AuthenticationFailure (TS 24.501 8.2.4): cause #20 MAC failure, #21 synch
// failure (then AUTS is required), #26 non-5G authentication unacceptable.
type AuthenticationFailure struct {
	Cause uint8
	AUTS  []byte
}

func (*AuthenticationFailure) MessageType() MessageType { return MsgAuthenticationFailure }

func (r *AuthenticationFailure) Encode() ([]byte, error) {
	m := &message.AuthFailure{Cause5GMM: cause5GMM(r.Cause)}
	switch {
	case r.Cause == CauseSynchFailure && len(r.AUTS) != AUTSLen:
		return nil, fmt.Errorf("nas5g: synch failure needs a %d-octet AUTS, got %d", AUTSLen, len(r.AUTS))
	case r.Cause != CauseSynchFailure && len(r.AUTS) != 0:
		return nil, fmt.Errorf("nas5g: AUTS only goes with cause #21")
	case len(r.AUTS) > 0:
		m.AuthFailureParam = &ie.AuthFailureParam{Value: cloneBytes(r.AUTS)}
	}
	return encode(m)
}

// ParseAuthenticationFailure decodes a plain Authentication Failure.
func ParseAuthenticationFailure(plain []byte) (*AuthenticationFailure, error) {
	return parseAs[*AuthenticationFailure](plain, MsgAuthenticationFailure)
}

func authenticationFailureFrom(m *message.AuthFailure) (Message, error) {
	c, err := causeOf(m.Cause5GMM)
	if err != nil {
		return nil, err
	}
	r := &AuthenticationFailure{Cause: c}
	if m.AuthFailureParam != nil {
		r.AUTS = cloneBytes(m.AuthFailureParam.Value)
	}
	if c == CauseSynchFailure && len(r.AUTS) != AUTSLen {
		return nil, fmt.Errorf("synch failure without AUTS")
	}
	return r, nil
}

// AuthenticationReject (TS 24.501 8.2.5).
type AuthenticationReject struct{}

func (*AuthenticationReject) MessageType() MessageType { return MsgAuthenticationReject }

func (*AuthenticationReject) Encode() ([]byte, error) { return encode(&message.AuthRej{}) }

// ParseAuthenticationReject decodes a plain Authentication Reject.
func ParseAuthenticationReject(plain []byte) (*AuthenticationReject, error) {
	return parseAs[*AuthenticationReject](plain, MsgAuthenticationReject)
}

func init() {
	register(MsgAuthenticationRequest, authenticationRequestFrom)
	register(MsgAuthenticationResponse, authenticationResponseFrom)
	register(MsgAuthenticationFailure, authenticationFailureFrom)
	register(MsgAuthenticationReject, func(*message.AuthRej) (Message, error) {
		return &AuthenticationReject{}, nil
	})
}
