package s1ap

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
)

// writer is a thin layer over free5gc's aligned-PER encoder: one method
// per ASN.1 construct S1AP uses, with the constraints as arguments and the
// first error kept, so IE encoders read like their ASN.1.
type writer struct {
	pd  *aper.PerBitData
	err error
}

func newWriter() *writer { return &writer{pd: aper.NewPerBitData(nil)} }

func (w *writer) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

func (w *writer) keep(err error, what string) {
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("%s: %w", what, err)
	}
}

// bytes is the encoding so far, padded to an octet.
func (w *writer) bytes() []byte { return w.pd.Bytes() }

// seq writes a SEQUENCE preamble: the extension bit (always 0: we send no
// extension additions) and one presence bit per OPTIONAL component.
func (w *writer) seq(extensible bool, present ...bool) {
	if w.err == nil {
		w.keep(w.pd.WriteSequencePreambleBitMap(present, extensible), "sequence")
	}
}

// integer writes INTEGER (lb..ub) or, when ext, INTEGER (lb..ub, ...);
// values outside the root are refused, as we never send extension values.
func (w *writer) integer(v, lb, ub int64, ext bool) {
	if w.err != nil {
		return
	}
	if v < lb || v > ub {
		w.fail("integer %d outside %d..%d", v, lb, ub)
		return
	}
	w.keep(w.pd.WriteInteger(v, ext, &lb, &ub), "integer")
}

// enum writes an ENUMERATED with root values 0..root-1 and, when ext,
// extension values from root on (up to root+extra-1).
func (w *writer) enum(v uint64, root, extra int, ext bool) {
	if w.err != nil {
		return
	}
	if v >= uint64(root+extra) {
		w.fail("enumerated %d outside 0..%d", v, root+extra-1)
		return
	}
	lb, ub := int64(0), int64(root-1)
	w.keep(w.pd.WriteEnumerated(aper.Enumerated(v), ext, &lb, &ub), "enumerated")
}

// choice writes a CHOICE index among root alternatives; an index at or past
// root (extensible CHOICEs only) selects an extension alternative, whose
// value the caller then writes with open.
func (w *writer) choice(idx, root int, ext bool) {
	if w.err != nil {
		return
	}
	if idx < 0 || (!ext && idx >= root) {
		w.fail("choice %d outside 0..%d", idx, root-1)
		return
	}
	if idx >= root {
		// free5gc would write the index itself, not its place among
		// the extensions: write the preamble by hand.
		w.pd.WriteExtensible(true)
		w.keep(w.pd.WriteWholeNum(true, int64(idx-root), nil, nil), "choice")
		return
	}
	ub := int64(root - 1)
	w.keep(w.pd.WriteChoicePreambleBitMap(int64(idx), ext, &ub), "choice")
}

// unbounded is the upper bound of a SIZE without one.
const unbounded = -1

// octets writes an OCTET STRING (SIZE (lb..ub)), or (SIZE (lb..ub, ...))
// when ext; ub is unbounded for a plain OCTET STRING.
func (w *writer) octets(b []byte, lb, ub int, ext bool) {
	if w.err != nil {
		return
	}
	if len(b) < lb || (ub != unbounded && len(b) > ub) {
		w.fail("octet string of %d octets outside %d..%d", len(b), lb, ub)
		return
	}
	if ub == unbounded {
		w.keep(w.pd.WriteOctetString(b, false, nil, nil), "octet string")
		return
	}
	l, u := uint64(lb), uint64(ub)
	w.keep(w.pd.WriteOctetString(b, ext, &l, &u), "octet string")
}

// bits writes a BIT STRING of n bits, left-aligned in b, constrained to
// SIZE (lb..ub) or (lb..ub, ...).
func (w *writer) bits(b []byte, n, lb, ub int, ext bool) {
	if w.err != nil {
		return
	}
	if n < lb || n > ub || len(b) < (n+7)/8 {
		w.fail("bit string of %d bits outside %d..%d", n, lb, ub)
		return
	}
	// WriteBitString masks the last octet in place: hand it a copy.
	c := append([]byte(nil), b[:(n+7)/8]...)
	l, u := uint64(lb), uint64(ub)
	w.keep(w.pd.WriteBitString(aper.BitString{Bytes: c, BitLength: uint64(n)}, ext, &l, &u), "bit string")
}

// uintBits writes the low n bits of v as a fixed-size BIT STRING (SIZE (n)).
func (w *writer) uintBits(v uint64, n int) {
	if n < 64 && v>>n != 0 {
		w.fail("%#x does not fit %d bits", v, n)
		return
	}
	var b [8]byte
	v <<= 64 - n
	for i := range b {
		b[i] = byte(v >> (56 - 8*i))
	}
	w.bits(b[:], n, n, n, false)
}

// seqOf writes the length of a SEQUENCE (SIZE (lb..ub)) OF.
func (w *writer) seqOf(n, lb, ub int) {
	if w.err != nil {
		return
	}
	if n < lb || n > ub {
		w.fail("list of %d items outside %d..%d", n, lb, ub)
		return
	}
	l, u := uint64(lb), uint64(ub)
	w.keep(w.pd.WriteSequenceOfPreambleBitMap(uint64(n), false, &l, &u), "list")
}

// open writes what fill encodes as an open type: its own octet-aligned
// encoding behind a length.
func (w *writer) open(fill func(*writer)) {
	if w.err != nil {
		return
	}
	inner := newWriter()
	fill(inner)
	if inner.err != nil {
		w.err = inner.err
		return
	}
	w.keep(w.pd.WriteOpenType(inner.bytes()), "open type")
}
