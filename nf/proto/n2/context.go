package n2

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// InitialContextSetupRequest (TS 38.413 9.2.2.1). SecurityKey is KgNB.
// UEAMBR goes with Sessions (zero leaves it out); NASPDU is optional.
type InitialContextSetupRequest struct {
	UEIDs
	GUAMI                GUAMI
	AllowedNSSAI         []SNSSAI
	SecurityCapabilities UESecurityCapabilities
	SecurityKey          [32]byte
	NASPDU               []byte
	UEAMBR               AMBR
	Sessions             []SessionSetupItem
}

func (*InitialContextSetupRequest) ProcedureCode() int64     { return ProcInitialContextSetup }
func (*InitialContextSetupRequest) MessageType() MessageType { return InitiatingMessage }

func (r *InitialContextSetupRequest) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	guami, err := guamiToIE(r.GUAMI)
	if err != nil {
		return nil, err
	}
	if len(r.Sessions) > 0 && r.UEAMBR == (AMBR{}) {
		return nil, fmt.Errorf("n2: PDU sessions in an Initial Context Setup Request need a UE AMBR")
	}
	if len(r.AllowedNSSAI) == 0 || len(r.AllowedNSSAI) > 8 {
		return nil, fmt.Errorf("n2: allowed NSSAI of %d slices, want 1 to 8", len(r.AllowedNSSAI))
	}
	m := &message.InitialContextSetupRequest{
		AMFUENGAPID:            amf,
		RANUENGAPID:            ran,
		GUAMI:                  guami,
		AllowedNSSAI:           &ie.AllowedNSSAI{},
		UESecurityCapabilities: secCapToIE(r.SecurityCapabilities),
		SecurityKey:            &ie.SecurityKey{Value: aper.BitString{Bytes: append([]byte(nil), r.SecurityKey[:]...), BitLength: 256}},
		NASPDU:                 nasPDU(r.NASPDU),
	}
	for _, s := range r.AllowedNSSAI {
		v, err := snssaiToIE(s)
		if err != nil {
			return nil, err
		}
		m.AllowedNSSAI.List = append(m.AllowedNSSAI.List, ie.AllowedNSSAIItem{SNSSAI: v})
	}
	if m.UEAggregateMaximumBitRate, err = ueAMBRToIE(r.UEAMBR); err != nil {
		return nil, err
	}
	if len(r.Sessions) > 0 {
		m.PDUSessionResourceSetupListCxtReq = &ie.PDUSessionResourceSetupListCxtReq{}
		for _, s := range r.Sessions {
			sn, tr, err := setupParts(s)
			if err != nil {
				return nil, err
			}
			m.PDUSessionResourceSetupListCxtReq.List = append(m.PDUSessionResourceSetupListCxtReq.List,
				ie.PDUSessionResourceSetupItemCxtReq{PDUSessionID: psiToIE(s.PDUSessionID), NASPDU: nasPDU(s.NASPDU),
					SNSSAI: sn, PDUSessionResourceSetupRequestTransfer: tr})
		}
	}
	return encode(m)
}

// ParseInitialContextSetupRequest decodes an Initial Context Setup Request.
func ParseInitialContextSetupRequest(pdu []byte) (*InitialContextSetupRequest, error) {
	return parseAs[*InitialContextSetupRequest](pdu)
}

func icsRequestFrom(m *message.InitialContextSetupRequest) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	if m.AllowedNSSAI == nil || m.SecurityKey == nil || m.SecurityKey.Value.BitLength != 256 || len(m.SecurityKey.Value.Bytes) != 32 {
		return nil, fmt.Errorf("allowed NSSAI or security key missing")
	}
	r := &InitialContextSetupRequest{UEIDs: ids, NASPDU: nasBytes(m.NASPDU)}
	copy(r.SecurityKey[:], m.SecurityKey.Value.Bytes)
	if r.GUAMI, err = guamiFromIE(m.GUAMI); err != nil {
		return nil, err
	}
	if r.SecurityCapabilities, err = secCapFromIE(m.UESecurityCapabilities); err != nil {
		return nil, err
	}
	for _, it := range m.AllowedNSSAI.List {
		s, err := snssaiFromIE(it.SNSSAI)
		if err != nil {
			return nil, err
		}
		r.AllowedNSSAI = append(r.AllowedNSSAI, s)
	}
	if r.UEAMBR, err = ueAMBRFromIE(m.UEAggregateMaximumBitRate); err != nil {
		return nil, err
	}
	if l := m.PDUSessionResourceSetupListCxtReq; l != nil {
		for _, it := range l.List {
			s, err := setupItem(it.PDUSessionID, it.NASPDU, it.SNSSAI, it.PDUSessionResourceSetupRequestTransfer)
			if err != nil {
				return nil, err
			}
			r.Sessions = append(r.Sessions, s)
		}
	}
	return r, nil
}

// InitialContextSetupResponse (TS 38.413 9.2.2.2). Sessions carry
// SetupResponseTransfers, Failed carry SetupUnsuccessfulTransfers.
type InitialContextSetupResponse struct {
	UEIDs
	Sessions []SessionTransfer
	Failed   []SessionTransfer
}

