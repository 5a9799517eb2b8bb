package s1ap

import (
	"fmt"
	"slices"
)

// PagingDRX is the PagingDRX enumeration (TS 36.413 9.2.1.16).
type PagingDRX uint8

const (
	PagingDRX32 PagingDRX = iota
	PagingDRX64
	PagingDRX128
	PagingDRX256
)

func pagingDRX(d PagingDRX) func(*writer) {
	return func(w *writer) { w.enum(uint64(d), 4, 0, true) }
}

func (r *reader) pagingDRX() PagingDRX {
	v := r.enum(4, true)
	if r.err == nil && v > uint64(PagingDRX256) {
		r.fail("paging DRX extension value %d", v)
	}
	return PagingDRX(v)
}

// nodeName writes an ENBname or MMEname: PrintableString (SIZE (1..150, ...)).
func nodeName(s string) func(*writer) {
	return func(w *writer) {
		if !printable(s) {
			w.fail("name %q is not a PrintableString", s)
			return
		}
		w.octets([]byte(s), 1, 150, true)
	}
}

func (r *reader) nodeName() string {
	b := r.octets(1, 150, true)
	if r.err == nil && !printable(string(b)) {
		r.fail("name %q is not a PrintableString", b)
	}
	return string(b)
}

// printable reports whether s is in the PrintableString alphabet.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' ' ||
			(c >= '\'' && c <= '/' && c != '*') || c == ':' || c == '=' || c == '?'
		if !ok {
			return false
		}
	}
	return true
}

// SupportedTA is a TA the eNB serves and the PLMNs it broadcasts there
// (one to six).
type SupportedTA struct {
	TAC   uint16
	PLMNs []PLMN
}

// S1SetupRequest (TS 36.413 9.1.8.4). ENBName is optional.
type S1SetupRequest struct {
	GlobalENBID      GlobalENBID
	ENBName          string
	SupportedTAs     []SupportedTA
	DefaultPagingDRX PagingDRX
}

func (*S1SetupRequest) ProcedureCode() ProcedureCode { return ProcS1Setup }
func (*S1SetupRequest) Kind() PDUKind                { return InitiatingMessage }

func (m *S1SetupRequest) Encode() ([]byte, error) {
	var s ies
	s.add(idGlobalENBID, critReject, func(w *writer) { w.globalENBID(m.GlobalENBID) })
	if m.ENBName != "" {
		s.add(idENBName, critIgnore, nodeName(m.ENBName))
	}
	s.add(idSupportedTAs, critReject, func(w *writer) { w.supportedTAs(m.SupportedTAs) })
	s.add(idDefaultPagingDRX, critIgnore, pagingDRX(m.DefaultPagingDRX))
	return encodePDU(m, s)
}

func (w *writer) supportedTAs(tas []SupportedTA) {
	w.seqOf(len(tas), 1, 256)
	for _, ta := range tas {
		w.seq(true, false)
		w.octets([]byte{byte(ta.TAC >> 8), byte(ta.TAC)}, 2, 2, false)
		w.seqOf(len(ta.PLMNs), 1, 6)
		for _, p := range ta.PLMNs {
			w.plmn(p)
		}
	}
}

func (r *reader) supportedTAs() []SupportedTA {
	n := r.seqOf(1, 256)
	var tas []SupportedTA
	for i := 0; i < n && r.err == nil; i++ {
		h := r.seq(true, 1)
		var ta SupportedTA
		if b := r.octets(2, 2, false); r.err == nil {
			ta.TAC = uint16(b[0])<<8 | uint16(b[1])
		}
		ta.PLMNs = plmnList(r, 6)
		r.tail(h)
		tas = append(tas, ta)
	}
	return tas
}

// plmnList reads a SEQUENCE (SIZE (1..ub)) OF PLMNidentity.
func plmnList(r *reader, ub int) []PLMN {
	n := r.seqOf(1, ub)
	var out []PLMN
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.plmn())
	}
	return out
}

// ParseS1SetupRequest decodes an S1 Setup Request.
func ParseS1SetupRequest(b []byte) (*S1SetupRequest, error) { return parseAs[*S1SetupRequest](b) }

// ServedGUMMEI is one ServedGUMMEIs item: the PLMNs, MME group IDs and MME
// codes of a pool the MME serves.
type ServedGUMMEI struct {
	PLMNs    []PLMN
	GroupIDs []uint16
	Codes    []uint8
}

// S1SetupResponse (TS 36.413 9.1.8.5). MMEName is optional.
type S1SetupResponse struct {
	MMEName          string
	ServedGUMMEIs    []ServedGUMMEI
	RelativeCapacity uint8
}

func (*S1SetupResponse) ProcedureCode() ProcedureCode { return ProcS1Setup }
func (*S1SetupResponse) Kind() PDUKind                { return SuccessfulOutcome }

func (m *S1SetupResponse) Encode() ([]byte, error) {
	var s ies
	if m.MMEName != "" {
		s.add(idMMEName, critIgnore, nodeName(m.MMEName))
	}
	s.add(idServedGUMMEIs, critReject, func(w *writer) { w.servedGUMMEIs(m.ServedGUMMEIs) })
	s.add(idRelativeMMECapacity, critIgnore, func(w *writer) { w.integer(int64(m.RelativeCapacity), 0, 255, false) })
	return encodePDU(m, s)
}

