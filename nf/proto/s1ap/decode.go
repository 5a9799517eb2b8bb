package s1ap

import (
	"fmt"
	"slices"
)

// header is the part of an S1AP-PDU in front of the message's IEs.
type header struct {
	kind  PDUKind
	proc  ProcedureCode
	valid bool // kind and proc were read
}

// readHeader reads the S1AP-PDU choice, procedure code and criticality,
// and returns the message value's octets.
func readHeader(b []byte) (header, []byte, error) {
	if len(b) < 4 {
		return header{}, nil, fmt.Errorf("%w: %d octets", ErrMalformed, len(b))
	}
	r := newReader(b)
	kind := r.choice(3, true)
	if r.err == nil && kind > int(UnsuccessfulOutcome) {
		r.fail("S1AP-PDU extension choice %d", kind)
	}
	proc := r.integer(0, 255, false)
	r.enum(3, false)
	if r.err != nil {
		return header{}, nil, fmt.Errorf("%w: header: %w", ErrMalformed, r.err)
	}
	h := header{kind: PDUKind(kind), proc: ProcedureCode(proc), valid: true}
	val := r.openBytes()
	if r.err != nil {
		return h, nil, fmt.Errorf("%w: %s: %w", ErrMalformed, messageName(h.proc, h.kind), r.err)
	}
	return h, val, nil
}

// ieIn is one decoded ProtocolIE-Field, its value still encoded.
type ieIn struct {
	id    uint16
	value []byte
}

// readContainer reads a message value: SEQUENCE { ProtocolIE-Container, ... }.
func readContainer(b []byte) ([]ieIn, error) {
	r := newReader(b)
	h := r.seq(true, 0)
	list := readFields(r, 0, 65535, true)
	r.end(h)
	if r.err != nil {
		return nil, r.err
	}
	return list, nil
}

// readFields reads a SEQUENCE (SIZE (lb..ub)) OF ProtocolIE-Field. In a
// container (unique) an IE id twice is an error; in a list it is the rule.
func readFields(r *reader, lb, ub int, unique bool) []ieIn {
	n := r.seqOf(lb, ub)
	var list []ieIn
	for i := 0; i < n && r.err == nil; i++ {
		r.seq(false, 0)
		f := ieIn{id: uint16(r.integer(0, 65535, false))}
		r.enum(3, false) // criticality: we act on no IE we do not know
		f.value = r.openBytes()
		if r.err == nil && unique && slices.ContainsFunc(list, func(g ieIn) bool { return g.id == f.id }) {
			r.fail("IE %s twice", ieName(f.id))
		}
		list = append(list, f)
	}
	return list
}

// ieSet is a message's decoded IEs, read out by id.
type ieSet struct {
	list []ieIn
	err  error
}

func (s *ieSet) find(id uint16) (ieIn, bool) {
	for _, f := range s.list {
		if f.id == id {
			return f, true
		}
	}
	return ieIn{}, false
}

// need decodes the mandatory IE id with read.
func (s *ieSet) need(id uint16, read func(*reader)) {
	if s.err != nil {
		return
	}
	if !s.opt(id, read) && s.err == nil {
		s.err = fmt.Errorf("missing IE %s", ieName(id))
	}
}

// opt decodes the optional IE id with read, reporting whether it is there.
func (s *ieSet) opt(id uint16, read func(*reader)) bool {
	if s.err != nil {
		return false
	}
	f, ok := s.find(id)
	if !ok {
		return false
	}
	r := newReader(f.value)
	read(r)
	if r.err != nil {
		s.err = fmt.Errorf("IE %s: %w", ieName(id), r.err)
	}
	return true
}

type msgKey struct {
	proc ProcedureCode
	kind PDUKind
}

// ueIDIEs is which UE S1AP ID IEs a message defines, as a set of bits.
type ueIDIEs uint8

const (
	hasMMEUEID   ueIDIEs = 1 << iota // MME-UE-S1AP-ID
	hasENBUEID                       // eNB-UE-S1AP-ID
	hasUES1APIDs                     // the UE-S1AP-IDs choice

	ueIDsNone   ueIDIEs = 0
	ueIDsENB            = hasENBUEID
	ueIDsPair           = hasMMEUEID | hasENBUEID
	ueIDsChoice         = hasUES1APIDs
	// ueIDsAny is what Classify looks for in a message we have no view of.
	ueIDsAny = hasMMEUEID | hasENBUEID | hasUES1APIDs
)

// decoders maps each typed message to the function building it from IEs.
var decoders = map[msgKey]func(*ieSet) Message{}

// messageUEIDs maps each typed message to the UE ID IEs it defines.
var messageUEIDs = map[msgKey]ueIDIEs{}

func register(proc ProcedureCode, kind PDUKind, ids ueIDIEs, dec func(*ieSet) Message) {
	decoders[msgKey{proc, kind}] = dec
	messageUEIDs[msgKey{proc, kind}] = ids
}

// Decode decodes an S1AP PDU into this package's typed view. A
// well-formed PDU of a message without one gives ErrUnsupported.
func Decode(b []byte) (Message, error) {
	var m Message
	err := guard(func() error {
		h, val, err := readHeader(b)
		if err != nil {
			return err
		}
		name := messageName(h.proc, h.kind)
		dec, ok := decoders[msgKey{h.proc, h.kind}]
		if !ok {
			return fmt.Errorf("%w: %s", ErrUnsupported, name)
		}
		list, err := readContainer(val)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
		}
		s := &ieSet{list: list}
		m = dec(s)
		if s.err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMalformed, name, s.err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parseAs decodes b and insists on message type T.
func parseAs[T Message](b []byte) (T, error) {
	var zero T
	m, err := Decode(b)
	if err != nil {
		return zero, err
	}
	t, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("%w: got %s, want %T", ErrMalformed, messageName(m.ProcedureCode(), m.Kind()), zero)
	}
	return t, nil
}
