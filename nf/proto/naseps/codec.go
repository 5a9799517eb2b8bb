package naseps

import (
	"errors"
	"fmt"
)

// reader walks a message body. The first failure sticks; later reads
// return zero values, so decoders read straight through and check r.err
// once.
type reader struct {
	msg string
	b   []byte
	err error
}

func (r *reader) fail(field string, err error) {
	if r.err == nil {
		r.err = &DecodeError{Message: r.msg, Field: field, Err: err}
	}
}

// check records err (from an IE value decoder) against field.
func (r *reader) check(field string, err error) bool {
	if err != nil {
		r.fail(field, err)
		return false
	}
	return r.err == nil
}

func (r *reader) take(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail(field, fmt.Errorf("%w: need %d octets, have %d", ErrTruncated, n, len(r.b)))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8(field string) byte {
	if v := r.take(field, 1); v != nil {
		return v[0]
	}
	return 0
}

// lv reads a 1-octet length and a value of min..max octets.
func (r *reader) lv(field string, min, max int) []byte {
	n := int(r.u8(field))
	return r.bounded(field, n, min, max)
}

// lve reads a 2-octet length and a value of min..max octets.
func (r *reader) lve(field string, min, max int) []byte {
	hl := r.take(field, 2)
	if hl == nil {
		return nil
	}
	return r.bounded(field, int(hl[0])<<8|int(hl[1]), min, max)
}

func (r *reader) bounded(field string, n, min, max int) []byte {
	if r.err != nil {
		return nil
	}
	if n < min || n > max {
		r.fail(field, fmt.Errorf("length %d outside %d..%d", n, min, max))
		return nil
	}
	return r.take(field, n)
}

// optIE is one optional IE: for type 1 IEs (IEI with bit 8 set) iei is the
// high nibble and v the low nibble; otherwise v is the value part.
type optIE struct {
	iei byte
	v   []byte
}

// optionals reads the non-imperative part. tv lists the IEs of this
// message that are type 3 (TV) with their total length; an IEI with bit 8
// set is a one-octet type 1/2 IE; 0x7X is TLV-E (TS 24.007 11.2.4); every
// other IEI is TLV, which is also how unknown IEs are skipped. Repeated
// IEs keep their first occurrence (TS 24.007 8.6.3).
func (r *reader) optionals(tv map[byte]int) []optIE {
	var out []optIE
	seen := map[byte]bool{}
	for r.err == nil && len(r.b) > 0 {
		iei := r.b[0]
		var e optIE
		switch {
		case iei&0x80 != 0:
			r.b = r.b[1:]
			e = optIE{iei: iei & 0xF0, v: []byte{iei & 0x0F}}
		case tv[iei] > 0:
			field := fmt.Sprintf("IE 0x%02X", iei)
			v := r.take(field, tv[iei])
			if v == nil {
				return out
			}
			e = optIE{iei: iei, v: v[1:]}
		case iei&0xF0 == 0x70:
			r.b = r.b[1:]
			e = optIE{iei: iei, v: r.lve(fmt.Sprintf("IE 0x%02X", iei), 0, 0xFFFF)}
		default:
			r.b = r.b[1:]
			e = optIE{iei: iei, v: r.lv(fmt.Sprintf("IE 0x%02X", iei), 0, 0xFF)}
		}
		if r.err != nil {
			return out
		}
		if !seen[e.iei] {
			seen[e.iei] = true
			out = append(out, e)
		}
	}
	return out
}

// writer builds a message. The first failure sticks, like reader's.
type writer struct {
	msg string
	b   []byte
	err error
}

func (w *writer) fail(field string, err error) {
	if w.err == nil {
		w.err = &EncodeError{Message: w.msg, Field: field, Err: err}
	}
}

// check records err from an IE value encoder against field.
func (w *writer) check(field string, err error) bool {
	if err != nil {
		w.fail(field, err)
		return false
	}
	return w.err == nil
}

func (w *writer) u8(v byte)        { w.b = append(w.b, v) }
func (w *writer) bytes(v []byte)   { w.b = append(w.b, v...) }
func (w *writer) u16(v uint16)     { w.b = append(w.b, byte(v>>8), byte(v)) }
func (w *writer) half(hi, lo byte) { w.u8(hi<<4 | lo&0x0F) }

func (w *writer) lv(field string, v []byte, min, max int) {
	if len(v) < min || len(v) > max {
		w.fail(field, fmt.Errorf("length %d outside %d..%d", len(v), min, max))
		return
	}
	w.u8(byte(len(v)))
	w.bytes(v)
}

func (w *writer) lve(field string, v []byte, min, max int) {
	if len(v) < min || len(v) > max {
		w.fail(field, fmt.Errorf("length %d outside %d..%d", len(v), min, max))
		return
	}
	w.u16(uint16(len(v)))
	w.bytes(v)
}

func (w *writer) tv(iei byte, v []byte) {
	w.u8(iei)
	w.bytes(v)
}

func (w *writer) tlv(field string, iei byte, v []byte, min, max int) {
	w.u8(iei)
	w.lv(field, v, min, max)
}

func (w *writer) tlve(field string, iei byte, v []byte, min, max int) {
	w.u8(iei)
	w.lve(field, v, min, max)
}

// tv1 writes a type 1 IE: the IEI in the high nibble, the value in the low.
func (w *writer) tv1(iei byte, v byte) { w.u8(iei&0xF0 | v&0x0F) }

// encodeIE runs an IE value encoder and records its error.
func encodeIE(w *writer, field string, enc func() ([]byte, error)) ([]byte, bool) {
	v, err := enc()
	if !w.check(field, err) {
		return nil, false
	}
	return v, true
}

var errValue = errors.New("value out of range")

func rangeErr(what string, v, max int) error {
	return fmt.Errorf("%w: %s %d, max %d", errValue, what, v, max)
}

// cloneBytes copies b; empty input gives nil, so decoded values compare
// equal to ones built with nil.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte{}, b...)
}