func (w *writer) servedGUMMEIs(list []ServedGUMMEI) {
	w.seqOf(len(list), 1, 8)
	for _, g := range list {
		w.seq(true, false)
		w.seqOf(len(g.PLMNs), 1, 32)
		for _, p := range g.PLMNs {
			w.plmn(p)
		}
		w.seqOf(len(g.GroupIDs), 1, 65535)
		for _, id := range g.GroupIDs {
			w.octets([]byte{byte(id >> 8), byte(id)}, 2, 2, false)
		}
		w.seqOf(len(g.Codes), 1, 256)
		for _, c := range g.Codes {
			w.octets([]byte{c}, 1, 1, false)
		}
	}
}

func (r *reader) servedGUMMEIs() []ServedGUMMEI {
	n := r.seqOf(1, 8)
	var out []ServedGUMMEI
	for i := 0; i < n && r.err == nil; i++ {
		h := r.seq(true, 1)
		g := ServedGUMMEI{PLMNs: plmnList(r, 32)}
		groups := r.seqOf(1, 65535)
		for j := 0; j < groups && r.err == nil; j++ {
			if b := r.octets(2, 2, false); r.err == nil {
				g.GroupIDs = append(g.GroupIDs, uint16(b[0])<<8|uint16(b[1]))
			}
		}
		codes := r.seqOf(1, 256)
		for j := 0; j < codes && r.err == nil; j++ {
			if b := r.octets(1, 1, false); r.err == nil {
				g.Codes = append(g.Codes, b[0])
			}
		}
		r.tail(h)
		out = append(out, g)
	}
	return out
}

// ParseS1SetupResponse decodes an S1 Setup Response.
func ParseS1SetupResponse(b []byte) (*S1SetupResponse, error) { return parseAs[*S1SetupResponse](b) }

// timeToWait maps TimeToWait enumeration indexes to seconds.
var timeToWait = []uint8{1, 2, 5, 10, 20, 60}

// S1SetupFailure (TS 36.413 9.1.8.6). TimeToWait is in seconds, one of 1,
// 2, 5, 10, 20, 60; zero leaves it out.
type S1SetupFailure struct {
	Cause      Cause
	TimeToWait uint8
}

func (*S1SetupFailure) ProcedureCode() ProcedureCode { return ProcS1Setup }
func (*S1SetupFailure) Kind() PDUKind                { return UnsuccessfulOutcome }

func (m *S1SetupFailure) Encode() ([]byte, error) {
	var s ies
	s.add(idCause, critIgnore, causeIE(m.Cause))
	if m.TimeToWait != 0 {
		idx := slices.Index(timeToWait, m.TimeToWait)
		if idx < 0 {
			return nil, fmt.Errorf("s1ap: time to wait %ds is not one of %v", m.TimeToWait, timeToWait)
		}
		s.add(idTimeToWait, critIgnore, func(w *writer) { w.enum(uint64(idx), len(timeToWait), 0, true) })
	}
	return encodePDU(m, s)
}

// ParseS1SetupFailure decodes an S1 Setup Failure.
func ParseS1SetupFailure(b []byte) (*S1SetupFailure, error) { return parseAs[*S1SetupFailure](b) }

func init() {
	register(ProcS1Setup, InitiatingMessage, ueIDsNone, func(s *ieSet) Message {
		m := &S1SetupRequest{}
		s.need(idGlobalENBID, func(r *reader) { m.GlobalENBID = r.globalENBID() })
		s.opt(idENBName, func(r *reader) { m.ENBName = r.nodeName() })
		s.need(idSupportedTAs, func(r *reader) { m.SupportedTAs = r.supportedTAs() })
		s.need(idDefaultPagingDRX, func(r *reader) { m.DefaultPagingDRX = r.pagingDRX() })
		return m
	})
	register(ProcS1Setup, SuccessfulOutcome, ueIDsNone, func(s *ieSet) Message {
		m := &S1SetupResponse{}
		s.opt(idMMEName, func(r *reader) { m.MMEName = r.nodeName() })
		s.need(idServedGUMMEIs, func(r *reader) { m.ServedGUMMEIs = r.servedGUMMEIs() })
		s.need(idRelativeMMECapacity, func(r *reader) { m.RelativeCapacity = uint8(r.integer(0, 255, false)) })
		return m
	})
	register(ProcS1Setup, UnsuccessfulOutcome, ueIDsNone, func(s *ieSet) Message {
		m := &S1SetupFailure{}
		s.need(idCause, func(r *reader) { m.Cause = r.cause() })
		s.opt(idTimeToWait, func(r *reader) {
			v := r.enum(len(timeToWait), true)
			if r.err != nil {
				return
			}
			if v >= uint64(len(timeToWait)) {
				r.fail("time to wait extension value %d", v)
				return
			}
			m.TimeToWait = timeToWait[v]
		})
		return m
	})
}
