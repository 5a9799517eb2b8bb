package naseps

import "fmt"

func init() {
	register(MsgAttachRequest, "Attach Request", PDEMM, func() *AttachRequest { return &AttachRequest{} })
	register(MsgAttachAccept, "Attach Accept", PDEMM, func() *AttachAccept { return &AttachAccept{} })
	register(MsgAttachComplete, "Attach Complete", PDEMM, func() *AttachComplete { return &AttachComplete{} })
	register(MsgAttachReject, "Attach Reject", PDEMM, func() *AttachReject { return &AttachReject{} })
}

// Optional IE identifiers used by the attach messages.
const (
	ieiLastVisitedTAI    = 0x52
	ieiDRXParameter      = 0x5C
	ieiMSNetworkCap      = 0x31
	ieiGUTI              = 0x50
	ieiT3402             = 0x17
	ieiEMMCause          = 0x53
	ieiNetFeatureSupport = 0x64
	ieiESMContainer      = 0x78
)

// ESM message container bounds: an ESM message has at least its 3-octet
// header.
const minESMContainer, maxESMContainer = 3, 0xFFFF

// AttachRequest (TS 24.301 8.2.4). ESMContainer holds the plain PDN
// Connectivity Request (build it with Marshal, read it with Parse).
type AttachRequest struct {
	AttachType          EPSAttachType
	KSI                 KSI
	Identity            EPSMobileIdentity
	UENetworkCapability UENetworkCapability
	ESMContainer        []byte
	LastVisitedTAI      *TAI
	DRX                 *DRXParameter
	MSNetworkCapability []byte // nil when absent; 1..8 octets
}

func (*AttachRequest) MessageType() MessageType { return MsgAttachRequest }

func (m *AttachRequest) Marshal() ([]byte, error) {
	return marshalEMM(MsgAttachRequest, func(w *writer) {
		ksi, err := m.KSI.nibble()
		if !w.check("NAS key set identifier", err) {
			return
		}
		at, err := threeBits("EPS attach type", uint8(m.AttachType))
		if !w.check("EPS attach type", err) {
			return
		}
		w.half(ksi, at)
		writeIdentity(w, m.Identity)
		capv, ok := encodeIE(w, "UE network capability", m.UENetworkCapability.encode)
		if !ok {
			return
		}
		w.lv("UE network capability", capv, 2, 13)
		w.lve("ESM message container", m.ESMContainer, minESMContainer, maxESMContainer)
		if m.LastVisitedTAI != nil {
			if v, ok := encodeIE(w, "last visited TAI", m.LastVisitedTAI.encode); ok {
				w.tv(ieiLastVisitedTAI, v)
			}
		}
		if m.DRX != nil {
			if v, ok := encodeIE(w, "DRX parameter", m.DRX.encode); ok {
				w.tv(ieiDRXParameter, v)
			}
		}
		if m.MSNetworkCapability != nil {
			w.tlv("MS network capability", ieiMSNetworkCap, m.MSNetworkCapability, 1, 8)
		}
	})
}

var attachRequestTV = map[byte]int{0x19: 4, ieiLastVisitedTAI: 6, ieiDRXParameter: 3, 0x13: 6}

func (m *AttachRequest) decode(r *reader) {
	o := r.u8("EPS attach type")
	m.KSI, m.AttachType = ksiFrom(o>>4), EPSAttachType(o&0x07)
	m.Identity = readIdentity(r)
	if c := r.lv("UE network capability", 2, 13); c != nil {
		m.UENetworkCapability = decodeUENetworkCapability(c)
	}
	m.ESMContainer = cloneBytes(r.lve("ESM message container", minESMContainer, maxESMContainer))
	for _, e := range r.optionals(attachRequestTV) {
		switch e.iei {
		case ieiLastVisitedTAI:
			t, err := decodeTAI(e.v)
			if r.check("last visited TAI", err) {
				m.LastVisitedTAI = &t
			}
		case ieiDRXParameter:
			d := decodeDRX(e.v)
			m.DRX = &d
		case ieiMSNetworkCap:
			if r.check("MS network capability", lenIn(e.v, 1, 8)) {
				m.MSNetworkCapability = cloneBytes(e.v)
			}
		}
	}
}

// AttachAccept (TS 24.301 8.2.1). ESMContainer holds the plain Activate
// Default EPS Bearer Context Request.
type AttachAccept struct {
	Result                   EPSAttachResult
	T3412                    GPRSTimer
	TAIList                  TAIList
	ESMContainer             []byte
	GUTI                     *GUTI
	EMMCause                 *EMMCause // for a combined attach accepted for EPS only
	T3402                    *GPRSTimer
	EPSNetworkFeatureSupport *EPSNetworkFeatureSupport
}

func (*AttachAccept) MessageType() MessageType { return MsgAttachAccept }

