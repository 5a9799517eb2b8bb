package nas5g

import (
	"fmt"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// 5GMM causes used by our procedures (TS 24.501 9.11.3.2).
const (
	CauseIllegalUE                   uint8 = 3
	CausePLMNNotAllowed              uint8 = 11
	CauseTANotAllowed                uint8 = 12
	CauseMACFailure                  uint8 = 20
	CauseSynchFailure                uint8 = 21
	CauseCongestion                  uint8 = 22
	CauseUESecurityCapMismatch       uint8 = 23
	CauseSecurityModeRejected        uint8 = 24
	CauseNon5GAuthUnacceptable       uint8 = 26
	CauseNoNetworkSlicesAvailable    uint8 = 62
	CauseSemanticallyIncorrect       uint8 = 95
	CauseProtocolErrorUnspecified    uint8 = 111
	CauseUEIdentityCannotBeDerived   uint8 = 9
	CauseImplicitlyDeregistered      uint8 = 10
	CauseDNNNotSupportedInSlice      uint8 = 91
	CausePayloadNotForwarded         uint8 = 90
	CauseMessageTypeNonExistent      uint8 = 97
	CauseInvalidMandatoryInformation uint8 = 96
)

// 5GSM causes used by our procedures (TS 24.501 9.11.4.2).
const (
	SMCauseInsufficientResources      uint8 = 26
	SMCauseMissingOrUnknownDNN        uint8 = 27
	SMCauseUnknownPDUSessionType      uint8 = 28
	SMCauseRequestRejected            uint8 = 31
	SMCauseRegularDeactivation        uint8 = 36
	SMCauseNetworkFailure             uint8 = 38
	SMCauseInvalidPDUSessionID        uint8 = 43
	SMCauseNotSupportedSSCMode        uint8 = 68
	SMCauseMissingOrUnknownDNNInSlice uint8 = 70
)

func encode(m message.Message) ([]byte, error) {
	b, err := m.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("nas5g: encode %v: %w", m.MsgType(), err)
	}
	return b, nil
}

func cause5GMM(v uint8) *ie.Cause5GMM { return &ie.Cause5GMM{Value: v} }

func causeOf(c *ie.Cause5GMM) (uint8, error) {
	if c == nil {
		return 0, fmt.Errorf("missing 5GMM cause")
	}
	return c.Value, nil
}

func optCause5GMM(v uint8) *ie.Cause5GMM {
	if v == 0 {
		return nil
	}
	return cause5GMM(v)
}

func optCauseOf(c *ie.Cause5GMM) uint8 {
	if c == nil {
		return 0
	}
	return c.Value
}

func cause5GSM(v uint8) *ie.Cause5GSM { return &ie.Cause5GSM{Value: v} }

func optCause5GSM(v uint8) *ie.Cause5GSM {
	if v == 0 {
		return nil
	}
	return cause5GSM(v)
}

func smCauseOf(c *ie.Cause5GSM) uint8 {
	if c == nil {
		return 0
	}
	return c.Value
}

// psiBitmap turns a PSI list into a bitmap whose bit i is PDU session i.
func psiBitmap(p *ie.Psi) uint16 {
	if p == nil {
		return 0
	}
	var v uint16
	for i, on := range p.PSI {
		if on {
			v |= 1 << i
		}
	}
	return v
}

func psiList(v uint16) ie.Psi {
	var p ie.Psi
	for i := range p.PSI {
		p.PSI[i] = v&(1<<i) != 0
	}
	return p
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func nasContainer(b []byte) *ie.NASMsgCntr {
	if len(b) == 0 {
		return nil
	}
	return &ie.NASMsgCntr{Contents: cloneBytes(b)}
}

func containerBytes(c *ie.NASMsgCntr) []byte {
	if c == nil {
		return nil
	}
	return cloneBytes(c.Contents)
}

func fixed16(name string, b []byte) ([16]byte, error) {
	var out [16]byte
	if len(b) != len(out) {
		return out, fmt.Errorf("%s of %d octets, want 16", name, len(b))
	}
	copy(out[:], b)
	return out, nil
}
