package s1ap

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// SCTP specifics of S1-MME (TS 36.412): nf/proto/sctp uses the same.
const (
	SCTPPPID = 18
	SCTPPort = 36412
)

var (
	// ErrMalformed: the octets are not a well-formed S1AP PDU, or a message
	// lacks a mandatory IE or carries a value out of its range.
	ErrMalformed = errors.New("s1ap: malformed PDU")
	// ErrUnsupported: a well-formed PDU this package has no typed view for.
	ErrUnsupported = errors.New("s1ap: unsupported message")
	// ErrDecoderPanic: free5gc's APER decoder panicked on the input (recovered).
	ErrDecoderPanic = errors.New("s1ap: decoder panicked on input")
)

var decoderPanics atomic.Uint64

// DecoderPanics is how many inputs made the APER decoder panic since
// start; NFs export it as a metric.
func DecoderPanics() uint64 { return decoderPanics.Load() }

// guard runs a decoding step, turning a panic into ErrDecoderPanic.
func guard(step func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			decoderPanics.Add(1)
			err = fmt.Errorf("%w: %v", ErrDecoderPanic, p)
		}
	}()
	return step()
}

// PDUKind is the S1AP-PDU choice.
type PDUKind uint8

const (
	InitiatingMessage PDUKind = iota
	SuccessfulOutcome
	UnsuccessfulOutcome
)

func (k PDUKind) String() string {
	switch k {
	case InitiatingMessage:
		return "initiatingMessage"
	case SuccessfulOutcome:
		return "successfulOutcome"
	case UnsuccessfulOutcome:
		return "unsuccessfulOutcome"
	}
	return fmt.Sprintf("PDUKind(%d)", uint8(k))
}

// criticality is the Criticality of a procedure or IE (TS 36.413 9.3.5).
type criticality uint8

const (
	critReject criticality = iota
	critIgnore
	critNotify
)

// ProcedureCode identifies an elementary procedure (TS 36.413 9.3.6).
type ProcedureCode uint8

// The procedures this package has typed messages for.
const (
	ProcERABSetup               ProcedureCode = 5
	ProcERABRelease             ProcedureCode = 7
	ProcInitialContextSetup     ProcedureCode = 9
	ProcPaging                  ProcedureCode = 10
	ProcDownlinkNASTransport    ProcedureCode = 11
	ProcInitialUEMessage        ProcedureCode = 12
	ProcUplinkNASTransport      ProcedureCode = 13
	ProcErrorIndication         ProcedureCode = 15
	ProcS1Setup                 ProcedureCode = 17
	ProcUEContextReleaseRequest ProcedureCode = 18
	ProcUEContextRelease        ProcedureCode = 23
)

// procCriticality is each procedure's criticality (TS 36.413 9.3.2): class 1
// procedures are reject, class 2 ignore.
var procCriticality = map[ProcedureCode]criticality{
	ProcERABSetup: critReject, ProcERABRelease: critReject, ProcInitialContextSetup: critReject,
	ProcS1Setup: critReject, ProcUEContextRelease: critReject,
	ProcPaging: critIgnore, ProcDownlinkNASTransport: critIgnore, ProcInitialUEMessage: critIgnore,
	ProcUplinkNASTransport: critIgnore, ProcErrorIndication: critIgnore, ProcUEContextReleaseRequest: critIgnore,
}

// Message is an S1AP message with a typed view in this package.
type Message interface {
	ProcedureCode() ProcedureCode
	Kind() PDUKind
	// Encode returns the APER-encoded S1AP-PDU.
	Encode() ([]byte, error)
}

// ieOut is one IE to encode: its id, criticality and value encoder.
type ieOut struct {
	id   uint16
	crit criticality
	fill func(*writer)
}

// ies collects the IEs of a message being encoded.
type ies []ieOut

func (s *ies) add(id uint16, crit criticality, fill func(*writer)) {
	*s = append(*s, ieOut{id, crit, fill})
}

// encodePDU wraps a message's IEs into an S1AP-PDU.
func encodePDU(m Message, list ies) ([]byte, error) {
	crit, ok := procCriticality[m.ProcedureCode()]
	if !ok {
		return nil, fmt.Errorf("s1ap: no criticality for procedure %d", m.ProcedureCode())
	}
	w := newWriter()
	w.choice(int(m.Kind()), 3, true)
	w.integer(int64(m.ProcedureCode()), 0, 255, false)
	w.enum(uint64(crit), 3, 0, false)
	w.open(func(v *writer) {
		v.seq(true) // the message SEQUENCE { protocolIEs, ... }
		writeContainer(v, list)
	})
	if w.err != nil {
		return nil, fmt.Errorf("s1ap: encode %s: %w", messageName(m.ProcedureCode(), m.Kind()), w.err)
	}
	return w.bytes(), nil
}

// writeContainer writes a ProtocolIE-Container.
func writeContainer(w *writer, list ies) {
	w.seqOf(len(list), 0, 65535)
	for _, f := range list {
		writeField(w, f)
	}
}

// writeField writes one ProtocolIE-Field (also what each item of a
// ProtocolIE-SingleContainer list is).
func writeField(w *writer, f ieOut) {
	w.seq(false)
	w.integer(int64(f.id), 0, 65535, false)
	w.enum(uint64(f.crit), 3, 0, false)
	w.open(func(v *writer) {
		f.fill(v)
		if v.err != nil {
			v.err = fmt.Errorf("%s: %w", ieName(f.id), v.err)
		}
	})
}
