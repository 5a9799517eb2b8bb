package gnb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// ngSetupTimeout bounds the wait for an NG Setup answer.
const ngSetupTimeout = 5 * time.Second

// ueStreams is how many SCTP streams carry UE-associated signalling (1..N);
// stream 0 is for non-UE signalling. A UE always uses the same stream, so
// its messages stay in order.
const ueStreams = 8

// amfLink is the gNB's association with one AMF.
type amfLink struct {
	addr string

	mu     sync.Mutex
	conn   sctp.Conn // set while NG Setup has succeeded
	name   string
	guamis []n2.GUAMI
}

func (l *amfLink) current() sctp.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

func (l *amfLink) setUp(c sctp.Conn, r *n2.NGSetupResponse) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conn, l.name, l.guamis = c, r.AMFName, r.ServedGUAMIs
}

func (l *amfLink) setDown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conn, l.guamis = nil, nil
}

// serves reports whether the AMF serves the AMF set and pointer of stmsi.
func (l *amfLink) serves(s n2.STMSI) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.guamis {
		if g.SetID == s.AMFSetID && g.Pointer == s.AMFPointer {
			return l.conn != nil
		}
	}
	return false
}

func (n *NF) amfsUp() int {
	up := 0
	for _, l := range n.amfs {
		if l.current() != nil {
			up++
		}
	}
	return up
}

// pickAMF selects the AMF for a new UE: the one serving its 5G-S-TMSI,
// else the next AMF that is up.
func (n *NF) pickAMF(stmsi *n2.STMSI) *amfLink {
	if stmsi != nil {
		for _, l := range n.amfs {
			if l.serves(*stmsi) {
				return l
			}
		}
	}
	start := n.rr.Add(1)
	for i := range n.amfs {
		l := n.amfs[(int(start)+i)%len(n.amfs)]
		if l.current() != nil {
			return l
		}
	}
	return nil
}

// amfLoop keeps an association with one AMF: dial, NG Setup, serve, and
// after a loss or a refusal wait and start again, until ctx ends.
func (n *NF) amfLoop(ctx context.Context, l *amfLink) {
	log := n.log.With("amf", l.addr)
	for ctx.Err() == nil {
		wait := n.cfg.NGSetupRetry
		n.ops.SetInfo("sctp", sctp.Chosen(n.cfg.SCTP))
		conn, err := sctp.Dial(ctx, n.cfg.SCTP, "", l.addr, log)
		if err != nil {
			log.Warn("amf association failed", "err", err)
			simkit.Sleep(ctx, wait)
			continue
		}
		stop := context.AfterFunc(ctx, func() { simkit.CloseQuietly(log, "amf association", conn) })
		resp, ttw, err := n.ngSetup(conn)
		if err != nil {
			n.m.setupFailure.Inc()
			log.Warn("ng setup failed", "err", err)
			stop()
			simkit.CloseQuietly(log, "amf association", conn)
			if ttw > 0 {
				wait = ttw
			}
			simkit.Sleep(ctx, wait)
			continue
		}
		l.setUp(conn, resp)
		log.Info("ng setup done", "amf_name", resp.AMFName, "guamis", len(resp.ServedGUAMIs))
		err = n.serveAMF(l, conn)
		l.setDown()
		n.dropLink(l)
		stop()
		simkit.CloseQuietly(log, "amf association", conn)
		if ctx.Err() != nil {
			return
		}
		log.Warn("amf association lost", "err", err)
		simkit.Sleep(ctx, wait)
	}
}

// ngSetup sends NG Setup Request and waits for the answer. A failure's
// TimeToWait is returned as ttw.
func (n *NF) ngSetup(conn sctp.Conn) (resp *n2.NGSetupResponse, ttw time.Duration, err error) {
	if err := n.writeNGAP(conn, n.cfg.setupRequest(), 0); err != nil {
		return nil, 0, err
	}
	timer := time.AfterFunc(ngSetupTimeout, func() { simkit.CloseQuietly(n.log, "amf association", conn) })
	defer timer.Stop()
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		size, _, err := conn.ReadMsg(buf)
		if err != nil {
			return nil, 0, fmt.Errorf("waiting for NG Setup Response: %w", err)
		}
		m, err := n2.Decode(buf[:size])
		if err != nil {
			n.m.malformed.WithLabelValues("ngap").Inc()
			continue
		}
		n.m.ngap.WithLabelValues("rx", ngapName(m.ProcedureCode())).Inc()
		switch r := m.(type) {
		case *n2.NGSetupResponse:
			return r, 0, nil
		case *n2.NGSetupFailure:
			return nil, time.Duration(r.TimeToWait) * time.Second, fmt.Errorf("NG Setup Failure: %s", r.Cause)
		}
	}
}

// serveAMF reads and handles NGAP messages until the association ends.
func (n *NF) serveAMF(l *amfLink, conn sctp.Conn) error {
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		size, _, err := conn.ReadMsg(buf)
		if errors.Is(err, io.ErrShortBuffer) {
			n.m.malformed.WithLabelValues("ngap").Inc()
			continue
		}
		if err != nil {
			return err
		}
		n.handleNGAP(l, buf[:size])
	}
}

// writeNGAP encodes and sends one NGAP message on stream.
func (n *NF) writeNGAP(conn sctp.Conn, m n2.Message, stream uint16) error {
	b, err := m.Encode()
	if err != nil {
		return fmt.Errorf("encode %s: %w", ngapName(m.ProcedureCode()), err)
	}
	if err := conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: sctp.PPIDNGAP}); err != nil {
		return fmt.Errorf("send %s: %w", ngapName(m.ProcedureCode()), err)
	}
	n.m.ngap.WithLabelValues("tx", ngapName(m.ProcedureCode())).Inc()
	return nil
}

// sendUE sends a UE-associated message to the UE's AMF, on the UE's stream.
func (n *NF) sendUE(l *amfLink, ranID uint32, m n2.Message) {
	conn := l.current()
	if conn == nil {
		n.m.dropped.WithLabelValues(dropNoAMF).Inc()
		return
	}
	if err := n.writeNGAP(conn, m, uint16(1+ranID%ueStreams)); err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Warn("ngap send", "err", err)
	}
}

// sendNonUE sends a non-UE-associated message on stream 0.
func (n *NF) sendNonUE(l *amfLink, m n2.Message) {
	conn := l.current()
	if conn == nil {
		n.m.dropped.WithLabelValues(dropNoAMF).Inc()
		return
	}
	if err := n.writeNGAP(conn, m, 0); err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Warn("ngap send", "err", err)
	}
}

// dropLink forgets every UE of a lost AMF and tells each it is released.
func (n *NF) dropLink(l *amfLink) {
	for _, ue := range n.ues.dropLink(l) {
		n.releaseUserPlane(ue)
		n.sendRelease(ue.key)
	}
}
