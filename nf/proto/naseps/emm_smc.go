package naseps

import "fmt"

func init() {
	register(MsgSecurityModeCommand, "Security Mode Command", PDEMM, func() *SecurityModeCommand { return &SecurityModeCommand{} })
	register(MsgSecurityModeComplete, "Security Mode Complete", PDEMM, func() *SecurityModeComplete { return &SecurityModeComplete{} })
	register(MsgSecurityModeReject, "Security Mode Reject", PDEMM, func() *SecurityModeReject { return &SecurityModeReject{} })
	register(MsgIdentityRequest, "Identity Request", PDEMM, func() *IdentityRequest { return &IdentityRequest{} })
	register(MsgIdentityResponse, "Identity Response", PDEMM, func() *IdentityResponse { return &IdentityResponse{} })
}

const (
	ieiIMEISVRequest = 0xC0
	ieiIMEISV        = 0x23
)

// SecurityModeCommand (TS 24.301 8.2.20).
type SecurityModeCommand struct {
	EncAlg, IntAlg     uint8 // selected EEA and EIA identities, 0..7
	KSI                KSI
	ReplayedCapability UESecurityCapability
	IMEISVRequest      bool
}

func (*SecurityModeCommand) MessageType() MessageType { return MsgSecurityModeCommand }

func (m *SecurityModeCommand) Marshal() ([]byte, error) {
	return marshalEMM(MsgSecurityModeCommand, func(w *writer) {
		if m.EncAlg > 7 || m.IntAlg > 7 {
			w.fail("selected NAS security algorithms", fmt.Errorf("%w: EEA%d/EIA%d", errValue, m.EncAlg, m.IntAlg))
			return
		}
		w.u8(m.EncAlg<<4 | m.IntAlg)
		ksi, err := m.KSI.nibble()
		if !w.check("NAS key set identifier", err) {
			return
		}
		w.half(0, ksi)
		if v, ok := encodeIE(w, "replayed UE security capabilities", m.ReplayedCapability.encode); ok {
			w.lv("replayed UE security capabilities", v, 2, 5)
		}
		if m.IMEISVRequest {
			w.tv1(ieiIMEISVRequest, 1)
		}
	})
}

func (m *SecurityModeCommand) decode(r *reader) {
	algs := r.u8("selected NAS security algorithms")
	m.EncAlg, m.IntAlg = algs>>4&0x07, algs&0x07
	m.KSI = ksiFrom(r.u8("NAS key set identifier") & 0x0F)
	if v := r.lv("replayed UE security capabilities", 2, 5); v != nil {
		m.ReplayedCapability = decodeUESecurityCapability(v)
	}
	for _, e := range r.optionals(nil) {
		if e.iei == ieiIMEISVRequest {
			m.IMEISVRequest = e.v[0]&0x07 == 1
		}
	}
}

// SecurityModeComplete (TS 24.301 8.2.21); IMEISV answers an IMEISV
// request.
type SecurityModeComplete struct {
	IMEISV string // 16 digits, "" when absent
}

func (*SecurityModeComplete) MessageType() MessageType { return MsgSecurityModeComplete }

func (m *SecurityModeComplete) Marshal() ([]byte, error) {
	return marshalEMM(MsgSecurityModeComplete, func(w *writer) {
		if m.IMEISV == "" {
			return
		}
		id := MobileIdentity{Type: IdentityIMEISV, Digits: m.IMEISV}
		if v, ok := encodeIE(w, "IMEISV", id.encode); ok {
			w.tlv("IMEISV", ieiIMEISV, v, 9, 9)
		}
	})
}

func (m *SecurityModeComplete) decode(r *reader) {
	for _, e := range r.optionals(nil) {
		if e.iei != ieiIMEISV {
			continue
		}
		id, err := decodeMobileIdentity(e.v)
		if err == nil && id.Type != IdentityIMEISV {
			err = fmt.Errorf("identity type %d, want IMEISV", id.Type)
		}
		if r.check("IMEISV", err) {
			m.IMEISV = id.Digits
		}
	}
}

// SecurityModeReject (TS 24.301 8.2.22).
type SecurityModeReject struct {
	Cause EMMCause
}

func (*SecurityModeReject) MessageType() MessageType { return MsgSecurityModeReject }

func (m *SecurityModeReject) Marshal() ([]byte, error) {
	return marshalEMM(MsgSecurityModeReject, func(w *writer) { w.u8(byte(m.Cause)) })
}

func (m *SecurityModeReject) decode(r *reader) {
	m.Cause = EMMCause(r.u8("EMM cause"))
	r.optionals(nil)
}

// IdentityRequest (TS 24.301 8.2.18).
type IdentityRequest struct {
	Type IdentityType // IMSI, IMEI, IMEISV or TMSI
}

func (*IdentityRequest) MessageType() MessageType { return MsgIdentityRequest }

func (m *IdentityRequest) Marshal() ([]byte, error) {
	return marshalEMM(MsgIdentityRequest, func(w *writer) {
		t, err := threeBits("identity type", uint8(m.Type))
		if w.check("identity type", err) {
			w.half(0, t)
		}
	})
}

func (m *IdentityRequest) decode(r *reader) {
	m.Type = IdentityType(r.u8("identity type") & 0x07)
	r.optionals(nil)
}

// IdentityResponse (TS 24.301 8.2.19).
type IdentityResponse struct {
	Identity MobileIdentity
}

func (*IdentityResponse) MessageType() MessageType { return MsgIdentityResponse }

func (m *IdentityResponse) Marshal() ([]byte, error) {
	return marshalEMM(MsgIdentityResponse, func(w *writer) {
		if v, ok := encodeIE(w, "mobile identity", m.Identity.encode); ok {
			w.lv("mobile identity", v, 1, 9)
		}
	})
}

func (m *IdentityResponse) decode(r *reader) {
	if v := r.lv("mobile identity", 1, 9); v != nil {
		id, err := decodeMobileIdentity(v)
		if r.check("mobile identity", err) {
			m.Identity = id
		}
	}
	r.optionals(nil)
}
