package amf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// ueStream is the SCTP stream for UE-associated signalling; stream 0
// carries the non-UE-associated procedures (TS 38.412 §7).
const ueStream = 1

// gnb is one NG-RAN node's SCTP association.
type gnb struct {
	n     *NF
	conn  sctp.Conn
	log   *slog.Logger
	setup atomic.Bool // NG Setup succeeded
	ues   sync.Map    // uint64 AMF UE NGAP ID -> *ranUE

	mu   sync.Mutex
	id   n2.GlobalGNBID
	name string
	tas  []n2.SupportedTA
}

// serveN2 accepts gNB associations until ctx ends.
func (n *NF) serveN2(ctx context.Context, ln sctp.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close() // also ends every association, so the read loops return
	for {
		c, err := ln.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("amf: n2 accept: %w", err)
		}
		g := &gnb{n: n, conn: c, log: n.log.With("gnb", c.RemoteAddr().String())}
		g.log.Info("gNB association up")
		wg.Go(g.serve)
	}
}

// serve reads NGAP PDUs until the association ends, then cleans up.
func (g *gnb) serve() {
	g.n.gnbs.Store(g, struct{}{})
	defer g.lost()
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		k, info, err := g.conn.ReadMsg(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				g.log.Debug("gNB association closed")
			} else {
				g.log.Info("gNB association down", "err", err)
			}
			return
		}
		if info.PPID != sctp.PPIDNGAP && info.PPID != 0 {
			g.n.m.ngapMalformed.Inc()
			g.log.Warn("dropped a message with a foreign PPID", "ppid", info.PPID)
			continue
		}
		g.handle(append([]byte(nil), buf[:k]...))
	}
}

// lost cleans up after the association: its UEs lose their connection
// (registered ones go CM-IDLE, the others are forgotten).
func (g *gnb) lost() {
	g.n.gnbs.Delete(g)
	if g.setup.Swap(false) {
		g.n.stats.gnbs.Add(-1)
	}
	if err := g.conn.Close(); err != nil {
		g.log.Debug("close association", "err", err)
	}
	g.ues.Range(func(_, v any) bool {
		r := v.(*ranUE)
		g.n.dropRAN(r)
		r.u.do(func() { r.u.ranLost(r) })
		return true
	})
}

// send encodes and sends an NGAP message on the stream its kind uses.
func (g *gnb) send(m n2.Message, ueAssociated bool) error {
	b, err := m.Encode()
	if err != nil {
		return fmt.Errorf("encode ngap: %w", err)
	}
	var stream uint16
	if ueAssociated {
		stream = ueStream
	}
	if err := g.conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: sctp.PPIDNGAP}); err != nil {
		return fmt.Errorf("send ngap to %s: %w", g.conn.RemoteAddr(), err)
	}
	return nil
}

// errorIndication reports a PDU we could not process, naming the UE IDs
// it carried (TS 38.413 §8.7.5).
func (g *gnb) errorIndication(h n2.Header, cause n2.Cause) {
	ei := &n2.ErrorIndication{Cause: &cause}
	if h.HasAMFUENGAPID {
		id := h.AMFUENGAPID
		ei.AMFUENGAPID = &id
	}
	if h.HasRANUENGAPID {
		id := h.RANUENGAPID
		ei.RANUENGAPID = &id
	}
	if err := g.send(ei, h.UEAssociated()); err != nil {
		g.log.Warn("send error indication", "err", err)
	}
}

// handle dispatches one PDU. Malformed input is counted and answered with
// an Error Indication; UE-associated messages go to their UE's executor.
func (g *gnb) handle(pdu []byte) {
	msg, err := n2.Decode(pdu)
	if err != nil {
		h, _ := n2.Classify(pdu)
		if errors.Is(err, n2.ErrUnsupported) {
			g.n.m.ngapUnexpected.Inc()
			g.log.Debug("ignored an NGAP message we do not handle", "procedure", h.ProcedureCode, "type", h.Type)
			return
		}
		g.n.m.ngapMalformed.Inc()
		g.log.Warn("malformed NGAP PDU", "err", err, "octets", len(pdu))
		g.errorIndication(h, n2.CauseTransferSyntaxError)
		return
	}
	switch m := msg.(type) {
	case *n2.NGSetupRequest:
		g.ngSetup(m)
		return
	case *n2.ErrorIndication:
		g.log.Info("error indication from gNB", "cause", m.Cause, "amf_ue_ngap_id", m.AMFUENGAPID, "ran_ue_ngap_id", m.RANUENGAPID)
		return
	}
	if !g.setup.Load() {
		g.n.m.ngapUnexpected.Inc()
		g.log.Warn("NGAP message before NG Setup", "procedure", msg.ProcedureCode())
		g.errorIndication(headerOf(msg), n2.CauseSemanticError)
		return
	}
	g.ueMessage(msg)
}
