package s1ap

import "fmt"

// PLMN is a PLMN identity: a 3-digit MCC and a 2- or 3-digit MNC.
type PLMN struct {
	MCC string
	MNC string
}

func (p PLMN) String() string { return p.MCC + "-" + p.MNC }

// Validate checks the digit counts.
func (p PLMN) Validate() error {
	if len(p.MCC) != 3 || !digitsOnly(p.MCC) || (len(p.MNC) != 2 && len(p.MNC) != 3) || !digitsOnly(p.MNC) {
		return fmt.Errorf("PLMN %q-%q: want 3 MCC and 2 or 3 MNC digits", p.MCC, p.MNC)
	}
	return nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plmnBytes is the S1AP TBCD layout (TS 36.413 9.2.3.8): the MCC digits,
// then a filler or the first MNC digit, then the rest of the MNC, two
// digits an octet, low nibble first.
func plmnBytes(p PLMN) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d := []byte(p.MCC + p.MNC)
	for i := range d {
		d[i] -= '0'
	}
	if len(p.MNC) == 2 {
		d = []byte{d[0], d[1], d[2], 0xF, d[3], d[4]}
	}
	return []byte{d[1]<<4 | d[0], d[3]<<4 | d[2], d[5]<<4 | d[4]}, nil
}

func plmnFromBytes(b []byte) (PLMN, error) {
	if len(b) != 3 {
		return PLMN{}, fmt.Errorf("PLMN identity of %d octets", len(b))
	}
	d := []byte{b[0] & 0xF, b[0] >> 4, b[1] & 0xF, b[1] >> 4, b[2] & 0xF, b[2] >> 4}
	if d[3] == 0xF {
		d = append(d[:3], d[4:]...)
	}
	for i := range d {
		if d[i] > 9 {
			return PLMN{}, fmt.Errorf("PLMN identity %x is not BCD", b)
		}
		d[i] += '0'
	}
	return PLMN{MCC: string(d[:3]), MNC: string(d[3:])}, nil
}

func (w *writer) plmn(p PLMN) {
	b, err := plmnBytes(p)
	if err != nil {
		w.fail("%w", err)
		return
	}
	w.octets(b, 3, 3, false)
}

func (r *reader) plmn() PLMN {
	b := r.octets(3, 3, false)
	if r.err != nil {
		return PLMN{}
	}
	p, err := plmnFromBytes(b)
	if err != nil {
		r.fail("%w", err)
	}
	return p
}

// TAI is a tracking area identity.
type TAI struct {
	PLMN PLMN
	TAC  uint16
}

func (w *writer) tai(t TAI) {
	w.seq(true, false)
	w.plmn(t.PLMN)
	w.octets([]byte{byte(t.TAC >> 8), byte(t.TAC)}, 2, 2, false)
}

func (r *reader) tai() TAI {
	h := r.seq(true, 1)
	t := TAI{PLMN: r.plmn()}
	if b := r.octets(2, 2, false); r.err == nil {
		t.TAC = uint16(b[0])<<8 | uint16(b[1])
	}
	r.tail(h)
	return t
}

// tail finishes a SEQUENCE whose one OPTIONAL component is iE-Extensions.
func (r *reader) tail(h seqHead) {
	if r.err == nil && len(h.present) > 0 && h.present[len(h.present)-1] {
		r.extensions()
	}
	r.end(h)
}

// ECGI is an E-UTRAN cell global identity; CellID is 28 bits (eNB ID and
// cell).
type ECGI struct {
	PLMN   PLMN
	CellID uint32
}

func (w *writer) ecgi(e ECGI) {
	w.seq(true, false)
	w.plmn(e.PLMN)
	w.uintBits(uint64(e.CellID), 28)
}

func (r *reader) ecgi() ECGI {
	h := r.seq(true, 1)
	e := ECGI{PLMN: r.plmn(), CellID: uint32(r.uintBits(28))}
	r.tail(h)
	return e
}

// ENBIDKind is which ENB-ID choice a Global eNB ID takes, each its own
// width in bits.
type ENBIDKind uint8

const (
	MacroENB      ENBIDKind = iota // 20 bits
	HomeENB                        // 28 bits
	ShortMacroENB                  // 18 bits (an extension choice)
	LongMacroENB                   // 21 bits (an extension choice)
)

var enbIDBits = [...]int{MacroENB: 20, HomeENB: 28, ShortMacroENB: 18, LongMacroENB: 21}

