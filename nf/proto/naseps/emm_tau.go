package naseps

func init() {
	register(MsgTAURequest, "Tracking Area Update Request", PDEMM, func() *TAURequest { return &TAURequest{} })
	register(MsgTAUAccept, "Tracking Area Update Accept", PDEMM, func() *TAUAccept { return &TAUAccept{} })
	register(MsgTAUComplete, "Tracking Area Update Complete", PDEMM, func() *TAUComplete { return &TAUComplete{} })
	register(MsgTAUReject, "Tracking Area Update Reject", PDEMM, func() *TAUReject { return &TAUReject{} })
}

const (
	ieiUENetworkCap    = 0x58
	ieiBearerCtxStatus = 0x57
	ieiT3412           = 0x5A
	ieiTAIList         = 0x54
)

// EPSUpdateType is TS 24.301 9.9.3.14.
type EPSUpdateType uint8

const (
	UpdateTA                 EPSUpdateType = 0
	UpdateCombinedTALA       EPSUpdateType = 1
	UpdateCombinedIMSIAttach EPSUpdateType = 2
	UpdatePeriodic           EPSUpdateType = 3
)

// EPSUpdateResult is TS 24.301 9.9.3.13.
type EPSUpdateResult uint8

const (
	UpdateResultTA              EPSUpdateResult = 0
	UpdateResultCombinedTALA    EPSUpdateResult = 1
	UpdateResultTAISR           EPSUpdateResult = 4
	UpdateResultCombinedTALAISR EPSUpdateResult = 5
)

// TAURequest is the TRACKING AREA UPDATE REQUEST (TS 24.301 8.2.29).
type TAURequest struct {
	UpdateType             EPSUpdateType
	Active                 bool // the "active" flag: keep the bearers up
	KSI                    KSI
	OldGUTI                EPSMobileIdentity
	UENetworkCapability    *UENetworkCapability
	LastVisitedTAI         *TAI
	DRX                    *DRXParameter
	EPSBearerContextStatus *EPSBearerContextStatus
}

func (*TAURequest) MessageType() MessageType { return MsgTAURequest }

func (m *TAURequest) Marshal() ([]byte, error) {
	return marshalEMM(MsgTAURequest, func(w *writer) {
		ksi, err := m.KSI.nibble()
		if !w.check("NAS key set identifier", err) {
			return
		}
		t, err := threeBits("EPS update type", uint8(m.UpdateType))
		if !w.check("EPS update type", err) {
			return
		}
		if m.Active {
			t |= 0x08
		}
		w.half(ksi, t)
		writeIdentity(w, m.OldGUTI)
		if m.UENetworkCapability != nil {
			if v, ok := encodeIE(w, "UE network capability", m.UENetworkCapability.encode); ok {
				w.tlv("UE network capability", ieiUENetworkCap, v, 2, 13)
			}
		}
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
		if m.EPSBearerContextStatus != nil {
			w.tlv("EPS bearer context status", ieiBearerCtxStatus, m.EPSBearerContextStatus.encode(), 2, 2)
		}
	})
}

var tauRequestTV = map[byte]int{0x19: 4, 0x55: 5, ieiLastVisitedTAI: 6, ieiDRXParameter: 3, 0x13: 6}

func (m *TAURequest) decode(r *reader) {
	o := r.u8("EPS update type")
	m.KSI, m.Active, m.UpdateType = ksiFrom(o>>4), o&0x08 != 0, EPSUpdateType(o&0x07)
	m.OldGUTI = readIdentity(r)
	for _, e := range r.optionals(tauRequestTV) {
		switch e.iei {
		case ieiUENetworkCap:
			if r.check("UE network capability", lenIn(e.v, 2, 13)) {
				c := decodeUENetworkCapability(e.v)
				m.UENetworkCapability = &c
			}
		case ieiLastVisitedTAI:
			t, err := decodeTAI(e.v)
			if r.check("last visited TAI", err) {
				m.LastVisitedTAI = &t
			}
		case ieiDRXParameter:
			d := decodeDRX(e.v)
			m.DRX = &d
		case ieiBearerCtxStatus:
			m.EPSBearerContextStatus = readBearerContextStatus(r, e.v)
		}
	}
}

