package pgw

import (
	"context"
	"net/netip"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// gtpcHandler serves the S5/S8-C requests of SGWs.
type gtpcHandler struct{ n *NF }

// ServeGTPv2 implements gtpv2c.Handler.
func (h gtpcHandler) ServeGTPv2(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message {
	switch m := req.(type) {
	case *message.CreateSessionRequest:
		return h.n.createSession(ctx, peer, m)
	case *message.DeleteSessionRequest:
		return h.n.deleteSession(ctx, m)
	}
	h.n.log.Debug("request not served", "from", peer, "type", req.MessageTypeName())
	return nil
}

// HandleGTPv2C is the S5/S8-C receive path for one datagram from peer,
// handled before it returns (the read loop hands requests to goroutines).
// It is exported for fuzzing; Run must be running.
func (n *NF) HandleGTPv2C(ctx context.Context, b []byte, from netip.AddrPort) {
	n.gtpc.HandleDatagram(ctx, b, from)
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
