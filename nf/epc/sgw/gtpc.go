package sgw

import (
	"context"
	"net/netip"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// s11Handler serves the MME's requests.
type s11Handler struct{ n *NF }

// ServeGTPv2 implements gtpv2c.Handler.
func (h s11Handler) ServeGTPv2(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message {
	switch m := req.(type) {
	case *message.CreateSessionRequest:
		return h.n.createSession(ctx, peer, m)
	case *message.ModifyBearerRequest:
		return h.n.modifyBearer(m)
	case *message.ReleaseAccessBearersRequest:
		return h.n.releaseAccessBearers(m)
	case *message.DeleteSessionRequest:
		return h.n.deleteSession(ctx, m)
	}
	h.n.log.Debug("s11 request not served", "from", peer, "type", req.MessageTypeName())
	return nil
}

// s5Handler serves the PGW's requests.
type s5Handler struct{ n *NF }

// ServeGTPv2 implements gtpv2c.Handler.
func (h s5Handler) ServeGTPv2(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message {
	switch m := req.(type) {
	case *message.CreateBearerRequest:
		return h.n.createBearer(ctx, m)
	case *message.DeleteBearerRequest:
		return h.n.deleteBearer(ctx, m)
	}
	h.n.log.Debug("s5 request not served", "from", peer, "type", req.MessageTypeName())
	return nil
}

// HandleS11 is the S11 receive path for one datagram from peer, handled
// before it returns; HandleS5 the S5/S8-C one. They are exported for
// fuzzing; Run must be running.
func (n *NF) HandleS11(ctx context.Context, b []byte, from netip.AddrPort) {
	n.s11.HandleDatagram(ctx, b, from)
}

// HandleS5 is the S5/S8-C receive path for one datagram (see HandleS11).
func (n *NF) HandleS5(ctx context.Context, b []byte, from netip.AddrPort) {
	n.s5c.HandleDatagram(ctx, b, from)
}

// causeMissing is cause 70 naming the missing IE.
func causeMissing(typ, instance uint8) *ie.IE {
	return ie.NewCause(gtpv2.CauseMandatoryIEMissing, 0, 0, 0, ie.New(typ, instance, nil))
}

// causeIncorrect is cause 69 naming the IE that is wrong.
func causeIncorrect(typ, instance uint8) *ie.IE {
	return ie.NewCause(gtpv2.CauseMandatoryIEIncorrect, 0, 0, 0, ie.New(typ, instance, nil))
}

// ftied reads an F-TEID IE, naming it in the cause when wrong.
func ftied(i *ie.IE, instance uint8) (gtpv2c.FTEID, *ie.IE) {
	if i == nil {
		return gtpv2c.FTEID{}, causeMissing(ie.FullyQualifiedTEID, instance)
	}
	f, err := gtpv2c.ParseFTEID(i)
	if err != nil {
		return gtpv2c.FTEID{}, causeIncorrect(ie.FullyQualifiedTEID, instance)
	}
	return f, nil
}

// causeOrSystemFailure reads a response's cause; an unreadable one is a
// system failure of the peer.
func causeOrSystemFailure(i *ie.IE) uint8 {
	c, err := gtpv2c.CauseOf(i)
	if err != nil {
		return gtpv2.CauseInvalidReplyFromRemotePeer
	}
	return c
}
