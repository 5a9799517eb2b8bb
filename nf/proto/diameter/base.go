package diameter

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"
	"github.com/fiorix/go-diameter/v4/diam/sm/smparser"
	"github.com/fiorix/go-diameter/v4/diam/sm/smpeer"
)

// relayApp is the relay Application-Id (RFC 6733 2.4): a relay serves all.
const relayApp = 0xFFFFFFFF

// serveCER runs the server side of the capabilities exchange through
// go-diameter's state machine, after refusing (5010) a peer that shares
// none of our applications: the state machine would accept any
// application its dictionary knows.
func (p *Peer) serveCER(m *diam.Message) {
	if p.ep.role != roleServer {
		p.logger().Warn("diameter: CER from the server side; closing")
		p.Close()
		return
	}
	if p.metadata() != nil {
		return // a retransmission: the state machine ignores it too
	}
	var cer smparser.CER
	if _, err := cer.Parse(m, smparser.Server); err == nil && !p.sharesApp(cer.Applications()) {
		p.logger().Warn("diameter: CER shares no application with us", "origin_host", string(cer.OriginHost),
			"theirs", cer.Applications(), "ours", p.ep.cfg.Applications)
		ans := errorAnswer(m, p.ep.cfg, Result{Code: ResultNoCommonApplication}, "no common application")
		put(ans, u32(avpVendorID, p.ep.cfg.VendorID), utf8(avpProductName, p.ep.cfg.ProductName))
		p.sendAnswer(m.Header, ans)
		p.Close()
		return
	}
	p.ep.sm.ServeDIAM(smConn{p}, m)
	meta, ok := smpeer.FromContext(p.smContext())
	if !ok {
		return // refused: the state machine answered and closed
	}
	p.up(meta)
}

func (p *Peer) sharesApp(theirs []uint32) bool {
	for _, a := range theirs {
		if a == relayApp || slices.Contains(p.ep.cfg.Applications, a) {
			return true
		}
	}
	return false
}

func (p *Peer) up(meta *smpeer.Metadata) {
	p.mu.Lock()
	p.remote = meta
	p.mu.Unlock()
	close(p.upCh)
	p.log.Store(p.logger().With("origin_host", string(meta.OriginHost)))
	p.logger().Info("diameter: peer up", "realm", string(meta.OriginRealm), "apps", meta.Applications)
	p.ep.obs.PeerUp(string(meta.OriginHost))
	if p.ep.onUp != nil {
		p.ep.onUp(p)
	}
}

func (p *Peer) serveDWR(m *diam.Message) {
	if p.metadata() == nil {
		p.sendAnswer(m.Header, errorAnswer(m, p.ep.cfg, Result{Code: ResultUnknownPeer}, "no capabilities exchange yet"))
		return
	}
	p.ep.sm.ServeDIAM(smConn{p}, m)
}

// serveDPR answers DPR and closes (go-diameter's state machine has no DPR).
func (p *Peer) serveDPR(m *diam.Message) {
	ans := newMessage(AppBase, CmdDisconnectPeer, false)
	put(ans, Success.avp(), ident(avpOriginHost, p.ep.cfg.OriginHost), ident(avpOriginRealm, p.ep.cfg.OriginRealm))
	p.sendAnswer(m.Header, ans)
	p.logger().Info("diameter: peer disconnected (DPR)")
	p.Close()
}

func (p *Peer) dwr() *diam.Message {
	m := newMessage(AppBase, CmdDeviceWatchdog, true)
	m.Header.CommandFlags &^= diam.ProxiableFlag
	put(m, ident(avpOriginHost, p.ep.cfg.OriginHost), ident(avpOriginRealm, p.ep.cfg.OriginRealm))
	return m
}

// originState is our Origin-State-Id: it changes each time the process
// starts, so peers see restarts.
var originState = uint32(time.Now().Unix())

