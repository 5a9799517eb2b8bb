package nas5g

import (
	"fmt"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// SecurityModeCommand (TS 24.501 8.2.25). ABBA is optional here.
type SecurityModeCommand struct {
	EncAlg, IntAlg     uint8
	NgKSI              KSI
	ReplayedCapability UESecurityCapability
	IMEISVRequest      bool
	ABBA               []byte
}

func (*SecurityModeCommand) MessageType() MessageType { return MsgSecurityModeCommand }

func (r *SecurityModeCommand) Encode() ([]byte, error) {
	if r.EncAlg > 7 || r.IntAlg > 7 {
		return nil, fmt.Errorf("nas5g: algorithm identities %d/%d are over 3 bits", r.EncAlg, r.IntAlg)
	}
	ksi, err := ksiToIE(r.NgKSI)
	if err != nil {
		return nil, err
	}
	m := &message.SecModeCmd{
		SelectedNASSecAlgos: &ie.NASSecAlgos{
			CipheringAlgo: ie.AlgCiphering(r.EncAlg),
			MsgIntAlgo:    ie.AlgIntegrity(r.IntAlg),
		},
		Ngksi:                     ksi,
		ReplayedUESecCapabilities: secCapToIE(r.ReplayedCapability),
	}
	if r.IMEISVRequest {
		m.IMEISVReq = &ie.IMEISVReq{Value: ie.IMEISV_Requested}
	}
	if len(r.ABBA) > 0 {
		m.ABBA = &ie.ABBA{Abba: cloneBytes(r.ABBA)}
	}
	return encode(m)
}

// ParseSecurityModeCommand decodes a plain Security Mode Command.
func ParseSecurityModeCommand(plain []byte) (*SecurityModeCommand, error) {
	return parseAs[*SecurityModeCommand](plain, MsgSecurityModeCommand)
}

func securityModeCommandFrom(m *message.SecModeCmd) (Message, error) {
	if m.SelectedNASSecAlgos == nil || m.ReplayedUESecCapabilities == nil {
		return nil, fmt.Errorf("selected algorithms or replayed capabilities missing")
	}
	r := &SecurityModeCommand{
		EncAlg:             uint8(m.SelectedNASSecAlgos.CipheringAlgo),
		IntAlg:             uint8(m.SelectedNASSecAlgos.MsgIntAlgo),
		NgKSI:              ksiFromIE(m.Ngksi),
		ReplayedCapability: secCapFromIE(m.ReplayedUESecCapabilities),
		IMEISVRequest:      m.IMEISVReq != nil && m.IMEISVReq.Value == ie.IMEISV_Requested,
	}
	if m.ABBA != nil {
		r.ABBA = cloneBytes(m.ABBA.Abba)
	}
	return r, nil
}

// SecurityModeComplete (TS 24.501 8.2.26). IMEISV is 16 digits when the
// command asked for it; NASMessageContainer carries the initial message
// when the network asked for it.
type SecurityModeComplete struct {
	IMEISV              string
	NASMessageContainer []byte
}

func (*SecurityModeComplete) MessageType() MessageType { return MsgSecurityModeComplete }

func (r *SecurityModeComplete) Encode() ([]byte, error) {
	m := &message.SecModeComplete{NASMsgCntr: nasContainer(r.NASMessageContainer)}
	if r.IMEISV != "" {
		var err error
		if m.IMEISV, err = imeisvToIE(r.IMEISV); err != nil {
			return nil, err
		}
	}
	return encode(m)
}

// ParseSecurityModeComplete decodes a plain Security Mode Complete.
func ParseSecurityModeComplete(plain []byte) (*SecurityModeComplete, error) {
	return parseAs[*SecurityModeComplete](plain, MsgSecurityModeComplete)
}

func securityModeCompleteFrom(m *message.SecModeComplete) (Message, error) {
	r := &SecurityModeComplete{NASMessageContainer: containerBytes(m.NASMsgCntr)}
	if m.IMEISV != nil {
		var err error
		if r.IMEISV, err = imeisvFromIE(m.IMEISV); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// SecurityModeReject (TS 24.501 8.2.27).
type SecurityModeReject struct {
	Cause uint8
}

func (*SecurityModeReject) MessageType() MessageType { return MsgSecurityModeReject }

func (r *SecurityModeReject) Encode() ([]byte, error) {
	return encode(&message.SecModeRej{Cause5GMM: cause5GMM(r.Cause)})
}

// ParseSecurityModeReject decodes a plain Security Mode Reject.
func ParseSecurityModeReject(plain []byte) (*SecurityModeReject, error) {
	return parseAs[*SecurityModeReject](plain, MsgSecurityModeReject)
}

func init() {
	register(MsgSecurityModeCommand, securityModeCommandFrom)
	register(MsgSecurityModeComplete, securityModeCompleteFrom)
	register(MsgSecurityModeReject, func(m *message.SecModeRej) (Message, error) {
		c, err := causeOf(m.Cause5GMM)
		return &SecurityModeReject{Cause: c}, err
	})
}
