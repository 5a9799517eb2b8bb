package enb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// s1SetupTimeout bounds the wait for an S1 Setup answer.
const s1SetupTimeout = 5 * time.Second

// ueStreams is how many SCTP streams carry UE-associated signalling (1..N);
// stream 0 is for non-UE signalling (TS 36.412 7). A UE always uses the
// same stream, so its messages stay in order.
const ueStreams = 8

// mmeLink is the eNB's association with one MME.
type mmeLink struct {
	addr string

	mu     sync.Mutex
	conn   sctp.Conn // set while S1 Setup has succeeded
	name   string
	served []s1ap.ServedGUMMEI
}

func (l *mmeLink) current() sctp.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

func (l *mmeLink) setUp(c sctp.Conn, r *s1ap.S1SetupResponse) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conn, l.name, l.served = c, r.MMEName, r.ServedGUMMEIs
}

func (l *mmeLink) setDown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conn, l.served = nil, nil
}

// serves reports whether the MME is up and serves MME code mmec in plmn.
func (l *mmeLink) serves(plmn s1ap.PLMN, mmec uint8) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.served {
		if slices.Contains(g.Codes, mmec) && slices.Contains(g.PLMNs, plmn) {
			return l.conn != nil
		}
	}
	return false
}

func (n *ENB) mmesUp() int {
	up := 0
	for _, l := range n.mmes {
		if l.current() != nil {
			up++
		}
	}
	return up
}

// pickMME selects the MME for a new UE: the one serving the MME code of
// its S-TMSI, else the next MME that is up.
func (n *ENB) pickMME(stmsi *s1ap.STMSI) *mmeLink {
	if stmsi != nil {
		for _, l := range n.mmes {
			if l.serves(n.cfg.PLMN.s1ap(), stmsi.MMEC) {
				return l
			}
		}
	}
	start := n.rr.Add(1)
	for i := range n.mmes {
		l := n.mmes[(int(start)+i)%len(n.mmes)]
		if l.current() != nil {
			return l
		}
	}
	return nil
}

// mmeLoop keeps an association with one MME: dial, S1 Setup, serve, and
// after a loss or a refusal wait and start again, until ctx ends.
func (n *ENB) mmeLoop(ctx context.Context, l *mmeLink) {
	log := n.log.With("mme", l.addr)
	for ctx.Err() == nil {
		wait := n.cfg.S1SetupRetry
		n.ops.SetInfo("sctp", sctp.Chosen(n.cfg.SCTP))
		conn, err := sctp.Dial(ctx, n.cfg.SCTP, "", l.addr, log)
		if err != nil {
			log.Warn("mme association failed", "err", err)
			simkit.Sleep(ctx, wait)
			continue
		}
		stop := context.AfterFunc(ctx, func() { simkit.CloseQuietly(log, "mme association", conn) })
		resp, ttw, err := n.s1Setup(conn)
		if err != nil {
			n.m.setupFailure.Inc()
			log.Warn("s1 setup failed", "err", err)
			stop()
			simkit.CloseQuietly(log, "mme association", conn)
			if ttw > 0 {
				wait = ttw
			}
			simkit.Sleep(ctx, wait)
			continue
		}
		l.setUp(conn, resp)
		log.Info("s1 setup done", "mme_name", resp.MMEName, "served_gummeis", len(resp.ServedGUMMEIs))
		err = n.serveMME(l, conn)
		l.setDown()
		n.dropLink(l)
		stop()
		simkit.CloseQuietly(log, "mme association", conn)
		if ctx.Err() != nil {
			return
		}
		log.Warn("mme association lost", "err", err)
		simkit.Sleep(ctx, wait)
	}
}

// s1Setup sends S1 Setup Request and waits for the answer. A failure's
// TimeToWait is returned as ttw.
func (n *ENB) s1Setup(conn sctp.Conn) (resp *s1ap.S1SetupResponse, ttw time.Duration, err error) {
	if err := n.writeS1AP(conn, n.cfg.setupRequest(), 0); err != nil {
		return nil, 0, err
	}
	timer := time.AfterFunc(s1SetupTimeout, func() { simkit.CloseQuietly(n.log, "mme association", conn) })
	defer timer.Stop()
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		size, _, err := conn.ReadMsg(buf)
		if err != nil {
			return nil, 0, fmt.Errorf("waiting for S1 Setup Response: %w", err)
		}
		m, err := s1ap.Decode(buf[:size])
		if err != nil {
			n.m.malformed.WithLabelValues(srcS1AP).Inc()
			n.log.Warn("undecodable s1ap pdu while waiting for S1 Setup Response", "err", err, "len", size)
			continue
		}
		n.m.s1ap.WithLabelValues("rx", s1apName(m.ProcedureCode())).Inc()
		switch r := m.(type) {
		case *s1ap.S1SetupResponse:
			return r, 0, nil
		case *s1ap.S1SetupFailure:
			return nil, time.Duration(r.TimeToWait) * time.Second, fmt.Errorf("S1 Setup Failure: %s", r.Cause)
		}
	}
}

// serveMME reads and handles S1AP messages until the association ends.
func (n *ENB) serveMME(l *mmeLink, conn sctp.Conn) error {
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		size, _, err := conn.ReadMsg(buf)
		if errors.Is(err, io.ErrShortBuffer) {
			n.m.malformed.WithLabelValues(srcS1AP).Inc()
			n.log.Warn("s1ap message larger than the sctp maximum dropped", "size", size)
			continue
		}
		if err != nil {
			return err
		}
		n.handleS1AP(l, buf[:size])
	}
}

// writeS1AP encodes and sends one S1AP message on stream.
func (n *ENB) writeS1AP(conn sctp.Conn, m s1ap.Message, stream uint16) error {
	name := s1apName(m.ProcedureCode())
	b, err := m.Encode()
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	if err := conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: s1ap.SCTPPPID}); err != nil {
		return fmt.Errorf("send %s: %w", name, err)
	}
	n.m.s1ap.WithLabelValues("tx", name).Inc()
	return nil
}

// sendUE sends a UE-associated message to the UE's MME, on the UE's stream.
func (n *ENB) sendUE(l *mmeLink, enbID uint32, m s1ap.Message) {
	n.send(l, m, uint16(1+enbID%ueStreams))
}

// sendNonUE sends a non-UE-associated message on stream 0.
func (n *ENB) sendNonUE(l *mmeLink, m s1ap.Message) { n.send(l, m, 0) }

func (n *ENB) send(l *mmeLink, m s1ap.Message, stream uint16) {
	conn := l.current()
	if conn == nil {
		n.m.dropped.WithLabelValues(dropNoMME).Inc()
		return
	}
	if err := n.writeS1AP(conn, m, stream); err != nil {
		n.m.dropped.WithLabelValues(dropSendError).Inc()
		n.log.Warn("s1ap send", "mme", l.addr, "err", err)
	}
}

// dropLink forgets every UE of a lost MME and tells each it is released.
func (n *ENB) dropLink(l *mmeLink) {
	for _, ue := range n.ues.dropLink(l) {
		n.releaseUserPlane(ue)
		n.sendRelease(ue.key)
	}
}
