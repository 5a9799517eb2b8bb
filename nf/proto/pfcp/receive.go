package pfcp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// Message types by class (TS 29.244 §7.3).
var (
	requestTypes = map[uint8]bool{
		message.MsgTypeHeartbeatRequest: true, message.MsgTypePFDManagementRequest: true,
		message.MsgTypeAssociationSetupRequest: true, message.MsgTypeAssociationUpdateRequest: true,
		message.MsgTypeAssociationReleaseRequest: true, message.MsgTypeNodeReportRequest: true,
		message.MsgTypeSessionSetDeletionRequest: true, message.MsgTypeSessionEstablishmentRequest: true,
		message.MsgTypeSessionModificationRequest: true, message.MsgTypeSessionDeletionRequest: true,
		message.MsgTypeSessionReportRequest: true,
	}
	responseTypes = map[uint8]bool{
		message.MsgTypeHeartbeatResponse: true, message.MsgTypePFDManagementResponse: true,
		message.MsgTypeAssociationSetupResponse: true, message.MsgTypeAssociationUpdateResponse: true,
		message.MsgTypeAssociationReleaseResponse: true, message.MsgTypeVersionNotSupportedResponse: true,
		message.MsgTypeNodeReportResponse: true, message.MsgTypeSessionSetDeletionResponse: true,
		message.MsgTypeSessionEstablishmentResponse: true, message.MsgTypeSessionModificationResponse: true,
		message.MsgTypeSessionDeletionResponse: true, message.MsgTypeSessionReportResponse: true,
	}
)

func isSessionMessage(t uint8) bool { return t >= 50 }

var errUnknownType = errors.New("unknown message type")

// checkHeader applies the checks go-pfcp leaves out: version, a length
// field that agrees with the datagram, and the S flag the type demands.
func checkHeader(b []byte) (uint8, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("%d octets: %w", len(b), ErrMalformed)
	}
	if v := b[0] >> 5; v != 1 {
		return 0, fmt.Errorf("version %d: %w", v, ErrMalformed)
	}
	if l := int(binary.BigEndian.Uint16(b[2:4])); l+4 != len(b) {
		return 0, fmt.Errorf("length field %d for %d octets: %w", l, len(b), ErrMalformed)
	}
	typ, hasSEID := b[1], b[0]&0x01 != 0
	if !requestTypes[typ] && !responseTypes[typ] {
		return typ, errUnknownType
	}
	if hasSEID != isSessionMessage(typ) {
		return 0, fmt.Errorf("type %d with S flag %v: %w", typ, hasSEID, ErrMalformed)
	}
	if hasSEID && len(b) < 16 {
		return 0, fmt.Errorf("%d octets with SEID: %w", len(b), ErrMalformed)
	}
	return typ, nil
}

// parseMessage runs go-pfcp's decoder; a panic in it is a malformed message.
func parseMessage(b []byte) (m message.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-pfcp decoder panicked: %v: %w", r, ErrMalformed)
		}
	}()
	m, err = message.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return m, nil
}

// handleDatagram is the receive path: every datagram lands in exactly one
// of the counters Malformed, Unsupported, RxRequests, DuplicateRequests,
// RxResponses or UnmatchedResponses.
func (n *Node) handleDatagram(b []byte, from netip.AddrPort) {
	n.stats.RxMessages.Add(1)
	typ, err := checkHeader(b)
	if errors.Is(err, errUnknownType) {
		n.stats.Unsupported.Add(1)
		n.log.Debug("dropped message of unknown type", "from", from, "type", typ)
		return
	}
	if err != nil {
		n.dropMalformed(from, err)
		return
	}
	b = bytes.Clone(b) // go-pfcp keeps slices of it; the read buffer is reused
	m, err := parseMessage(b)
	if err != nil {
		n.dropMalformed(from, err)
		return
	}
	if responseTypes[typ] {
		n.deliverResponse(from, m)
		return
	}
	n.handleRequest(from, m)
}

func (n *Node) dropMalformed(from netip.AddrPort, err error) {
	n.stats.Malformed.Add(1)
	n.log.Debug("dropped malformed PFCP message", "from", from, "err", err)
}

// requestHandler builds the response to one request.
type requestHandler func(ctx context.Context) message.Message

