// Package radio is the simulated air interface between corebox's UE
// simulator and gNB simulator: one UDP datagram per message, on port 4997
// of the lab's ran network. It stands in for RRC and the radio bearers;
// everything from the gNB inward (NGAP on N2, GTP-U on N3) is real.
//
// A message is a 12-byte header and a body:
//
//	0     version (1)
//	1     type
//	2..3  PDU session ID (data messages; else 0)
//	4..7  UE ID, chosen by the UE simulator, unique within it
//	8..11 body length
//	12..  body: a NAS PDU, an IP packet, or a 5G-S-TMSI (paging)
//
// The gNB knows a UE by its simulator's address and its UE ID.
package radio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Port is the gNB's radio port.
const Port = 4997

// Version is the only header version.
const Version = 1

// HeaderLen is the fixed header size.
const HeaderLen = 12

// MaxBody bounds a body: an IP packet of the largest MTU or a NAS PDU.
const MaxBody = 65000

// Type is a message type.
type Type uint8

// Message types.
const (
	// Connect (UE→gNB): RRC setup with the initial NAS PDU (registration or
	// service request). Body: NAS PDU.
	Connect Type = 1
	// UplinkNAS (UE→gNB). Body: NAS PDU.
	UplinkNAS Type = 2
	// DownlinkNAS (gNB→UE). Body: NAS PDU.
	DownlinkNAS Type = 3
	// UplinkData (UE→gNB). Body: IP packet of PDU session Session.
	UplinkData Type = 4
	// DownlinkData (gNB→UE). Body: IP packet of PDU session Session.
	DownlinkData Type = 5
	// Release (gNB→UE): RRC release; the UE is CM-IDLE. Empty body.
	Release Type = 6
	// Paging (gNB→UE simulators). Body: the 5G-S-TMSI (6 bytes: AMF set
	// ID and pointer in 2 bytes as in TS 23.003, then the 5G-TMSI).
	Paging Type = 7
	// Inactive (UE→gNB): the UE has nothing to send; the gNB asks the AMF
	// to release its context (cause user inactivity). Empty body.
	Inactive Type = 8
	// SessionReady (gNB→UE): the PDU session's user plane is set up.
	SessionReady Type = 9
)

var typeNames = map[Type]string{Connect: "connect", UplinkNAS: "uplink-nas", DownlinkNAS: "downlink-nas",
	UplinkData: "uplink-data", DownlinkData: "downlink-data", Release: "release", Paging: "paging",
	Inactive: "inactive", SessionReady: "session-ready"}

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Message is one decoded datagram. Body aliases the decoded buffer.
type Message struct {
	Type    Type
	Session uint16
	UE      uint32
	Body    []byte
}

// Errors of Decode.
var (
	ErrShort   = errors.New("radio: shorter than its header")
	ErrVersion = errors.New("radio: unknown version")
	ErrType    = errors.New("radio: unknown message type")
	ErrLength  = errors.New("radio: body length disagrees with the datagram")
	ErrBody    = errors.New("radio: body not allowed for this type")
)

// Decode parses one datagram.
func Decode(b []byte) (Message, error) {
	if len(b) < HeaderLen {
		return Message{}, ErrShort
	}
	if b[0] != Version {
		return Message{}, fmt.Errorf("%w %d", ErrVersion, b[0])
	}
	m := Message{Type: Type(b[1]), Session: binary.BigEndian.Uint16(b[2:]), UE: binary.BigEndian.Uint32(b[4:])}
	if _, ok := typeNames[m.Type]; !ok {
		return Message{}, fmt.Errorf("%w %d", ErrType, b[1])
	}
	n := binary.BigEndian.Uint32(b[8:])
	if n > MaxBody || int(n) != len(b)-HeaderLen {
		return Message{}, fmt.Errorf("%w: header says %d, datagram has %d", ErrLength, n, len(b)-HeaderLen)
	}
	m.Body = b[HeaderLen:]
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// check enforces what each type carries.
func (m Message) check() error {
	switch m.Type {
	case Release, Inactive:
		if len(m.Body) != 0 {
			return fmt.Errorf("%w: %s carries no body", ErrBody, m.Type)
		}
	case Paging:
		if len(m.Body) != 6 {
			return fmt.Errorf("%w: paging carries a 6-byte 5G-S-TMSI, got %d bytes", ErrBody, len(m.Body))
		}
	case Connect, UplinkNAS, DownlinkNAS, UplinkData, DownlinkData:
		if len(m.Body) == 0 {
			return fmt.Errorf("%w: %s needs a body", ErrBody, m.Type)
		}
	}
	if (m.Type == UplinkData || m.Type == DownlinkData || m.Type == SessionReady) != (m.Session != 0) {
		return fmt.Errorf("%w: a PDU session ID belongs to data and session-ready messages only", ErrBody)
	}
	return nil
}

// Append encodes m onto dst and returns the extended slice.
func Append(dst []byte, m Message) ([]byte, error) {
	if len(m.Body) > MaxBody {
		return dst, fmt.Errorf("radio: body of %d bytes exceeds %d", len(m.Body), MaxBody)
	}
	if _, ok := typeNames[m.Type]; !ok {
		return dst, fmt.Errorf("%w %d", ErrType, m.Type)
	}
	if err := m.check(); err != nil {
		return dst, err
	}
	var h [HeaderLen]byte
	h[0], h[1] = Version, byte(m.Type)
	binary.BigEndian.PutUint16(h[2:], m.Session)
	binary.BigEndian.PutUint32(h[4:], m.UE)
	binary.BigEndian.PutUint32(h[8:], uint32(len(m.Body)))
	return append(append(dst, h[:]...), m.Body...), nil
}
