package mme

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// ueStream is the SCTP stream for UE-associated signalling; stream 0
// carries the non-UE-associated procedures (TS 36.412 7).
const ueStream = 1

// enb is one eNB's SCTP association.
type enb struct {
	m     *MME
	conn  sctp.Conn
	log   *slog.Logger
	setup atomic.Bool // S1 Setup succeeded
	ues   sync.Map    // uint32 MME UE S1AP ID -> *enbUE

	mu   sync.Mutex
	id   s1ap.GlobalENBID
	name string
	tas  []s1ap.SupportedTA
}

// serveS1 accepts eNB associations until ctx ends.
func (m *MME) serveS1(ctx context.Context, ln sctp.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close() // also ends every association, so the read loops return
	for {
		c, err := ln.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("mme: s1 accept: %w", err)
		}
		e := &enb{m: m, conn: c, log: m.log.With("enb", c.RemoteAddr().String())}
		e.log.Info("eNB association up")
		wg.Go(e.serve)
	}
}

// serve reads S1AP PDUs until the association ends, then cleans up.
func (e *enb) serve() {
	e.m.enbs.Store(e, struct{}{})
	defer e.lost()
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		k, info, err := e.conn.ReadMsg(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				e.log.Debug("eNB association closed")
			} else {
				e.log.Info("eNB association down", "err", err)
			}
			return
		}
		if info.PPID != sctp.PPIDS1AP && info.PPID != 0 {
			e.m.m.malformed.s1ap.Add(1)
			e.log.Warn("dropped a message with a foreign PPID", "ppid", info.PPID)
			continue
		}
		e.handle(append([]byte(nil), buf[:k]...))
	}
}

// lost cleans up after the association: its UEs lose their connection
// (attached ones go ECM-IDLE, the others are forgotten).
func (e *enb) lost() {
	e.m.enbs.Delete(e)
	if e.setup.Swap(false) {
		e.m.stats.enbs.Add(-1)
	}
	if err := e.conn.Close(); err != nil {
		e.log.Debug("close association", "err", err)
	}
	e.ues.Range(func(_, v any) bool {
		c := v.(*enbUE)
		e.m.dropConn(c)
		c.u.do(func() { c.u.connLost(c) })
		return true
	})
}

// send encodes and sends an S1AP message on the stream its kind uses.
func (e *enb) send(msg s1ap.Message, ueAssociated bool) error {
	b, err := msg.Encode()
	if err != nil {
		return fmt.Errorf("encode s1ap %s: %w", msgName(msg), err)
	}
	var stream uint16
	if ueAssociated {
		stream = ueStream
	}
	if err := e.conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: sctp.PPIDS1AP}); err != nil {
		return fmt.Errorf("send s1ap to %s: %w", e.conn.RemoteAddr(), err)
	}
	e.m.countMsg(ifS1AP, dirTx, msgName(msg))
	return nil
}

// msgName is a message's type name, a bounded metric label.
func msgName(v any) string {
	s := fmt.Sprintf("%T", v)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// errorIndication reports a PDU we could not process, naming the UE IDs
// it carried (TS 36.413 8.7.2).
func (e *enb) errorIndication(info s1ap.Info, cause s1ap.Cause) {
	ei := &s1ap.ErrorIndication{Cause: &cause}
	if info.HasMMEUES1APID {
		id := info.MMEUES1APID
		ei.MMEUES1APID = &id
	}
	if info.HasENBUES1APID {
		id := info.ENBUES1APID
		ei.ENBUES1APID = &id
	}
	if err := e.send(ei, info.UEAssociated()); err != nil {
		e.log.Warn("send error indication", "err", err)
	}
}

// handle dispatches one PDU. Malformed input is counted and answered with
// an Error Indication; UE-associated messages go to their UE's executor.
func (e *enb) handle(pdu []byte) {
	msg, err := s1ap.Decode(pdu)
	if err != nil {
		info, _ := s1ap.Classify(pdu)
		if errors.Is(err, s1ap.ErrUnsupported) {
			e.m.countMsg(ifS1AP, dirRx, "unsupported")
			e.log.Debug("ignored an S1AP message we do not handle", "message", info.Name)
			return
		}
		e.m.m.malformed.s1ap.Add(1)
		e.log.Warn("malformed S1AP PDU", "err", err, "octets", len(pdu))
		e.errorIndication(info, s1ap.CauseTransferSyntaxError)
		return
	}
	e.m.countMsg(ifS1AP, dirRx, msgName(msg))
	switch v := msg.(type) {
	case *s1ap.S1SetupRequest:
		e.s1Setup(v)
		return
	case *s1ap.ErrorIndication:
		e.log.Info("error indication from eNB", "cause", v.Cause, "mme_ue_s1ap_id", v.MMEUES1APID, "enb_ue_s1ap_id", v.ENBUES1APID)
		return
	}
	if !e.setup.Load() {
		e.log.Warn("S1AP message before S1 Setup", "message", msgName(msg))
		e.errorIndication(infoOf(msg), s1ap.CauseSemanticError)
		return
	}
	e.ueMessage(msg)
}
