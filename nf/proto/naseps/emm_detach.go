package naseps

func init() {
	// Both directions of the DETACH REQUEST share a message type. The UE
	// form carries an LV identity of 4..11 octets right after its first
	// octet; the network form has nothing there or an optional IE, whose
	// IEI is never below 0x10. So the second body octet tells them apart.
	kinds[MsgDetachRequest] = kind{name: "Detach Request", pd: PDEMM, build: func(body []byte) Message {
		if len(body) >= 2 && body[1] < 0x10 {
			return &DetachRequest{}
		}
		return &NetworkDetachRequest{}
	}}
	register(MsgDetachAccept, "Detach Accept", PDEMM, func() *DetachAccept { return &DetachAccept{} })
}

// DetachType is the type of detach of TS 24.301 9.9.3.7; the same values
// mean different things in each direction.
type DetachType uint8

// UE to network.
const (
	DetachEPS      DetachType = 1
	DetachIMSIOnly DetachType = 2
	DetachCombined DetachType = 3
)

// Network to UE.
const (
	DetachReattachRequired    DetachType = 1
	DetachReattachNotRequired DetachType = 2
	DetachNetworkIMSI         DetachType = 3
)

// DetachRequest is the UE originating DETACH REQUEST (TS 24.301 8.2.11.1).
type DetachRequest struct {
	SwitchOff bool
	Type      DetachType
	KSI       KSI
	Identity  EPSMobileIdentity // GUTI or IMSI
}

func (*DetachRequest) MessageType() MessageType { return MsgDetachRequest }

func (m *DetachRequest) Marshal() ([]byte, error) {
	return marshalEMM(MsgDetachRequest, func(w *writer) {
		ksi, err := m.KSI.nibble()
		if !w.check("NAS key set identifier", err) {
			return
		}
		t, err := threeBits("detach type", uint8(m.Type))
		if !w.check("detach type", err) {
			return
		}
		if m.SwitchOff {
			t |= 0x08
		}
		w.half(ksi, t)
		writeIdentity(w, m.Identity)
	})
}

func (m *DetachRequest) decode(r *reader) {
	o := r.u8("detach type")
	m.KSI, m.SwitchOff, m.Type = ksiFrom(o>>4), o&0x08 != 0, DetachType(o&0x07)
	m.Identity = readIdentity(r)
	r.optionals(nil)
}

// NetworkDetachRequest is the UE terminated DETACH REQUEST (TS 24.301
// 8.2.11.2). Parse returns it for a Detach Request without an identity.
type NetworkDetachRequest struct {
	Type  DetachType
	Cause *EMMCause
}

func (*NetworkDetachRequest) MessageType() MessageType { return MsgDetachRequest }

func (m *NetworkDetachRequest) Marshal() ([]byte, error) {
	return marshalEMM(MsgDetachRequest, func(w *writer) {
		t, err := threeBits("detach type", uint8(m.Type))
		if !w.check("detach type", err) {
			return
		}
		w.half(0, t)
		if m.Cause != nil {
			w.tv(ieiEMMCause, []byte{byte(*m.Cause)})
		}
	})
}

func (m *NetworkDetachRequest) decode(r *reader) {
	m.Type = DetachType(r.u8("detach type") & 0x07)
	for _, e := range r.optionals(map[byte]int{ieiEMMCause: 2}) {
		if e.iei == ieiEMMCause {
			c := EMMCause(e.v[0])
			m.Cause = &c
		}
	}
}

// DetachAccept (TS 24.301 8.2.9, 8.2.10), either direction.
type DetachAccept struct{}

func (*DetachAccept) MessageType() MessageType { return MsgDetachAccept }

func (m *DetachAccept) Marshal() ([]byte, error) {
	return marshalEMM(MsgDetachAccept, func(*writer) {})
}

func (m *DetachAccept) decode(r *reader) { r.optionals(nil) }
