package naseps

func init() {
	register(MsgAuthenticationReq, "Authentication Request", PDEMM, func() *AuthenticationRequest { return &AuthenticationRequest{} })
	register(MsgAuthenticationResp, "Authentication Response", PDEMM, func() *AuthenticationResponse { return &AuthenticationResponse{} })
	register(MsgAuthenticationFail, "Authentication Failure", PDEMM, func() *AuthenticationFailure { return &AuthenticationFailure{} })
	register(MsgAuthenticationReject, "Authentication Reject", PDEMM, func() *AuthenticationReject { return &AuthenticationReject{} })
}

// AUTSLen is the length of the AUTS of a synch failure (TS 33.102 6.3.3).
const AUTSLen = 14

const ieiAuthFailureParam = 0x30

// AuthenticationRequest (TS 24.301 8.2.7).
type AuthenticationRequest struct {
	KSI  KSI // NAS key set identifier ASME
	RAND [16]byte
	AUTN [16]byte
}

func (*AuthenticationRequest) MessageType() MessageType { return MsgAuthenticationReq }

func (m *AuthenticationRequest) Marshal() ([]byte, error) {
	return marshalEMM(MsgAuthenticationReq, func(w *writer) {
		ksi, err := m.KSI.nibble()
		if !w.check("NAS key set identifier", err) {
			return
		}
		w.half(0, ksi)
		w.bytes(m.RAND[:])
		w.lv("AUTN", m.AUTN[:], 16, 16)
	})
}

func (m *AuthenticationRequest) decode(r *reader) {
	m.KSI = ksiFrom(r.u8("NAS key set identifier") & 0x0F)
	copy(m.RAND[:], r.take("RAND", 16))
	copy(m.AUTN[:], r.lv("AUTN", 16, 16))
	r.optionals(nil)
}

// AuthenticationResponse (TS 24.301 8.2.8) carrying RES (4..16 octets).
type AuthenticationResponse struct {
	RES []byte
}

func (*AuthenticationResponse) MessageType() MessageType { return MsgAuthenticationResp }

func (m *AuthenticationResponse) Marshal() ([]byte, error) {
	return marshalEMM(MsgAuthenticationResp, func(w *writer) {
		w.lv("RES", m.RES, 4, 16)
	})
}

func (m *AuthenticationResponse) decode(r *reader) {
	m.RES = cloneBytes(r.lv("RES", 4, 16))
	r.optionals(nil)
}

// AuthenticationFailure (TS 24.301 8.2.5). AUTS is set for cause #21
// (synch failure) only.
type AuthenticationFailure struct {
	Cause EMMCause
	AUTS  *[AUTSLen]byte
}

func (*AuthenticationFailure) MessageType() MessageType { return MsgAuthenticationFail }

func (m *AuthenticationFailure) Marshal() ([]byte, error) {
	return marshalEMM(MsgAuthenticationFail, func(w *writer) {
		w.u8(byte(m.Cause))
		if m.AUTS != nil {
			w.tlv("authentication failure parameter", ieiAuthFailureParam, m.AUTS[:], AUTSLen, AUTSLen)
		}
	})
}

func (m *AuthenticationFailure) decode(r *reader) {
	m.Cause = EMMCause(r.u8("EMM cause"))
	for _, e := range r.optionals(nil) {
		if e.iei == ieiAuthFailureParam && r.check("authentication failure parameter", lenIn(e.v, AUTSLen, AUTSLen)) {
			a := [AUTSLen]byte(e.v)
			m.AUTS = &a
		}
	}
}

// AuthenticationReject (TS 24.301 8.2.6).
type AuthenticationReject struct{}

func (*AuthenticationReject) MessageType() MessageType { return MsgAuthenticationReject }

func (m *AuthenticationReject) Marshal() ([]byte, error) {
	return marshalEMM(MsgAuthenticationReject, func(*writer) {})
}

func (m *AuthenticationReject) decode(r *reader) { r.optionals(nil) }
