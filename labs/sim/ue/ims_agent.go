package ue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/proto/diameter"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// sipPort is where UEs and P-CSCFs speak SIP (TS 24.229 without IPsec).
const sipPort = 5060

// mmtelICSI is the IMS multimedia telephony service (TS 24.173).
const mmtelICSI = "urn:urn-7:3gpp-service.ims.icsi.mmtel"

// mediaFunc runs a call's RTP on conn towards peer until ctx ends (the
// signature of labs/sim/rtp.Stream).
type mediaFunc func(ctx context.Context, conn net.PacketConn, peer net.Addr) (simapi.RTPStats, error)

// listenFunc opens a UDP socket on addr (port 0: any).
type listenFunc func(ctx context.Context, addr netip.AddrPort) (net.PacketConn, error)

// imsAgentConfig is what an IMS user agent needs; the transport (listen),
// the media and the bearer source are injected so tests run on loopback.
type imsAgentConfig struct {
	supi, imsi   string
	mcc, mnc     string
	imeisv       string
	local        netip.AddrPort // our SIP address (port 0: any)
	pcscf        netip.AddrPort
	card         ims.AKACard
	listen       listenFunc
	media        mediaFunc
	bearers      *bearerHub
	book         *callBook
	metrics      *imsMetrics
	log          *slog.Logger
	cellID       string        // utran-cell-id-3gpp of P-Access-Network-Info
	calleeBearer time.Duration // how long a callee waits for its bearer
}

// imsAgent is one UE's IMS user agent: registration, calls either way.
type imsAgent struct {
	cfg    imsAgentConfig
	impi   string
	impu   string
	domain string
	// impuURI and domainURI are impu and sip:domain parsed.
	impuURI, domainURI sip.Uri
	conn               *sipConn
	local              netip.AddrPort // bound
	log                *slog.Logger

	ctx    context.Context // the agent's life: callee calls run in it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	registered   bool
	serviceRoute []string
	associated   []string
	regCallID    string
	regTag       string
	cseq         uint32
	dialogs      map[string]*dialog // by Call-ID
}

// newIMSAgent binds the agent's SIP socket and starts serving it; close
// ends it.
func newIMSAgent(ctx context.Context, cfg imsAgentConfig) (*imsAgent, error) {
	ids, err := diameter.DeriveIMSIdentities(cfg.imsi, cfg.mcc, cfg.mnc, "")
	if err != nil {
		return nil, fmt.Errorf("ims identities: %w", err)
	}
	dom, err := diameter.IMSDomain(cfg.mcc, cfg.mnc)
	if err != nil {
		return nil, fmt.Errorf("ims domain: %w", err)
	}
	var impuURI, domainURI sip.Uri
	if err := sip.ParseUri(ids.IMPU, &impuURI); err != nil {
		return nil, fmt.Errorf("impu %q: %w", ids.IMPU, err)
	}
	if err := sip.ParseUri("sip:"+dom, &domainURI); err != nil {
		return nil, fmt.Errorf("ims domain %q: %w", dom, err)
	}
	pc, err := cfg.listen(ctx, cfg.local)
	if err != nil {
		return nil, fmt.Errorf("sip socket on %s: %w", cfg.local, err)
	}
	local, err := netip.ParseAddrPort(pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("sip socket address %s: %w", pc.LocalAddr(), err)
	}
	if cfg.cellID == "" {
		cfg.cellID = defaultCellID(cfg.mcc, cfg.mnc)
	}
	log := cfg.log.With("supi", cfg.supi)
	a := &imsAgent{cfg: cfg, impi: ids.IMPI, impu: ids.IMPU, domain: dom, impuURI: impuURI, domainURI: domainURI, local: local, log: log,
		regCallID: sip.GenerateTagN(16) + "@" + local.Addr().String(), regTag: sip.GenerateTagN(10),
		dialogs: map[string]*dialog{}}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.conn = newSIPConn(pc, net.UDPAddrFromAddrPort(cfg.pcscf), log, cfg.metrics.malformedSIP)
	a.conn.onRequest = a.onRequest
	a.conn.onStray = a.onStray
	a.wg.Go(a.conn.serve)
	return a, nil
}

// defaultCellID is the cell the simulated UEs claim: the UE simulator
// does not learn the eNB's cell, so TAC 0001 and ECI 0000001.
func defaultCellID(mcc, mnc string) string { return mcc + mnc + "0001" + "0000001" }

// close ends calls in progress and the socket.
func (a *imsAgent) close() error {
	a.cancel()
	err := a.conn.close()
	a.wg.Wait()
	return err
}

func (a *imsAgent) isRegistered() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.registered
}

func (a *imsAgent) nextCSeq() uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cseq++
	return a.cseq
}

// errAuth: the network's challenge did not verify at the USIM.
var errAuth = errors.New("ims authentication failed")

// register runs REGISTER with IMS AKA (TS 24.229 5.1.1.2): the first
// request carries no credentials, the 401's challenge is answered by the
// USIM (a resynchronisation takes one more round), then 200. expires 0
// deregisters.
func (a *imsAgent) register(ctx context.Context, expires int) error {
	err := a.registerRounds(ctx, expires)
	op := "register"
	if expires == 0 {
		op = "deregister"
	}
	a.cfg.metrics.registration(op, err)
	return err
}