// TAUAccept is the TRACKING AREA UPDATE ACCEPT (TS 24.301 8.2.26).
type TAUAccept struct {
	Result                   EPSUpdateResult
	T3412                    *GPRSTimer
	GUTI                     *GUTI
	TAIList                  TAIList // nil when absent
	EPSBearerContextStatus   *EPSBearerContextStatus
	EMMCause                 *EMMCause
	T3402                    *GPRSTimer
	EPSNetworkFeatureSupport *EPSNetworkFeatureSupport
}

func (*TAUAccept) MessageType() MessageType { return MsgTAUAccept }

func (m *TAUAccept) Marshal() ([]byte, error) {
	return marshalEMM(MsgTAUAccept, func(w *writer) {
		res, err := threeBits("EPS update result", uint8(m.Result))
		if !w.check("EPS update result", err) {
			return
		}
		w.half(0, res)
		if m.T3412 != nil {
			t, err := m.T3412.encode()
			if w.check("T3412 value", err) {
				w.tv(ieiT3412, []byte{t})
			}
		}
		if m.GUTI != nil {
			writeOptionalGUTI(w, *m.GUTI)
		}
		if m.TAIList != nil {
			if v, ok := encodeIE(w, "TAI list", m.TAIList.encode); ok {
				w.tlv("TAI list", ieiTAIList, v, 6, 96)
			}
		}
		if m.EPSBearerContextStatus != nil {
			w.tlv("EPS bearer context status", ieiBearerCtxStatus, m.EPSBearerContextStatus.encode(), 2, 2)
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

var tauAcceptTV = map[byte]int{ieiT3412: 2, 0x13: 6, ieiEMMCause: 2, ieiT3402: 2, 0x59: 2}

func (m *TAUAccept) decode(r *reader) {
	m.Result = EPSUpdateResult(r.u8("EPS update result") & 0x07)
	for _, e := range r.optionals(tauAcceptTV) {
		switch e.iei {
		case ieiT3412:
			t := decodeGPRSTimer(e.v[0])
			m.T3412 = &t
		case ieiGUTI:
			m.GUTI = readOptionalGUTI(r, e.v)
		case ieiTAIList:
			l, err := decodeTAIList(e.v)
			if r.check("TAI list", err) {
				m.TAIList = l
			}
		case ieiBearerCtxStatus:
			m.EPSBearerContextStatus = readBearerContextStatus(r, e.v)
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

// TAUComplete is the TRACKING AREA UPDATE COMPLETE (TS 24.301 8.2.27).
type TAUComplete struct{}

func (*TAUComplete) MessageType() MessageType { return MsgTAUComplete }

func (m *TAUComplete) Marshal() ([]byte, error) {
	return marshalEMM(MsgTAUComplete, func(*writer) {})
}

func (m *TAUComplete) decode(r *reader) { r.optionals(nil) }

// TAUReject is the TRACKING AREA UPDATE REJECT (TS 24.301 8.2.28).
type TAUReject struct {
	Cause EMMCause
}

func (*TAUReject) MessageType() MessageType { return MsgTAUReject }

func (m *TAUReject) Marshal() ([]byte, error) {
	return marshalEMM(MsgTAUReject, func(w *writer) { w.u8(byte(m.Cause)) })
}

func (m *TAUReject) decode(r *reader) {
	m.Cause = EMMCause(r.u8("EMM cause"))
	r.optionals(nil)
}

func readBearerContextStatus(r *reader, v []byte) *EPSBearerContextStatus {
	if !r.check("EPS bearer context status", lenIn(v, 2, 2)) {
		return nil
	}
	s := decodeEPSBearerContextStatus(v)
	return &s
}
