package gtpu

import (
	"encoding/binary"
	"net/netip"
)

// Information element types on the GTP-U path (TS 29.281 §8).
const (
	IERecovery         uint8 = 14  // TV, 1 octet
	IETEIDDataI        uint8 = 16  // TV, 4 octets
	IEGSNAddress       uint8 = 133 // TLV: GTP-U peer address
	IEExtHeaderList    uint8 = 141 // TV with a one-octet length
	IEPrivateExtension uint8 = 255 // TLV
)

// ErrorIndication is what an Error Indication tells: the peer at PeerAddr
// has no tunnel TEID.
type ErrorIndication struct {
	TEID     uint32
	PeerAddr netip.Addr
}

// AppendEchoRequest appends an Echo Request (S=1, no IEs) to dst.
func AppendEchoRequest(dst []byte, seq uint16) []byte {
	h := Header{Type: MsgEchoRequest, Seq: seq, HasSeq: true}
	out, _ := Append(dst, &h, nil) // cannot fail: no extensions, no payload
	return out
}

// AppendEchoResponse appends an Echo Response carrying the Recovery IE.
func AppendEchoResponse(dst []byte, seq uint16, recovery uint8) []byte {
	h := Header{Type: MsgEchoResponse, Seq: seq, HasSeq: true}
	out, _ := Append(dst, &h, []byte{IERecovery, recovery})
	return out
}

// AppendEndMarker appends an End Marker for teid.
func AppendEndMarker(dst []byte, teid uint32) []byte {
	h := Header{Type: MsgEndMarker, TEID: teid}
	out, _ := Append(dst, &h, nil)
	return out
}

// AppendErrorIndication appends an Error Indication telling that local has
// no tunnel teid (TS 29.281 §7.3.1: TEID 0 in the header, S=1).
func AppendErrorIndication(dst []byte, seq uint16, ei ErrorIndication) ([]byte, error) {
	addr := ei.PeerAddr.Unmap()
	if !addr.IsValid() {
		return dst, ErrMissingIE
	}
	a := addr.AsSlice()
	var ies [5 + 3 + 16]byte
	ies[0] = IETEIDDataI
	binary.BigEndian.PutUint32(ies[1:5], ei.TEID)
	ies[5] = IEGSNAddress
	binary.BigEndian.PutUint16(ies[6:8], uint16(len(a)))
	n := 8 + copy(ies[8:], a)
	h := Header{Type: MsgErrorIndication, Seq: seq, HasSeq: true}
	return Append(dst, &h, ies[:n])
}

// tvLen is the value length of the TV information elements we can skip.
func tvLen(t uint8) (int, bool) {
	switch t {
	case IERecovery:
		return 1, true
	case IETEIDDataI:
		return 4, true
	}
	return 0, false
}

// walkIEs calls fn for every information element of a signalling payload.
func walkIEs(b []byte, fn func(t uint8, v []byte)) error {
	for len(b) > 0 {
		t := b[0]
		var v []byte
		switch {
		case t == IEExtHeaderList:
			if len(b) < 2 || len(b) < 2+int(b[1]) {
				return ErrIE
			}
			v, b = b[2:2+int(b[1])], b[2+int(b[1]):]
		case t < 128:
			n, ok := tvLen(t)
			if !ok || len(b) < 1+n {
				return ErrIE
			}
			v, b = b[1:1+n], b[1+n:]
		default:
			if len(b) < 3 {
				return ErrIE
			}
			n := int(binary.BigEndian.Uint16(b[1:3]))
			if len(b) < 3+n {
				return ErrIE
			}
			v, b = b[3:3+n], b[3+n:]
		}
		fn(t, v)
	}
	return nil
}

// ParseEchoResponse reads the Recovery IE of an Echo Response payload.
func ParseEchoResponse(payload []byte) (recovery uint8, err error) {
	found := false
	err = walkIEs(payload, func(t uint8, v []byte) {
		if t == IERecovery {
			recovery, found = v[0], true
		}
	})
	if err == nil && !found {
		err = ErrMissingIE
	}
	return recovery, err
}

// ParseErrorIndication reads the TEID Data I and GTP-U Peer Address IEs of
// an Error Indication payload.
func ParseErrorIndication(payload []byte) (ErrorIndication, error) {
	var ei ErrorIndication
	var haveTEID, badAddr bool
	err := walkIEs(payload, func(t uint8, v []byte) {
		switch t {
		case IETEIDDataI:
			ei.TEID, haveTEID = binary.BigEndian.Uint32(v), true
		case IEGSNAddress:
			a, ok := netip.AddrFromSlice(v)
			ei.PeerAddr, badAddr = a.Unmap(), !ok
		}
	})
	switch {
	case err != nil:
		return ei, err
	case badAddr:
		return ei, ErrIE
	case !haveTEID || !ei.PeerAddr.IsValid():
		return ei, ErrMissingIE
	}
	return ei, nil
}