func (a *imsAgent) registerRounds(ctx context.Context, expires int) error {
	uri := "sip:" + a.domain
	auth := ims.InitialAuthorization(a.impi, a.domain, uri)
	for range 3 {
		res, err := a.conn.do(ctx, a.registerRequest(expires, auth), nil)
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		switch {
		case res.StatusCode == sip.StatusOK:
			a.registeredBy(res, expires)
			return nil
		case res.StatusCode != sip.StatusUnauthorized:
			return fmt.Errorf("register: %w: %d %s", errRejected, res.StatusCode, res.Reason)
		}
		h := res.GetHeader(ims.HeaderWWWAuthenticate)
		if h == nil {
			return fmt.Errorf("register: %w: 401 without WWW-Authenticate", errRejected)
		}
		c, err := ims.ParseChallenge(h.Value())
		if err != nil {
			a.cfg.metrics.malformedSIP("challenge")
			return fmt.Errorf("register: challenge: %w", err)
		}
		// Every 401 brings a fresh nonce: its first use is nc 1.
		ans, err := ims.AnswerAKA(c, a.cfg.card, a.impi, string(sip.REGISTER), uri, 1)
		if err != nil {
			return fmt.Errorf("register: %w: %w", errAuth, err)
		}
		auth = ans.Authorization
	}
	return fmt.Errorf("register: %w: still challenged after 3 rounds", errRejected)
}

// registeredBy keeps what the 200 to REGISTER says: the Service-Route
// (our route to the S-CSCF) and the P-Associated-URI set.
func (a *imsAgent) registeredBy(res *sip.Response, expires int) {
	var routes, assoc []string
	for _, h := range res.GetHeaders(ims.HeaderServiceRoute) {
		if l, err := ims.ParseNameAddrList(h.Value()); err == nil {
			routes = append(routes, l.URIs()...)
		}
	}
	for _, h := range res.GetHeaders("P-Associated-URI") {
		if l, err := ims.ParseNameAddrList(h.Value()); err == nil {
			assoc = append(assoc, l.URIs()...)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.registered = expires > 0
	a.serviceRoute, a.associated = routes, assoc
}

// contact is our Contact: the SIP address with the IMS feature tags.
func (a *imsAgent) contact() *sip.ContactHeader {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: a.cfg.imsi, Host: a.local.Addr().String(), Port: int(a.local.Port())}}
	ims.SetContactFeatures(c, ims.ContactFeatures{Instance: imeiURN(a.cfg.imeisv), ICSIRefs: []string{mmtelICSI}})
	return c
}

// imeiURN is the +sip.instance of a UE (TS 23.003 13.8): the IMEI's TAC
// and serial number from the IMEISV, spare digit 0.
func imeiURN(imeisv string) string {
	if len(imeisv) < 14 {
		return ""
	}
	return "urn:gsma:imei:" + imeisv[:8] + "-" + imeisv[8:14] + "-0"
}

func (a *imsAgent) registerRequest(expires int, auth ims.Authorization) *sip.Request {
	impu := *a.impuURI.Clone()
	req := sip.NewRequest(sip.REGISTER, *a.domainURI.Clone())
	a.addVia(req)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{Address: impu, Params: sip.HeaderParams{{K: "tag", V: a.regTag}}})
	req.AppendHeader(&sip.ToHeader{Address: *a.impuURI.Clone(), Params: sip.NewParams()})
	cid := sip.CallIDHeader(a.regCallID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: a.nextCSeq(), MethodName: sip.REGISTER})
	req.AppendHeader(a.contact())
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	req.AppendHeader(sip.NewHeader(ims.HeaderAuthorization, auth.String()))
	req.AppendHeader(sip.NewHeader("Supported", "path"))
	a.addUEHeaders(req)
	req.SetBody(nil)
	return req
}

// addVia puts our Via with a fresh branch (and rport, RFC 3581).
func (a *imsAgent) addVia(req *sip.Request) {
	req.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP",
		Host: a.local.Addr().String(), Port: int(a.local.Port()),
		Params: sip.HeaderParams{{K: "branch", V: sip.GenerateBranch()}, {K: "rport", V: ""}}})
}

// addUEHeaders adds where the UE is (P-Access-Network-Info), as a VoLTE
// UE does on every initial request. Optional headers (Allow, User-Agent)
// are left out: the CSCFs forward over UDP, where sipgo refuses requests
// beyond 1300 octets (RFC 3261 18.1.1), and each hop adds Via, Path or
// Record-Route.
func (a *imsAgent) addUEHeaders(req *sip.Request) {
	pani := ims.PAccessNetworkInfo{AccessType: "3GPP-E-UTRAN-FDD", Params: ims.Params{{Name: ims.ParamUTRANCellID3GPP, Value: a.cfg.cellID}}}
	req.AppendHeader(sip.NewHeader(ims.HeaderPAccessNetworkInfo, pani.String()))
}

// routeSet is the Route of an initial request: the P-CSCF, then the
// Service-Route (TS 24.229 5.1.2A.1.1).
func (a *imsAgent) routeSet() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []string{"sip:" + a.cfg.pcscf.String() + ";lr"}
	return append(out, a.serviceRoute...)
}
