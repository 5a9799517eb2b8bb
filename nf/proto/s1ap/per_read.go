package s1ap

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
)

// reader is writer's mirror over free5gc's aligned-PER decoder. The
// decoder can panic on hostile input; callers run readers under guard.
type reader struct {
	pd  *aper.PerBitData
	err error
}

func newReader(b []byte) *reader { return &reader{pd: aper.NewPerBitData(b)} }

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) keep(err error, what string) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: %w", what, err)
	}
}

// seqHead is a decoded SEQUENCE preamble; end must be called after the
// root components to step over any extension additions.
type seqHead struct {
	extended bool
	present  []bool
}

// seq reads a SEQUENCE preamble with nopt OPTIONAL components.
func (r *reader) seq(extensible bool, nopt int) seqHead {
	var h seqHead
	if r.err != nil {
		return h
	}
	if extensible {
		ext, err := r.pd.ReadExtensible()
		r.keep(err, "sequence")
		h.extended = ext
	}
	h.present = make([]bool, nopt)
	for i := range h.present {
		b, err := r.pd.ReadBool()
		r.keep(err, "sequence")
		h.present[i] = b
	}
	return h
}

// end skips the extension additions of a SEQUENCE read with seq: a
// bitmap of which are present, then each as an open type.
func (r *reader) end(h seqHead) {
	if r.err != nil || !h.extended {
		return
	}
	n, err := r.pd.ReadLength(true, nil, nil)
	r.keep(err, "extension bitmap")
	if r.err != nil || n > 4096 {
		r.fail("extension bitmap of %d", n)
		return
	}
	var count int
	for range n {
		b, err := r.pd.ReadBool()
		r.keep(err, "extension bitmap")
		if b {
			count++
		}
	}
	for range count {
		r.openBytes()
	}
}

// extensions skips a ProtocolExtensionContainer (SIZE (1..65535)) of
// ProtocolExtensionFields: nothing in those we read.
func (r *reader) extensions() {
	n := r.seqOf(1, 65535)
	for i := 0; i < n && r.err == nil; i++ {
		r.seq(false, 0)
		r.integer(0, 65535, false)
		r.enum(3, false)
		r.openBytes()
	}
}

// integer reads INTEGER (lb..ub) or (lb..ub, ...), refusing values outside
// the root (we know no S1AP integer extension values).
func (r *reader) integer(lb, ub int64, ext bool) int64 {
	if r.err != nil {
		return 0
	}
	v, err := r.pd.ReadInteger(ext, &lb, &ub)
	r.keep(err, "integer")
	if r.err == nil && (v < lb || v > ub) {
		r.fail("integer %d outside %d..%d", v, lb, ub)
	}
	if r.err != nil {
		return 0
	}
	return v
}

// enum reads an ENUMERATED with root values 0..root-1; extension values
// come back as root+index.
func (r *reader) enum(root int, ext bool) uint64 {
	if r.err != nil {
		return 0
	}
	lb, ub := int64(0), int64(root-1)
	v, err := r.pd.ReadEnumerated(ext, &lb, &ub)
	r.keep(err, "enumerated")
	if r.err != nil {
		return 0
	}
	return uint64(v)
}

// choice reads a CHOICE index; an extension alternative comes back as
// root+index, its value still to be read as an open type.
func (r *reader) choice(root int, ext bool) int {
	if r.err != nil {
		return 0
	}
	ub := int64(root - 1)
	if ext {
		isExt, err := r.pd.ReadExtensible()
		r.keep(err, "choice")
		if r.err != nil {
			return 0
		}
		if isExt {
			v, err := r.pd.ReadWholeNum(true, nil, nil)
			r.keep(err, "choice")
			if r.err == nil && (v < 0 || v > 1<<16) {
				r.fail("choice extension %d", v)
			}
			if r.err != nil {
				return 0
			}
			return root + int(v)
		}
	}
	if root == 1 {
		return 0
	}
	v, err := r.pd.ReadChoicePreambleBitMap(false, &ub)
	r.keep(err, "choice")
	if r.err == nil && (v < 0 || v > ub) {
		r.fail("choice %d outside 0..%d", v, ub)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

// octets reads an OCTET STRING (SIZE (lb..ub[, ...])).
func (r *reader) octets(lb, ub int, ext bool) []byte {
	if r.err != nil {
		return nil
	}
	var os aper.OctetString
	var err error
	if ub == unbounded {
		os, err = r.pd.ReadOctetString(false, nil, nil)
	} else {
		l, u := uint64(lb), uint64(ub)
		os, err = r.pd.ReadOctetString(ext, &l, &u)
	}
	r.keep(err, "octet string")
	if r.err == nil && (len(os) < lb || (ub != unbounded && len(os) > ub)) {
		r.fail("octet string of %d octets outside %d..%d", len(os), lb, ub)
	}
	return []byte(os)
}

// bits reads a BIT STRING (SIZE (lb..ub[, ...])): the bits left-aligned
// and their count.
func (r *reader) bits(lb, ub int, ext bool) ([]byte, int) {
	if r.err != nil {
		return nil, 0
	}
	l, u := uint64(lb), uint64(ub)
	bs, err := r.pd.ReadBitString(ext, &l, &u)
	r.keep(err, "bit string")
	n := int(bs.BitLength)
	if r.err == nil && (n < lb || n > ub || len(bs.Bytes) < (n+7)/8) {
		r.fail("bit string of %d bits outside %d..%d", n, lb, ub)
	}
	return bs.Bytes, n
}

// uintBits reads a BIT STRING (SIZE (n)) as a number, n at most 64.
func (r *reader) uintBits(n int) uint64 {
	b, got := r.bits(n, n, false)
	if r.err != nil || got != n {
		return 0
	}
	var v uint64
	for i := 0; i < (n+7)/8; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v >> ((8 - n%8) % 8)
}

// seqOf reads the length of a SEQUENCE (SIZE (lb..ub)) OF.
func (r *reader) seqOf(lb, ub int) int {
	if r.err != nil {
		return 0
	}
	l, u := uint64(lb), uint64(ub)
	n, err := r.pd.ReadSequenceOfPreambleBitMap(false, &l, &u)
	r.keep(err, "list")
	if r.err == nil && (n < uint64(lb) || n > uint64(ub)) {
		r.fail("list of %d items outside %d..%d", n, lb, ub)
	}
	return int(n)
}

// openBytes reads an open type's octets.
func (r *reader) openBytes() []byte {
	if r.err != nil {
		return nil
	}
	b, err := r.pd.ReadOpenType()
	r.keep(err, "open type")
	return b
}

// open reads an open type and decodes it with read.
func (r *reader) open(read func(*reader)) {
	b := r.openBytes()
	if r.err != nil {
		return
	}
	inner := newReader(b)
	read(inner)
	if inner.err != nil {
		r.err = inner.err
	}
}
