package s1ap

import "fmt"

// CNDomain is the core network domain a page is for.
type CNDomain uint8

const (
	CNDomainPS CNDomain = iota
	CNDomainCS
)

// Paging (TS 36.413 9.1.6). The UE paging identity is STMSI or, when that
// is nil, IMSI (6 to 15 digits). UEIdentityIndex is IMSI mod 1024.
type Paging struct {
	UEIdentityIndex uint16
	STMSI           *STMSI
	IMSI            string
	PagingDRX       *PagingDRX
	CNDomain        CNDomain
	TAIs            []TAI
}

func (*Paging) ProcedureCode() ProcedureCode { return ProcPaging }
func (*Paging) Kind() PDUKind                { return InitiatingMessage }

func (m *Paging) Encode() ([]byte, error) {
	if (m.STMSI == nil) == (m.IMSI == "") {
		return nil, fmt.Errorf("s1ap: Paging needs exactly one of S-TMSI and IMSI")
	}
	var s ies
	s.add(idUEIdentityIndexValue, critIgnore, func(w *writer) { w.uintBits(uint64(m.UEIdentityIndex), 10) })
	s.add(idUEPagingID, critIgnore, func(w *writer) {
		if m.STMSI != nil {
			w.choice(0, 2, true)
			w.stmsi(*m.STMSI)
			return
		}
		b, err := imsiBytes(m.IMSI)
		if err != nil {
			w.fail("%w", err)
			return
		}
		w.choice(1, 2, true)
		w.octets(b, 3, 8, false)
	})
	if m.PagingDRX != nil {
		s.add(idPagingDRX, critIgnore, pagingDRX(*m.PagingDRX))
	}
	s.add(idCNDomain, critIgnore, func(w *writer) { w.enum(uint64(m.CNDomain), 2, 0, false) })
	s.add(idTAIList, critIgnore, listOf(m.TAIs, idTAIItem, critIgnore, func(w *writer, t TAI) {
		w.seq(true, false)
		w.tai(t)
	}))
	return encodePDU(m, s)
}

// UEIdentityIndex is the UE identity index value of an IMSI: IMSI mod
// 1024 (TS 36.304 7.1).
func UEIdentityIndex(imsi string) (uint16, error) {
	if len(imsi) < 6 || len(imsi) > 15 || !digitsOnly(imsi) {
		return 0, fmt.Errorf("s1ap: IMSI %q: want 6 to 15 digits", imsi)
	}
	var mod uint64
	for i := 0; i < len(imsi); i++ {
		mod = (mod*10 + uint64(imsi[i]-'0')) % 1024
	}
	return uint16(mod), nil
}

// imsiBytes is the TBCD form of an IMSI (TS 23.003): two digits an
// octet, low nibble first, an F filling the last high nibble of an odd
// count.
func imsiBytes(imsi string) ([]byte, error) {
	if len(imsi) < 6 || len(imsi) > 15 || !digitsOnly(imsi) {
		return nil, fmt.Errorf("IMSI %q: want 6 to 15 digits", imsi)
	}
	b := make([]byte, (len(imsi)+1)/2)
	for i := range b {
		lo, hi := imsi[2*i]-'0', byte(0xF)
		if 2*i+1 < len(imsi) {
			hi = imsi[2*i+1] - '0'
		}
		b[i] = hi<<4 | lo
	}
	return b, nil
}

func imsiFromBytes(b []byte) (string, error) {
	d := make([]byte, 0, 2*len(b))
	for i, o := range b {
		lo, hi := o&0xF, o>>4
		if lo > 9 || (hi > 9 && !(hi == 0xF && i == len(b)-1)) {
			return "", fmt.Errorf("IMSI %x is not TBCD", b)
		}
		d = append(d, '0'+lo)
		if hi != 0xF {
			d = append(d, '0'+hi)
		}
	}
	if len(d) < 6 || len(d) > 15 {
		return "", fmt.Errorf("IMSI of %d digits", len(d))
	}
	return string(d), nil
}

// ParsePaging decodes a Paging.
func ParsePaging(b []byte) (*Paging, error) { return parseAs[*Paging](b) }

func init() {
	register(ProcPaging, InitiatingMessage, ueIDsNone, func(s *ieSet) Message {
		m := &Paging{}
		s.need(idUEIdentityIndexValue, func(r *reader) { m.UEIdentityIndex = uint16(r.uintBits(10)) })
		s.need(idUEPagingID, func(r *reader) {
			switch c := r.choice(2, true); {
			case r.err != nil:
			case c == 0:
				v := r.stmsi()
				m.STMSI = &v
			case c == 1:
				b := r.octets(3, 8, false)
				if r.err != nil {
					return
				}
				imsi, err := imsiFromBytes(b)
				if err != nil {
					r.fail("%w", err)
				}
				m.IMSI = imsi
			default:
				r.fail("unknown UEPagingID choice %d", c)
			}
		})
		s.opt(idPagingDRX, func(r *reader) { v := r.pagingDRX(); m.PagingDRX = &v })
		s.need(idCNDomain, func(r *reader) { m.CNDomain = CNDomain(r.enum(2, false)) })
		s.need(idTAIList, func(r *reader) {
			m.TAIs = readList(r, idTAIItem, func(v *reader) TAI {
				h := v.seq(true, 1)
				t := v.tai()
				v.tail(h)
				return t
			})
		})
		return m
	})
}
