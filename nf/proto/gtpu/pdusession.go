package gtpu

// PDU types of the PDU Session Container (TS 38.415 §5.5.3.1).
const (
	PDUTypeDL uint8 = 0 // DL PDU SESSION INFORMATION
	PDUTypeUL uint8 = 1 // UL PDU SESSION INFORMATION
)

// PDUSessionInfo is the part of the PDU Session Container (TS 38.415) the
// user plane acts on. RQI, PPP and PPI exist only in downlink frames.
type PDUSessionInfo struct {
	Present bool
	PDUType uint8 // PDUTypeDL or PDUTypeUL
	QFI     uint8 // 6 bits
	RQI     bool  // reflective QoS indication (DL)
	PPP     bool  // paging policy presence (DL): PPI is valid
	PPI     uint8 // paging policy indicator, 3 bits (DL)
}

// decode reads the fixed leading octets of a container's content; further
// optional fields stay in the raw content.
func (p *PDUSessionInfo) decode(c []byte) error {
	if len(c) < 2 {
		return ErrPDUSession
	}
	typ := c[0] >> 4
	switch typ {
	case PDUTypeDL:
		ppp := c[1]&0x80 != 0
		ppi := uint8(0)
		if ppp {
			if len(c) < 3 {
				return ErrPDUSession
			}
			ppi = c[2] >> 5
		}
		*p = PDUSessionInfo{Present: true, PDUType: typ, QFI: c[1] & 0x3f,
			RQI: c[1]&0x40 != 0, PPP: ppp, PPI: ppi}
	case PDUTypeUL:
		*p = PDUSessionInfo{Present: true, PDUType: typ, QFI: c[1] & 0x3f}
	default:
		return ErrPDUSession
	}
	return nil
}

// contentLen is the rendered content length (4n-2 octets).
func (p *PDUSessionInfo) contentLen() int {
	if p.PDUType == PDUTypeDL && p.PPP {
		return 6
	}
	return 2
}

func (p *PDUSessionInfo) validate() error {
	if p.PDUType > PDUTypeUL || p.QFI > 0x3f || p.PPI > 7 {
		return ErrBadPDUSession
	}
	if p.PDUType == PDUTypeUL && (p.RQI || p.PPP || p.PPI != 0) {
		return ErrBadPDUSession
	}
	return nil
}

// render writes the content into b, which holds contentLen octets.
func (p *PDUSessionInfo) render(b []byte) {
	b[0] = p.PDUType << 4
	b[1] = p.QFI & 0x3f
	if p.PDUType != PDUTypeDL {
		return
	}
	if p.RQI {
		b[1] |= 0x40
	}
	if p.PPP {
		b[1] |= 0x80
		b[2] = p.PPI << 5
		clear(b[3:])
	}
}

// SetPDUSession makes the header carry exactly one extension header, a PDU
// Session Container rendered from p.
func (h *Header) SetPDUSession(p PDUSessionInfo) {
	p.Present = true
	h.PDUSession = p
	h.Ext[0] = ExtHeader{Type: ExtPDUSessionContainer}
	h.NumExt = 1
}
