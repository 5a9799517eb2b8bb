package diameter

import (
	"encoding/binary"
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

// reader extracts typed values from AVP lists and keeps the first error,
// so a parse function reads as a list of fields.
type reader struct {
	cmd string // for errors: "AIR", "CCA" ...
	err error
}

// avps is the AVPs of a message or of a Grouped AVP, with the path that
// leads to it for error messages.
type avps struct {
	list []*diam.AVP
	path string
}

func topLevel(m *diam.Message) avps { return avps{list: m.AVP} }

func (l avps) name(d def) string {
	if l.path == "" {
		return d.name
	}
	return l.path + "/" + d.name
}

func (l avps) find(d def) *diam.AVP {
	for _, a := range l.list {
		if a != nil && a.Code == d.code && a.VendorID == d.vendor {
			return a
		}
	}
	return nil
}

func (l avps) findAll(d def) []*diam.AVP {
	var out []*diam.AVP
	for _, a := range l.list {
		if a != nil && a.Code == d.code && a.VendorID == d.vendor {
			out = append(out, a)
		}
	}
	return out
}

func (r *reader) missing(l avps, d def) {
	if r.err == nil {
		r.err = &MissingAVPError{Command: r.cmd, AVP: l.name(d)}
	}
}

func (r *reader) invalid(l avps, d def, format string, args ...any) {
	if r.err == nil {
		r.err = &InvalidAVPError{Command: r.cmd, AVP: l.name(d), Reason: fmt.Sprintf(format, args...)}
	}
}

// has reports whether d is present.
func (r *reader) has(l avps, d def) bool { return l.find(d) != nil }

// u32 reads an Unsigned32, Enumerated or Integer32 AVP (an AVP our
// dictionary lacks arrives as raw octets: four of them are accepted).
func (r *reader) u32(l avps, d def, required bool) uint32 {
	a := l.find(d)
	if a == nil {
		if required {
			r.missing(l, d)
		}
		return 0
	}
	return r.u32Of(l, d, a)
}

func (r *reader) u32Of(l avps, d def, a *diam.AVP) uint32 {
	// go-diameter decodes an integer of the wrong length as 0 without
	// error: the length on the wire tells.
	if n := payloadLen(a); n >= 0 && n != 4 {
		r.invalid(l, d, "%d octets, want 4", n)
		return 0
	}
	switch v := a.Data.(type) {
	case datatype.Unsigned32:
		return uint32(v)
	case datatype.Enumerated:
		return uint32(v)
	case datatype.Integer32:
		return uint32(v)
	case datatype.Unknown:
		if len(v) == 4 {
			return binary.BigEndian.Uint32(v)
		}
	}
	r.invalid(l, d, "want a 32-bit integer, got %T of %d octets", a.Data, dataLen(a))
	return 0
}

// bytes reads an octet-string-like AVP (OctetString, UTF8String,
// DiameterIdentity, IPFilterRule, or raw octets of an AVP our dictionary
// lacks).
func (r *reader) bytes(l avps, d def, required bool) []byte {
	a := l.find(d)
	if a == nil {
		if required {
			r.missing(l, d)
		}
		return nil
	}
	return r.bytesOf(l, d, a)
}

func (r *reader) bytesOf(l avps, d def, a *diam.AVP) []byte {
	switch v := a.Data.(type) {
	case datatype.OctetString:
		return []byte(v)
	case datatype.UTF8String:
		return []byte(v)
	case datatype.DiameterIdentity:
		return []byte(v)
	case datatype.IPFilterRule:
		return []byte(v)
	case datatype.Unknown:
		return []byte(v)
	}
	r.invalid(l, d, "want octets, got %T", a.Data)
	return nil
}

// str reads a string AVP; required ones must not be empty.
func (r *reader) str(l avps, d def, required bool) string {
	b := r.bytes(l, d, required)
	if required && b != nil && len(b) == 0 {
		r.invalid(l, d, "empty")
	}
	return string(b)
}

// strs reads every instance of a string AVP.
func (r *reader) strs(l avps, d def) []string {
	var out []string
	for _, a := range l.findAll(d) {
		out = append(out, string(r.bytesOf(l, d, a)))
	}
	return out
}

// u32s reads every instance of an integer AVP.
func (r *reader) u32s(l avps, d def) []uint32 {
	var out []uint32
	for _, a := range l.findAll(d) {
		out = append(out, r.u32Of(l, d, a))
	}
	return out
}

// fixed reads an octet string of exactly n octets.
func (r *reader) fixed(l avps, d def, n int, required bool) []byte {
	b := r.bytes(l, d, required)
	if b != nil && len(b) != n {
		r.invalid(l, d, "%d octets, want %d", len(b), n)
		return nil
	}
	return b
}

// group reads a Grouped AVP; ok is false when it is absent (or invalid).
func (r *reader) group(l avps, d def, required bool) (avps, bool) {
	a := l.find(d)
	if a == nil {
		if required {
			r.missing(l, d)
		}
		return avps{}, false
	}
	return r.groupOf(l, d, a)
}

func (r *reader) groupOf(l avps, d def, a *diam.AVP) (avps, bool) {
	g, ok := a.Data.(*diam.GroupedAVP)
	if !ok {
		r.invalid(l, d, "want a Grouped AVP, got %T", a.Data)
		return avps{}, false
	}
	return avps{list: g.AVP, path: l.name(d)}, true
}

// groups reads every instance of a Grouped AVP.
func (r *reader) groups(l avps, d def) []avps {
	var out []avps
	for _, a := range l.findAll(d) {
		if g, ok := r.groupOf(l, d, a); ok {
			out = append(out, g)
		}
	}
	return out
}

// payloadLen is the AVP's data length as it was on the wire (or as
// built), -1 when unknown.
func payloadLen(a *diam.AVP) int {
	hdr := 8
	if a.Flags&avp.Vbit != 0 {
		hdr = 12
	}
	if a.Length < hdr {
		return -1
	}
	return a.Length - hdr
}

func dataLen(a *diam.AVP) int {
	if a.Data == nil {
		return 0
	}
	return a.Data.Len()
}

// checkCommand rejects a message of another command or direction.
func checkCommand(m *diam.Message, name string, app, code uint32, request bool) error {
	if m == nil || m.Header == nil {
		return fmt.Errorf("%w: %s: no message", ErrWrongCommand, name)
	}
	isReq := m.Header.CommandFlags&diam.RequestFlag != 0
	if m.Header.CommandCode != code || m.Header.ApplicationID != app || isReq != request {
		return fmt.Errorf("%w: want %s (app %d, code %d, request %v), got app %d code %d request %v",
			ErrWrongCommand, name, app, code, request, m.Header.ApplicationID, m.Header.CommandCode, isReq)
	}
	return nil
}