// GlobalENBID identifies an eNB.
type GlobalENBID struct {
	PLMN PLMN
	Kind ENBIDKind
	ID   uint32
}

func (w *writer) globalENBID(g GlobalENBID) {
	if int(g.Kind) >= len(enbIDBits) {
		w.fail("eNB ID kind %d", g.Kind)
		return
	}
	n := enbIDBits[g.Kind]
	w.seq(true, false)
	w.plmn(g.PLMN)
	w.choice(int(g.Kind), 2, true)
	if g.Kind < ShortMacroENB {
		w.uintBits(uint64(g.ID), n)
		return
	}
	w.open(func(v *writer) { v.uintBits(uint64(g.ID), n) })
}

func (r *reader) globalENBID() GlobalENBID {
	h := r.seq(true, 1)
	g := GlobalENBID{PLMN: r.plmn()}
	kind := r.choice(2, true)
	switch {
	case r.err != nil:
	case kind < int(ShortMacroENB):
		g.Kind = ENBIDKind(kind)
		g.ID = uint32(r.uintBits(enbIDBits[kind]))
	case kind < len(enbIDBits):
		g.Kind = ENBIDKind(kind)
		r.open(func(v *reader) { g.ID = uint32(v.uintBits(enbIDBits[kind])) })
	default:
		r.fail("unknown ENB-ID choice %d", kind)
	}
	r.tail(h)
	return g
}

// GUMMEI is a globally unique MME identifier.
type GUMMEI struct {
	PLMN    PLMN
	GroupID uint16
	Code    uint8
}

func (w *writer) gummei(g GUMMEI) {
	w.seq(true, false)
	w.plmn(g.PLMN)
	w.octets([]byte{byte(g.GroupID >> 8), byte(g.GroupID)}, 2, 2, false)
	w.octets([]byte{g.Code}, 1, 1, false)
}

func (r *reader) gummei() GUMMEI {
	h := r.seq(true, 1)
	g := GUMMEI{PLMN: r.plmn()}
	if b := r.octets(2, 2, false); r.err == nil {
		g.GroupID = uint16(b[0])<<8 | uint16(b[1])
	}
	if b := r.octets(1, 1, false); r.err == nil {
		g.Code = b[0]
	}
	r.tail(h)
	return g
}

// STMSI is the S-TMSI: MME code and M-TMSI.
type STMSI struct {
	MMEC  uint8
	MTMSI uint32
}

func (w *writer) stmsi(s STMSI) {
	w.seq(true, false)
	w.octets([]byte{s.MMEC}, 1, 1, false)
	w.octets([]byte{byte(s.MTMSI >> 24), byte(s.MTMSI >> 16), byte(s.MTMSI >> 8), byte(s.MTMSI)}, 4, 4, false)
}

func (r *reader) stmsi() STMSI {
	h := r.seq(true, 1)
	var s STMSI
	if b := r.octets(1, 1, false); r.err == nil {
		s.MMEC = b[0]
	}
	if b := r.octets(4, 4, false); r.err == nil {
		s.MTMSI = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	r.tail(h)
	return s
}

// UEIDs is the pair of UE S1AP IDs of a UE-associated message.
type UEIDs struct {
	MMEUES1APID uint32
	ENBUES1APID uint32 // 24 bits
}

const maxENBUES1APID = 1<<24 - 1

func mmeUEID(v uint32) func(*writer) {
	return func(w *writer) { w.integer(int64(v), 0, 1<<32-1, false) }
}

func enbUEID(v uint32) func(*writer) {
	return func(w *writer) { w.integer(int64(v), 0, maxENBUES1APID, false) }
}

func (r *reader) mmeUEID() uint32 { return uint32(r.integer(0, 1<<32-1, false)) }
func (r *reader) enbUEID() uint32 { return uint32(r.integer(0, maxENBUES1APID, false)) }

// addIDs adds the MME and eNB UE S1AP IDs with the message's criticality.
func (s *ies) addIDs(u UEIDs, crit criticality) {
	s.add(idMMEUES1APID, crit, mmeUEID(u.MMEUES1APID))
	s.add(idENBUES1APID, crit, enbUEID(u.ENBUES1APID))
}

func (s *ieSet) ids() UEIDs {
	var u UEIDs
	s.need(idMMEUES1APID, func(r *reader) { u.MMEUES1APID = r.mmeUEID() })
	s.need(idENBUES1APID, func(r *reader) { u.ENBUES1APID = r.enbUEID() })
	return u
}