func (n *Node) handleRequest(from netip.AddrPort, m message.Message) {
	handler := n.handlerFor(from, m)
	if handler == nil {
		n.stats.Unsupported.Add(1)
		n.log.Debug("dropped request we do not serve", "from", from, "type", m.MessageTypeName())
		return
	}
	key := cacheKey{peer: from, seq: m.Sequence()}
	isNew, cached := n.cache.begin(key, time.Now())
	if !isNew {
		n.stats.DuplicateRequests.Add(1)
		if cached != nil {
			_ = n.send(from, cached) // counted in TxErrors
		}
		return
	}
	n.stats.RxRequests.Add(1)
	respond := func(h requestHandler) {
		out, err := marshal(h(n.ctx))
		if err != nil {
			n.log.Error("cannot encode response", "to", from, "err", err)
			return
		}
		n.cache.finish(key, out)
		if err := n.send(from, out); err != nil {
			n.log.Warn("response not sent", "to", from, "err", err)
		}
	}
	if !isSessionMessage(m.MessageType()) {
		respond(handler)
		return
	}
	select {
	case n.sem <- struct{}{}:
		goTracked(&n.handlers, func() {
			defer func() { <-n.sem }()
			respond(handler)
		})
	default:
		respond(func(context.Context) message.Message { return congested(m, n.nodeIDIE()) })
	}
}

// handlerFor picks the handler for a request, or nil if we do not serve it.
func (n *Node) handlerFor(from netip.AddrPort, m message.Message) requestHandler {
	switch req := m.(type) {
	case *message.HeartbeatRequest:
		return func(context.Context) message.Message { return n.onHeartbeat(from, req) }
	case *message.AssociationSetupRequest:
		return func(context.Context) message.Message { return n.onAssociationSetup(from, req) }
	}
	if n.cfg.Role == RoleCP {
		if req, ok := m.(*message.SessionReportRequest); ok {
			return func(ctx context.Context) message.Message { return n.onSessionReport(ctx, from, req) }
		}
		return nil
	}
	switch req := m.(type) {
	case *message.SessionEstablishmentRequest:
		return func(ctx context.Context) message.Message { return n.onEstablish(ctx, from, req) }
	case *message.SessionModificationRequest:
		return func(ctx context.Context) message.Message { return n.onModify(ctx, from, req) }
	case *message.SessionDeletionRequest:
		return func(ctx context.Context) message.Message { return n.onDelete(ctx, from, req) }
	}
	return nil
}

// congested answers a session request we have no room for.
func congested(m message.Message, nodeID *ie.IE) message.Message {
	c := ie.NewCause(uint8(CausePFCPEntityInCongestion))
	seq := m.Sequence()
	switch m.(type) {
	case *message.SessionEstablishmentRequest:
		return message.NewSessionEstablishmentResponse(0, 0, 0, seq, 0, nodeID, c)
	case *message.SessionModificationRequest:
		return message.NewSessionModificationResponse(0, 0, 0, seq, 0, c)
	case *message.SessionDeletionRequest:
		return message.NewSessionDeletionResponse(0, 0, 0, seq, 0, c)
	default:
		return message.NewSessionReportResponse(0, 0, 0, seq, 0, c)
	}
}

// causeIE reads a response's Cause.
func causeIE(c *ie.IE) (Cause, error) {
	if c == nil {
		return 0, fmt.Errorf("%w: response without Cause", ErrMalformed)
	}
	v, err := c.Cause()
	if err != nil {
		return 0, fmt.Errorf("%w: Cause: %v", ErrMalformed, err)
	}
	return Cause(v), nil
}

// checkCause turns a response's Cause into an error unless it accepts.
func checkCause(c, offending *ie.IE) error {
	cause, err := causeIE(c)
	if err != nil {
		return err
	}
	if cause.Accepted() {
		return nil
	}
	ce := &CauseError{Cause: cause}
	if offending != nil {
		if v, err := offending.ValueAsUint16(); err == nil {
			ce.OffendingIE = v
		}
	}
	return ce
}

// rejection maps a decoding error to the cause and offending IE we answer.
func rejection(err error) (Cause, uint16) {
	var ieErr *IEError
	if errors.As(err, &ieErr) {
		return ieErr.Cause, ieErr.Type
	}
	return CauseSystemFailure, 0
}