func (m *AttachAccept) Marshal() ([]byte, error) {
	return marshalEMM(MsgAttachAccept, func(w *writer) {
		res, err := threeBits("EPS attach result", uint8(m.Result))
		if !w.check("EPS attach result", err) {
			return
		}
		w.half(0, res)
		t, err := m.T3412.encode()
		if !w.check("T3412 value", err) {
			return
		}
		w.u8(t)
		if v, ok := encodeIE(w, "TAI list", m.TAIList.encode); ok {
			w.lv("TAI list", v, 6, 96)
		}
		w.lve("ESM message container", m.ESMContainer, minESMContainer, maxESMContainer)
		if m.GUTI != nil {
			writeOptionalGUTI(w, *m.GUTI)
		}
		if m.EMMCause != nil {
			w.tv(ieiEMMCause, []byte{byte(*m.EMMCause)})
		}
		if m.T3402 != nil {
			t, err := m.T3402.encode()
			if w.check("T3402 value", err) {
				w.tv(ieiT3402, []byte{t})
			}
		}
		if m.EPSNetworkFeatureSupport != nil {
			if v, ok := encodeIE(w, "EPS network feature support", m.EPSNetworkFeatureSupport.encode); ok {
				w.tlv("EPS network feature support", ieiNetFeatureSupport, v, 1, 2)
			}
		}
	})
}

var attachAcceptTV = map[byte]int{0x13: 6, ieiEMMCause: 2, ieiT3402: 2, 0x59: 2}

func (m *AttachAccept) decode(r *reader) {
	m.Result = EPSAttachResult(r.u8("EPS attach result") & 0x07)
	m.T3412 = decodeGPRSTimer(r.u8("T3412 value"))
	if v := r.lv("TAI list", 6, 96); v != nil {
		l, err := decodeTAIList(v)
		if r.check("TAI list", err) {
			m.TAIList = l
		}
	}
	m.ESMContainer = cloneBytes(r.lve("ESM message container", minESMContainer, maxESMContainer))
	for _, e := range r.optionals(attachAcceptTV) {
		switch e.iei {
		case ieiGUTI:
			m.GUTI = readOptionalGUTI(r, e.v)
		case ieiEMMCause:
			c := EMMCause(e.v[0])
			m.EMMCause = &c
		case ieiT3402:
			t := decodeGPRSTimer(e.v[0])
			m.T3402 = &t
		case ieiNetFeatureSupport:
			if r.check("EPS network feature support", lenIn(e.v, 1, 2)) {
				f := decodeEPSNetworkFeatureSupport(e.v)
				m.EPSNetworkFeatureSupport = &f
			}
		}
	}
}

// AttachComplete (TS 24.301 8.2.2). ESMContainer holds the plain Activate
// Default EPS Bearer Context Accept.
type AttachComplete struct {
	ESMContainer []byte
}

func (*AttachComplete) MessageType() MessageType { return MsgAttachComplete }

func (m *AttachComplete) Marshal() ([]byte, error) {
	return marshalEMM(MsgAttachComplete, func(w *writer) {
		w.lve("ESM message container", m.ESMContainer, minESMContainer, maxESMContainer)
	})
}

func (m *AttachComplete) decode(r *reader) {
	m.ESMContainer = cloneBytes(r.lve("ESM message container", minESMContainer, maxESMContainer))
	r.optionals(nil)
}

// AttachReject (TS 24.301 8.2.3). ESMContainer, when not nil, holds the
// PDN Connectivity Reject.
type AttachReject struct {
	Cause        EMMCause
	ESMContainer []byte
}

func (*AttachReject) MessageType() MessageType { return MsgAttachReject }

func (m *AttachReject) Marshal() ([]byte, error) {
	return marshalEMM(MsgAttachReject, func(w *writer) {
		w.u8(byte(m.Cause))
		if m.ESMContainer != nil {
			w.tlve("ESM message container", ieiESMContainer, m.ESMContainer, minESMContainer, maxESMContainer)
		}
	})
}

func (m *AttachReject) decode(r *reader) {
	m.Cause = EMMCause(r.u8("EMM cause"))
	for _, e := range r.optionals(nil) {
		if e.iei == ieiESMContainer && r.check("ESM message container", lenIn(e.v, minESMContainer, maxESMContainer)) {
			m.ESMContainer = cloneBytes(e.v)
		}
	}
}

// writeIdentity writes an EPS mobile identity as LV.
func writeIdentity(w *writer, id EPSMobileIdentity) {
	if v, ok := encodeIE(w, "EPS mobile identity", id.encode); ok {
		w.lv("EPS mobile identity", v, 4, 11)
	}
}

func readIdentity(r *reader) EPSMobileIdentity {
	v := r.lv("EPS mobile identity", 4, 11)
	if v == nil {
		return EPSMobileIdentity{}
	}
	id, err := decodeEPSMobileIdentity(v)
	r.check("EPS mobile identity", err)
	return id
}

func writeOptionalGUTI(w *writer, g GUTI) {
	if v, ok := encodeIE(w, "GUTI", GUTIIdentity(g).encode); ok {
		w.tlv("GUTI", ieiGUTI, v, 11, 11)
	}
}

func readOptionalGUTI(r *reader, v []byte) *GUTI {
	id, err := decodeEPSMobileIdentity(v)
	if err == nil && id.Type != EPSIdentityGUTI {
		err = fmt.Errorf("identity type %d, want GUTI", id.Type)
	}
	if !r.check("GUTI", err) {
		return nil
	}
	return &id.GUTI
}

// lenIn checks the length of an optional IE's value.
func lenIn(v []byte, min, max int) error {
	if len(v) < min || len(v) > max {
		return fmt.Errorf("length %d outside %d..%d", len(v), min, max)
	}
	return nil
}