// cer builds our Capabilities-Exchange-Request.
func (p *Peer) cer() *diam.Message {
	c := p.ep.cfg
	m := newMessage(AppBase, CmdCapabilitiesExchange, true)
	m.Header.CommandFlags &^= diam.ProxiableFlag
	put(m, ident(avpOriginHost, c.OriginHost), ident(avpOriginRealm, c.OriginRealm))
	if ap, err := netip.ParseAddrPort(p.nc.LocalAddr().String()); err == nil {
		put(m, diam.NewAVP(avpHostIPAddress.code, avpHostIPAddress.flags, 0, datatype.Address(ap.Addr().Unmap().AsSlice())))
	}
	put(m, u32(avpVendorID, c.VendorID), utf8(avpProductName, c.ProductName), u32(avpOriginStateID, originState),
		u32(avpSupportedVendorID, Vendor3GPP))
	for _, app := range c.Applications {
		put(m, group(avpVendorSpecificApp, u32(avpVendorID, Vendor3GPP), u32(avpAuthAppID, app)))
	}
	put(m, u32(avpInbandSecurityID, 0))
	return m
}

// handshake is the client side of the capabilities exchange: CER, then
// the CEA checked by go-diameter's parser and for a common application.
func (p *Peer) handshake(ctx context.Context) error {
	ans, err := p.request(ctx, p.cer())
	if err != nil {
		return fmt.Errorf("capabilities exchange: %w", err)
	}
	var cea smparser.CEA
	if err := cea.Parse(ans, smparser.Client); err != nil {
		return fmt.Errorf("capabilities exchange: CEA from %s: %w", p.RemoteAddr(), err)
	}
	if !p.sharesApp(cea.Applications()) {
		return fmt.Errorf("capabilities exchange: %s serves %v, none of %v", cea.OriginHost,
			cea.Applications(), p.ep.cfg.Applications)
	}
	meta := smpeer.FromCEA(&cea)
	p.setSMContext(smpeer.NewContext(p.smContext(), meta))
	p.up(meta)
	return nil
}

// errorAnswer answers req with res, carrying over its Session-Id and
// application AVPs so the answer fits the command's grammar.
func errorAnswer(req *diam.Message, cfg PeerConfig, res Result, msg string) *diam.Message {
	return errorAnswerFor(req.Header, req, cfg, res, msg)
}

// errorAnswerFor builds an error answer from a request header (req may be
// nil when the body did not decode). Protocol errors (3xxx) set the E bit.
func errorAnswerFor(h *diam.Header, req *diam.Message, cfg PeerConfig, res Result, msg string) *diam.Message {
	a := newMessage(h.ApplicationID, h.CommandCode, false)
	if res.Code >= 3000 && res.Code < 4000 && !res.Experimental {
		a.Header.CommandFlags |= diam.ErrorFlag
	}
	if req != nil {
		l := topLevel(req)
		for _, d := range []def{avpSessionID, avpVendorSpecificApp, avpAuthAppID, avpAuthSessionState} {
			if x := l.find(d); x != nil {
				put(a, x)
			}
		}
	}
	put(a, res.avp(), ident(avpOriginHost, cfg.OriginHost), ident(avpOriginRealm, cfg.OriginRealm))
	if msg != "" {
		put(a, utf8(avpErrorMessage, msg))
	}
	return a
}

func (p *Peer) smContext() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.smCtx
}

func (p *Peer) setSMContext(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.smCtx = ctx
}

// smConn is the diam.Conn go-diameter's state machine answers through.
type smConn struct{ p *Peer }

func (c smConn) Write(b []byte) (int, error)               { return c.p.writeRaw(b) }
func (c smConn) WriteStream(b []byte, _ uint) (int, error) { return c.p.writeRaw(b) }
func (c smConn) Close()                                    { c.p.Close() }
func (c smConn) LocalAddr() net.Addr                       { return c.p.nc.LocalAddr() }
func (c smConn) RemoteAddr() net.Addr                      { return c.p.nc.RemoteAddr() }
func (c smConn) TLS() *tls.ConnectionState                 { return nil }
func (c smConn) Dictionary() *dict.Parser                  { return dict.Default }
func (c smConn) Context() context.Context                  { return c.p.smContext() }
func (c smConn) SetContext(ctx context.Context)            { c.p.setSMContext(ctx) }
func (c smConn) Connection() net.Conn                      { return c.p.nc }
