package gtpv2c

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"
)

// Message classes (TS 29.274 §6.1): the requests and responses of the
// procedures an EPC core runs. Other types are dropped as unsupported.
var (
	requestTypes = map[uint8]bool{
		message.MsgTypeEchoRequest: true, message.MsgTypeCreateSessionRequest: true,
		message.MsgTypeModifyBearerRequest: true, message.MsgTypeDeleteSessionRequest: true,
		message.MsgTypeChangeNotificationRequest: true, message.MsgTypeCreateBearerRequest: true,
		message.MsgTypeUpdateBearerRequest: true, message.MsgTypeDeleteBearerRequest: true,
		message.MsgTypeDeletePDNConnectionSetRequest: true, message.MsgTypeReleaseAccessBearersRequest: true,
		message.MsgTypeDownlinkDataNotification: true, message.MsgTypeModifyAccessBearersRequest: true,
	}
	responseTypes = map[uint8]bool{
		message.MsgTypeEchoResponse: true, message.MsgTypeCreateSessionResponse: true,
		message.MsgTypeModifyBearerResponse: true, message.MsgTypeDeleteSessionResponse: true,
		message.MsgTypeChangeNotificationResponse: true, message.MsgTypeCreateBearerResponse: true,
		message.MsgTypeUpdateBearerResponse: true, message.MsgTypeDeleteBearerResponse: true,
		message.MsgTypeDeletePDNConnectionSetResponse: true, message.MsgTypeReleaseAccessBearersResponse: true,
		message.MsgTypeDownlinkDataNotificationAcknowledge: true, message.MsgTypeModifyAccessBearersResponse: true,
	}
)

// IsRequest reports whether t is a request type this package handles.
func IsRequest(t uint8) bool { return requestTypes[t] }

// IsResponse reports whether t is a response type this package handles.
func IsResponse(t uint8) bool { return responseTypes[t] }

// withoutTEID are the types whose header has no TEID (TS 29.274 §5.5.1).
func withoutTEID(t uint8) bool {
	return t == message.MsgTypeEchoRequest || t == message.MsgTypeEchoResponse ||
		t == message.MsgTypeVersionNotSupportedIndication
}

// CheckHeader applies the header checks go-gtp leaves out: version 2, the
// T flag the type demands, no piggybacking, a length field that agrees
// with the datagram, and a type we handle. It returns the type.
func CheckHeader(b []byte) (uint8, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("%d octets: %w", len(b), ErrMalformed)
	}
	if v := b[0] >> 5; v != 2 {
		return 0, fmt.Errorf("GTP version %d: %w", v, ErrUnsupported)
	}
	typ, hasTEID := b[1], b[0]&0x08 != 0
	if b[0]&0x10 != 0 {
		return typ, fmt.Errorf("piggybacked message: %w", ErrUnsupported)
	}
	if l := int(binary.BigEndian.Uint16(b[2:4])); l+4 != len(b) {
		return typ, fmt.Errorf("length field %d for %d octets: %w", l, len(b), ErrMalformed)
	}
	if hasTEID == withoutTEID(typ) {
		return typ, fmt.Errorf("type %d with T flag %v: %w", typ, hasTEID, ErrMalformed)
	}
	if hasTEID && len(b) < 12 {
		return typ, fmt.Errorf("%d octets with TEID: %w", len(b), ErrMalformed)
	}
	if !requestTypes[typ] && !responseTypes[typ] {
		return typ, fmt.Errorf("message type %d: %w", typ, ErrUnsupported)
	}
	return typ, nil
}

// Parse checks the header and decodes b into a message; it never panics.
// The message may keep slices of b.
func Parse(b []byte) (m message.Message, err error) {
	if _, err := CheckHeader(b); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("go-gtp decoder panicked: %v: %w", r, ErrMalformed)
		}
	}()
	m, err = message.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, generic := m.(*message.Generic); generic {
		return nil, fmt.Errorf("message type %d has no decoder: %w", b[1], ErrUnsupported)
	}
	return m, nil
}

// HandleDatagram is the receive path for one datagram from peer, with any
// request handled before it returns. The read loop does the same but
// hands requests to goroutines; tests and fuzz targets call this.
func (c *Conn) HandleDatagram(ctx context.Context, b []byte, from netip.AddrPort) {
	c.dispatch(ctx, b, from, false)
}