func (*InitialContextSetupResponse) ProcedureCode() int64     { return ProcInitialContextSetup }
func (*InitialContextSetupResponse) MessageType() MessageType { return SuccessfulOutcome }

func (r *InitialContextSetupResponse) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if err := firstErr(checkTransfers(r.Sessions), checkTransfers(r.Failed)); err != nil {
		return nil, err
	}
	m := &message.InitialContextSetupResponse{AMFUENGAPID: amf, RANUENGAPID: ran}
	if len(r.Sessions) > 0 {
		m.PDUSessionResourceSetupListCxtRes = &ie.PDUSessionResourceSetupListCxtRes{}
		for _, s := range r.Sessions {
			m.PDUSessionResourceSetupListCxtRes.List = append(m.PDUSessionResourceSetupListCxtRes.List,
				ie.PDUSessionResourceSetupItemCxtRes{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceSetupResponseTransfer: octets(s.Transfer)})
		}
	}
	if len(r.Failed) > 0 {
		m.PDUSessionResourceFailedToSetupListCxtRes = &ie.PDUSessionResourceFailedToSetupListCxtRes{}
		for _, s := range r.Failed {
			m.PDUSessionResourceFailedToSetupListCxtRes.List = append(m.PDUSessionResourceFailedToSetupListCxtRes.List,
				ie.PDUSessionResourceFailedToSetupItemCxtRes{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceSetupUnsuccessfulTransfer: octets(s.Transfer)})
		}
	}
	return encode(m)
}

// ParseInitialContextSetupResponse decodes an Initial Context Setup
// Response.
func ParseInitialContextSetupResponse(pdu []byte) (*InitialContextSetupResponse, error) {
	return parseAs[*InitialContextSetupResponse](pdu)
}

func icsResponseFrom(m *message.InitialContextSetupResponse) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	r := &InitialContextSetupResponse{UEIDs: ids}
	if l := m.PDUSessionResourceSetupListCxtRes; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceSetupResponseTransfer)
			if err != nil {
				return nil, err
			}
			r.Sessions = append(r.Sessions, s)
		}
	}
	if l := m.PDUSessionResourceFailedToSetupListCxtRes; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceSetupUnsuccessfulTransfer)
			if err != nil {
				return nil, err
			}
			r.Failed = append(r.Failed, s)
		}
	}
	return r, nil
}

// InitialContextSetupFailure (TS 38.413 9.2.2.3).
type InitialContextSetupFailure struct {
	UEIDs
	Cause  Cause
	Failed []SessionTransfer
}

func (*InitialContextSetupFailure) ProcedureCode() int64     { return ProcInitialContextSetup }
func (*InitialContextSetupFailure) MessageType() MessageType { return UnsuccessfulOutcome }

func (r *InitialContextSetupFailure) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	c, err := causeToIE(r.Cause)
	if err != nil {
		return nil, err
	}
	if err := checkTransfers(r.Failed); err != nil {
		return nil, err
	}
	m := &message.InitialContextSetupFailure{AMFUENGAPID: amf, RANUENGAPID: ran, Cause: c}
	if len(r.Failed) > 0 {
		m.PDUSessionResourceFailedToSetupListCxtFail = &ie.PDUSessionResourceFailedToSetupListCxtFail{}
		for _, s := range r.Failed {
			m.PDUSessionResourceFailedToSetupListCxtFail.List = append(m.PDUSessionResourceFailedToSetupListCxtFail.List,
				ie.PDUSessionResourceFailedToSetupItemCxtFail{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceSetupUnsuccessfulTransfer: octets(s.Transfer)})
		}
	}
	return encode(m)
}

// ParseInitialContextSetupFailure decodes an Initial Context Setup Failure.
func ParseInitialContextSetupFailure(pdu []byte) (*InitialContextSetupFailure, error) {
	return parseAs[*InitialContextSetupFailure](pdu)
}

func icsFailureFrom(m *message.InitialContextSetupFailure) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	c, err := causeFromIE(m.Cause)
	if err != nil {
		return nil, err
	}
	r := &InitialContextSetupFailure{UEIDs: ids, Cause: c}
	if l := m.PDUSessionResourceFailedToSetupListCxtFail; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceSetupUnsuccessfulTransfer)
			if err != nil {
				return nil, err
			}
			r.Failed = append(r.Failed, s)
		}
	}
	return r, nil
}

// UEContextReleaseRequest (TS 38.413 9.2.2.4), sent by the gNB. Sessions
// lists active PDU session IDs (optional).
type UEContextReleaseRequest struct {
	UEIDs
	Sessions []uint8
	Cause    Cause
}

func (*UEContextReleaseRequest) ProcedureCode() int64     { return ProcUEContextReleaseRequest }
func (*UEContextReleaseRequest) MessageType() MessageType { return InitiatingMessage }

