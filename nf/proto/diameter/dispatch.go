package diameter

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
)

// readLoop reads messages until the stream fails: a message that does not
// decode is answered and skipped, only a lost framing ends the loop.
func (p *Peer) readLoop() {
	for {
		b, err := readFrame(p.br)
		if err != nil {
			p.readFailed(err)
			return
		}
		p.lastRx.Store(time.Now().UnixNano())
		m, err := Decode(b)
		if err != nil {
			p.malformed(err)
			continue
		}
		p.dispatch(m)
	}
}

func (p *Peer) readFailed(err error) {
	switch {
	case errors.Is(err, errFraming):
		p.ep.obs.Malformed(ReasonFraming)
		p.logger().Warn("diameter: unframeable message, closing the connection", "err", err)
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), p.ctx.Err() != nil:
		p.logger().Debug("diameter: connection closed", "err", err)
	default:
		p.logger().Info("diameter: read failed, closing the connection", "err", err)
	}
}

// malformed counts a message that did not decode and, when its header
// allows, answers it (a request) or fails its request (an answer).
func (p *Peer) malformed(err error) {
	p.ep.obs.Malformed(ReasonDecode)
	p.logger().Warn("diameter: malformed message dropped", "err", err)
	var de *DecodeError
	if !errors.As(err, &de) {
		return
	}
	if de.Header.CommandFlags&diam.RequestFlag == 0 {
		p.deliver(de.Header.HopByHopID, reply{err: err})
		return
	}
	res := Result{Code: ResultInvalidAVPValue}
	if de.UnknownCommand {
		res.Code = ResultCommandUnsupported
	}
	p.sendAnswer(de.Header, errorAnswerFor(de.Header, nil, p.ep.cfg, res, "message did not decode"))
}

func (p *Peer) dispatch(m *diam.Message) {
	h := m.Header
	if h.CommandFlags&diam.RequestFlag == 0 {
		if !p.deliver(h.HopByHopID, reply{m: m}) {
			p.logger().Debug("diameter: answer to no pending request", "cmd", commandName(m), "hbh", h.HopByHopID)
		}
		return
	}
	if h.ApplicationID == AppBase {
		switch h.CommandCode {
		case CmdCapabilitiesExchange:
			p.serveCER(m)
			return
		case CmdDeviceWatchdog:
			p.serveDWR(m)
			return
		case CmdDisconnectPeer:
			p.serveDPR(m)
			return
		}
	}
	p.serveRequest(m)
}

func (p *Peer) serveRequest(m *diam.Message) {
	h := m.Header
	var refuse Result
	hd, found := p.ep.handler(h.ApplicationID, h.CommandCode)
	switch {
	case p.metadata() == nil:
		refuse = Result{Code: ResultUnknownPeer}
	case !p.ep.cfg.serves(h.ApplicationID):
		refuse = Result{Code: ResultApplicationUnsupported}
	case !found:
		refuse = Result{Code: ResultCommandUnsupported}
	case p.ep.draining.Load():
		refuse = Result{Code: ResultTooBusy}
	}
	if refuse.Code != 0 {
		p.sendAnswer(h, errorAnswer(m, p.ep.cfg, refuse, ""))
		return
	}
	select {
	case p.sem <- struct{}{}:
	case <-p.ctx.Done():
		return
	}
	p.ep.inflight.Add(1)
	p.wg.Go(func() {
		defer func() {
			<-p.sem
			p.ep.inflight.Add(-1)
		}()
		if ans := p.runHandler(hd, m); ans != nil {
			p.sendAnswer(h, ans)
		}
	})
}

// runHandler calls h and turns its error (or panic) into an error answer.
func (p *Peer) runHandler(h Handler, req *diam.Message) (ans *diam.Message) {
	defer func() {
		if r := recover(); r != nil {
			p.logger().Error("diameter: handler panic", "cmd", commandName(req), "panic", r)
			ans = errorAnswer(req, p.ep.cfg, Result{Code: ResultUnableToComply}, "internal error")
		}
	}()
	ans, err := h(p.ctx, p, req)
	if err == nil {
		if ans == nil {
			p.logger().Error("diameter: handler gave no answer", "cmd", commandName(req))
			return errorAnswer(req, p.ep.cfg, Result{Code: ResultUnableToComply}, "no answer")
		}
		return ans
	}
	var re *ResultError
	switch {
	case errors.As(err, &re):
		return errorAnswer(req, p.ep.cfg, re.Result, re.Msg)
	case errors.Is(err, ErrMissingAVP):
		p.ep.obs.Malformed(ReasonMissingAVP)
		p.logger().Warn("diameter: request lacks a mandatory AVP", "err", err)
		return errorAnswer(req, p.ep.cfg, Result{Code: ResultMissingAVP}, err.Error())
	case errors.Is(err, ErrInvalidAVP):
		p.ep.obs.Malformed(ReasonInvalidAVP)
		p.logger().Warn("diameter: request has an invalid AVP", "err", err)
		return errorAnswer(req, p.ep.cfg, Result{Code: ResultInvalidAVPValue}, err.Error())
	}
	if p.ctx.Err() != nil {
		return nil // the connection is gone: nobody to answer
	}
	p.logger().Error("diameter: handler failed", "cmd", commandName(req), "err", err)
	return errorAnswer(req, p.ep.cfg, Result{Code: ResultUnableToComply}, "")
}

// sendAnswer writes ans as the answer to the request with header req
// (its ids and P flag) and reports it.
func (p *Peer) sendAnswer(req *diam.Header, ans *diam.Message) {
	cmd := CommandName(req.ApplicationID, req.CommandCode, true)
	ans.Header.HopByHopID = req.HopByHopID
	ans.Header.EndToEndID = req.EndToEndID
	ans.Header.CommandFlags &^= diam.RequestFlag
	ans.Header.CommandFlags |= req.CommandFlags & diam.ProxiableFlag
	res, err := ResultOf(ans)
	if err != nil {
		p.logger().Error("diameter: answer without a result", "cmd", cmd)
	}
	// Counted before the write so that a peer reading the answer already
	// sees it in the metrics.
	p.ep.obs.Answered(cmd, res)
	if err := p.write(ans); err != nil {
		p.logger().Debug("diameter: answer not sent", "cmd", cmd, "err", err)
	}
}