// dispatch puts every datagram in exactly one of Malformed, Unsupported,
// EchoRequests, RxRequests, DuplicateRequests, Overload, RxResponses or
// UnmatchedResponses.
func (c *Conn) dispatch(ctx context.Context, b []byte, from netip.AddrPort, async bool) {
	c.stats.RxMessages.Add(1)
	m, err := Parse(bytes.Clone(b)) // go-gtp keeps slices; the read buffer is reused
	if err != nil {
		c.drop(from, b, err)
		return
	}
	switch {
	case m.MessageType() == message.MsgTypeEchoRequest:
		c.stats.EchoRequests.Add(1)
		c.answerEcho(from, m)
	case responseTypes[m.MessageType()]:
		c.deliverResponse(from, m)
	default:
		c.serveRequest(ctx, from, m, async)
	}
}

func (c *Conn) drop(from netip.AddrPort, b []byte, err error) {
	typ := uint8(0)
	if len(b) > 1 {
		typ = b[1]
	}
	if errors.Is(err, ErrUnsupported) {
		c.stats.Unsupported.Add(1)
		c.log.Debug("dropped unsupported GTPv2-C message", "from", from, "type", typ, "err", err)
		return
	}
	c.stats.Malformed.Add(1)
	c.log.Log(context.Background(), c.warnLevel(), "dropped malformed GTPv2-C message",
		"from", from, "type", typ, "len", len(b), "err", err)
}

func (c *Conn) answerEcho(from netip.AddrPort, req message.Message) {
	resp := message.NewEchoResponse(req.Sequence(), ie.NewRecovery(c.cfg.Recovery))
	b, err := Marshal(resp)
	if err != nil {
		c.log.Error("cannot encode echo response", "err", err)
		return
	}
	_ = c.send(from, b) // counted in TxErrors
}

// serveRequest runs the handler once per request: a retransmission is
// answered from the response cache (or ignored while the original is
// still being handled).
func (c *Conn) serveRequest(ctx context.Context, from netip.AddrPort, m message.Message, async bool) {
	if c.cfg.Handler == nil {
		c.stats.Unsupported.Add(1)
		return
	}
	key := cacheKey{peer: from, seq: m.Sequence()}
	isNew, cached := c.cache.begin(key, time.Now())
	if !isNew {
		c.stats.DuplicateRequests.Add(1)
		if cached != nil {
			_ = c.send(from, cached) // counted in TxErrors
		}
		return
	}
	if !async {
		c.stats.RxRequests.Add(1)
		c.respond(ctx, key, from, m)
		return
	}
	select {
	case c.inflight <- struct{}{}:
	default:
		c.cache.forget(key)
		c.stats.Overload.Add(1)
		c.log.Log(context.Background(), c.warnLevel(), "too many requests in flight; dropped one",
			"from", from, "type", m.MessageTypeName())
		return
	}
	c.stats.RxRequests.Add(1)
	c.handlers.Go(func() {
		defer func() { <-c.inflight }()
		c.respond(ctx, key, from, m)
	})
}

func (c *Conn) respond(ctx context.Context, key cacheKey, from netip.AddrPort, req message.Message) {
	after := &afterList{}
	defer after.runHandled()
	resp := c.cfg.Handler.ServeGTPv2(context.WithValue(ctx, afterKey{}, after), from, req)
	if resp == nil {
		c.cache.forget(key)
		return
	}
	resp.SetSequenceNumber(req.Sequence())
	b, err := Marshal(resp)
	if err != nil {
		c.cache.forget(key)
		c.log.Error("cannot encode response", "to", from, "type", resp.MessageTypeName(), "err", err)
		return
	}
	c.cache.finish(key, b, time.Now())
	if err := c.send(from, b); err != nil {
		c.log.Warn("response not sent", "to", from, "type", resp.MessageTypeName(), "err", err)
	}
	for _, fn := range after.fns {
		fn()
	}
}

// afterKey finds the functions a handler asked to run after its response.
type afterKey struct{}

type afterList struct {
	fns     []func() // after the response was sent
	handled []func() // once the request is done with, response or not
}

func (l *afterList) runHandled() {
	for _, fn := range l.handled {
		fn()
	}
}

// AfterResponse asks the Conn to call fn once the response to the request
// being handled has been sent (a PGW creates dedicated bearers after its
// Create Session Response); without a response fn is not called.
// Outside a handler fn runs at once.
func AfterResponse(ctx context.Context, fn func()) {
	if l, ok := ctx.Value(afterKey{}).(*afterList); ok {
		l.fns = append(l.fns, fn)
		return
	}
	fn()
}

// AfterHandled asks the Conn to call fn once the request being handled is
// done with: after its response was sent (and the AfterResponse
// functions ran), or when there was none or it could not be encoded. An
// SGW uses it to hold requests about a session until that session's
// Create Session Response is out. Outside a handler fn runs at once.
func AfterHandled(ctx context.Context, fn func()) {
	if l, ok := ctx.Value(afterKey{}).(*afterList); ok {
		l.handled = append(l.handled, fn)
		return
	}
	fn()
}