func (r *UEContextReleaseRequest) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	c, err := causeToIE(r.Cause)
	if err != nil {
		return nil, err
	}
	m := &message.UEContextReleaseRequest{AMFUENGAPID: amf, RANUENGAPID: ran, Cause: c}
	if len(r.Sessions) > 0 {
		m.PDUSessionResourceListCxtRelReq = &ie.PDUSessionResourceListCxtRelReq{}
		for _, id := range r.Sessions {
			m.PDUSessionResourceListCxtRelReq.List = append(m.PDUSessionResourceListCxtRelReq.List,
				ie.PDUSessionResourceItemCxtRelReq{PDUSessionID: psiToIE(id)})
		}
	}
	return encode(m)
}

// ParseUEContextReleaseRequest decodes a UE Context Release Request.
func ParseUEContextReleaseRequest(pdu []byte) (*UEContextReleaseRequest, error) {
	return parseAs[*UEContextReleaseRequest](pdu)
}

func releaseRequestFrom(m *message.UEContextReleaseRequest) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	c, err := causeFromIE(m.Cause)
	if err != nil {
		return nil, err
	}
	r := &UEContextReleaseRequest{UEIDs: ids, Cause: c}
	if l := m.PDUSessionResourceListCxtRelReq; l != nil {
		for _, it := range l.List {
			id, err := psiFromIE(it.PDUSessionID)
			if err != nil {
				return nil, err
			}
			r.Sessions = append(r.Sessions, id)
		}
	}
	return r, nil
}

// UEContextReleaseCommand (TS 38.413 9.2.2.5). AMFIDOnly sends only the
// AMF UE NGAP ID, for when the RAN's ID is not known.
type UEContextReleaseCommand struct {
	UEIDs
	AMFIDOnly bool
	Cause     Cause
}

func (*UEContextReleaseCommand) ProcedureCode() int64     { return ProcUEContextRelease }
func (*UEContextReleaseCommand) MessageType() MessageType { return InitiatingMessage }

func (r *UEContextReleaseCommand) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	c, err := causeToIE(r.Cause)
	if err != nil {
		return nil, err
	}
	ids := &ie.UENGAPIDs{Choice: &ie.UENGAPIDPair{AMFUENGAPID: amf, RANUENGAPID: ran}}
	if r.AMFIDOnly {
		if r.RANUENGAPID != 0 {
			return nil, fmt.Errorf("n2: AMF-only release with a RAN UE NGAP ID")
		}
		ids.Choice = amf
	}
	return encode(&message.UEContextReleaseCommand{UENGAPIDs: ids, Cause: c})
}

// ParseUEContextReleaseCommand decodes a UE Context Release Command.
func ParseUEContextReleaseCommand(pdu []byte) (*UEContextReleaseCommand, error) {
	return parseAs[*UEContextReleaseCommand](pdu)
}

func releaseCommandFrom(m *message.UEContextReleaseCommand) (Message, error) {
	if m.UENGAPIDs == nil {
		return nil, fmt.Errorf("missing UE NGAP IDs")
	}
	c, err := causeFromIE(m.Cause)
	if err != nil {
		return nil, err
	}
	r := &UEContextReleaseCommand{Cause: c}
	switch ids := m.UENGAPIDs.Choice.(type) {
	case *ie.UENGAPIDPair:
		if r.UEIDs, err = uePair(ids.AMFUENGAPID, ids.RANUENGAPID); err != nil {
			return nil, err
		}
	case *ie.AMFUENGAPID:
		r.AMFUENGAPID, r.AMFIDOnly = uint64(ids.Value), true
	default:
		return nil, fmt.Errorf("UE NGAP IDs choice %T", m.UENGAPIDs.Choice)
	}
	return r, nil
}

// UEContextReleaseComplete (TS 38.413 9.2.2.6).
type UEContextReleaseComplete struct {
	UEIDs
}

func (*UEContextReleaseComplete) ProcedureCode() int64     { return ProcUEContextRelease }
func (*UEContextReleaseComplete) MessageType() MessageType { return SuccessfulOutcome }

func (r *UEContextReleaseComplete) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	return encode(&message.UEContextReleaseComplete{AMFUENGAPID: amf, RANUENGAPID: ran})
}

// ParseUEContextReleaseComplete decodes a UE Context Release Complete.
func ParseUEContextReleaseComplete(pdu []byte) (*UEContextReleaseComplete, error) {
	return parseAs[*UEContextReleaseComplete](pdu)
}

func init() {
	register(&message.InitialContextSetupRequest{}, icsRequestFrom)
	register(&message.InitialContextSetupResponse{}, icsResponseFrom)
	register(&message.InitialContextSetupFailure{}, icsFailureFrom)
	register(&message.UEContextReleaseRequest{}, releaseRequestFrom)
	register(&message.UEContextReleaseCommand{}, releaseCommandFrom)
	register(&message.UEContextReleaseComplete{}, func(m *message.UEContextReleaseComplete) (Message, error) {
		ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
		return &UEContextReleaseComplete{UEIDs: ids}, err
	})
}
