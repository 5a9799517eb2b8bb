package pcscf

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	imssip "github.com/corebox/corebox/nf/proto/sip"
)

const (
	imsDomain = "ims.mnc001.mcc001.3gppnetwork.org"
	impu      = "sip:001010000000001@" + imsDomain
	impuTel   = "tel:+15550001"
	testCK    = "00112233445566778899aabbccddeeff"
	testIK    = "ffeeddccbbaa99887766554433221100"
)

// listenSIP runs ep on UDP port 0 of its host until the test ends.
func listenSIP(t *testing.T, ep *imssip.Endpoint) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr, done, err := ep.Listen(ctx, "udp", 0)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		if err := ep.Close(); err != nil {
			t.Errorf("close endpoint: %v", err)
		}
	})
	return addr
}

// cscf is an I-CSCF and S-CSCF double: it challenges the first REGISTER,
// accepts the second, answers INVITEs with 183 and (if answer) 200 with
// SDP, and records what it receives.
type cscf struct {
	ep     *imssip.Endpoint
	addr   string
	answer bool

	mu        sync.Mutex
	reqs      []*sip.Request
	cancelled map[string]bool
}

func newCSCF(t *testing.T, answer bool) *cscf {
	t.Helper()
	ep, err := imssip.NewEndpoint("127.0.0.1", "cscf-double", nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	c := &cscf{ep: ep, answer: answer, cancelled: map[string]bool{}}
	ep.Handle(sip.REGISTER, c.register)
	ep.Handle(sip.INVITE, c.invite)
	ep.Handle(sip.BYE, func(req *sip.Request, tx sip.ServerTransaction) {
		c.record(req)
		respond(t, tx, sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	ep.Handle(sip.ACK, func(req *sip.Request, _ sip.ServerTransaction) { c.record(req) })
	addr := listenSIP(t, ep)
	c.mu.Lock()
	c.addr = addr
	c.mu.Unlock()
	return c
}

func respond(t *testing.T, tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		t.Errorf("double respond %d: %v", res.StatusCode, err)
	}
}

func (c *cscf) record(req *sip.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, req)
}

// received is the last request of method with callID, nil if none.
func (c *cscf) received(method sip.RequestMethod, callID string) *sip.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.reqs) - 1; i >= 0; i-- {
		if r := c.reqs[i]; r.Method == method && r.CallID().Value() == callID {
			return r
		}
	}
	return nil
}

func (c *cscf) wasCancelled(callID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelled[callID]
}

// address is where the double listens; handlers read it under mu since
// it is set after the server starts.
func (c *cscf) address() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

func (c *cscf) serviceRoute() string { return "sip:orig@" + c.address() + ";lr" }

func (c *cscf) register(req *sip.Request, tx sip.ServerTransaction) {
	c.record(req)
	if req.GetHeader("Authorization") == nil {
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="`+imsDomain+
			`", nonce="cmFuZGF1dG4=", algorithm=AKAv1-MD5, qop="auth", ck="`+testCK+`", ik="`+testIK+`"`))
		_ = tx.Respond(res)
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if ct := req.Contact(); ct != nil {
		c := ct.Clone()
		c.Params.Add("expires", "600")
		res.AppendHeader(c)
	}
	res.AppendHeader(sip.NewHeader("P-Associated-URI", "<"+impu+">, <"+impuTel+">"))
	res.AppendHeader(sip.NewHeader("Service-Route", "<"+c.serviceRoute()+">"))
	_ = tx.Respond(res)
}

func (c *cscf) invite(req *sip.Request, tx sip.ServerTransaction) {
	c.record(req)
	offer, err := imssip.ParseSDP(req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	ans, err := imssip.NewAudioAnswer(offer, 2, netip.MustParseAddr("127.0.0.1"), 50000)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	withSDP := func(code int, reason string) *sip.Response {
		res := sip.NewResponseFromRequest(req, code, reason, []byte(ans.String()))
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		return res
	}
	tx.OnCancel(func(r *sip.Request) {
		c.mu.Lock()
		c.cancelled[r.CallID().Value()] = true
		c.mu.Unlock()
	})
	_ = tx.Respond(withSDP(183, "Session Progress"))
	if c.answer {
		res := withSDP(200, "OK")
		host, port, _ := net.SplitHostPort(c.address())
		p, _ := strconv.Atoi(port)
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callee", Host: host, Port: p}})
		_ = tx.Respond(res)
		return
	}
	select {
	case <-tx.Done(): // cancelled: sipgo answered 487
	case <-time.After(10 * time.Second):
		_ = tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
	}
}

// ue is a UE double: a SIP endpoint on its own loopback address.
type ue struct {
	ep    *imssip.Endpoint
	addr  string
	ip    string
	pcscf string
	cseq  uint32

	messages chan *sip.Request
}

func newUE(t *testing.T, ip, pcscf string) *ue {
	t.Helper()
	ep, err := imssip.NewEndpoint(ip, "ue-double", nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	u := &ue{ep: ep, ip: ip, pcscf: pcscf, messages: make(chan *sip.Request, 8)}
	ep.Handle(sip.MESSAGE, func(r *sip.Request, tx sip.ServerTransaction) {
		u.messages <- r
		respond(t, tx, sip.NewResponseFromRequest(r, 200, "OK", nil))
	})
	u.addr = listenSIP(t, ep)
	// Send from the listening socket, as a UE sends from the port it
	// registered. sipgo reports the socket ready before its pool holds
	// it: wait for that too.
	nfkittest.Eventually(t, 5*time.Second, "ue socket pooled", func() bool {
		_, err := ep.UA.TransportLayer().GetConnection("udp", u.addr)
		return err == nil
	})
	cl, err := sipgo.NewClient(ep.UA, sipgo.WithClientHostname(ip), sipgo.WithClientConnectionAddr(u.addr))
	if err != nil {
		t.Fatal(err)
	}
	ep.Client = cl
	return u
}

func (u *ue) contact() sip.Uri {
	host, port, _ := net.SplitHostPort(u.addr)
	p, _ := strconv.Atoi(port)
	return sip.Uri{Scheme: "sip", User: "ue", Host: host, Port: p}
}

// request is a new out-of-dialog request from our IMPU.
func (u *ue) request(method sip.RequestMethod, target, callID string) *sip.Request {
	var ruri sip.Uri
	if err := sip.ParseUri(target, &ruri); err != nil {
		panic(err)
	}
	req := sip.NewRequest(method, ruri)
	var from sip.Uri
	_ = sip.ParseUri(impu, &from)
	fh := &sip.FromHeader{Address: from, Params: sip.NewParams()}
	fh.Params.Add("tag", sip.GenerateTagN(8))
	to := ruri
	if method == sip.REGISTER {
		to = from
	}
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	u.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: u.cseq, MethodName: method})
	req.AppendHeader(&sip.ContactHeader{Address: u.contact()})
	return req
}

// send sends req to the P-CSCF and collects its responses up to the
// final one.
func (u *ue) send(t *testing.T, req *sip.Request) []*sip.Response {
	t.Helper()
	req.SetDestination(u.pcscf)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tx, err := u.ep.Client.TransactionRequest(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	defer tx.Terminate()
	var out []*sip.Response
	for {
		select {
		case res := <-tx.Responses():
			out = append(out, res)
			if res.StatusCode >= 200 {
				return out
			}
		case <-tx.Done():
			t.Fatalf("%s: transaction ended without final response: %v", req.Method, tx.Err())
		case <-ctx.Done():
			t.Fatalf("%s: no final response", req.Method)
		}
	}
}

func final(rs []*sip.Response) *sip.Response { return rs[len(rs)-1] }

// registerUE runs the two-step REGISTER and returns the 401 and the 200.
func (u *ue) register(t *testing.T) (challenge, ok *sip.Response) {
	t.Helper()
	callID := "reg-" + u.ip
	first := final(u.send(t, u.request(sip.REGISTER, "sip:"+imsDomain, callID)))
	if first.StatusCode != 401 {
		t.Fatalf("first REGISTER: %d, want 401", first.StatusCode)
	}
	req := u.request(sip.REGISTER, "sip:"+imsDomain, callID)
	req.AppendHeader(sip.NewHeader("Authorization", `Digest username="001010000000001@`+imsDomain+
		`", realm="`+imsDomain+`", nonce="cmFuZGF1dG4=", uri="sip:`+imsDomain+`", response="00", algorithm=AKAv1-MD5`))
	second := final(u.send(t, req))
	if second.StatusCode != 200 {
		t.Fatalf("second REGISTER: %d, want 200", second.StatusCode)
	}
	return first, second
}

// offer is an audio SDP offer from the UE's address.
func (u *ue) offer(t *testing.T, port int) []byte {
	t.Helper()
	s, err := imssip.NewAudioOffer(1, netip.MustParseAddr(u.ip), port, imssip.CodecPCMU)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s.String())
}

// env is a P-CSCF with its next hop double and, when withRx, a PCRF with
// a PGW double.
type env struct {
	n    *PCSCF
	cscf *cscf
	pgw  *pcrftest.PGW
	sip  string
}

func startEnv(t *testing.T, policy string, withRx, answer bool) *env {
	t.Helper()
	e := &env{cscf: newCSCF(t, answer)}
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SIP.Port = 0
	cfg.SIP.Transports = []string{"udp"}
	cfg.SIP.ICSCF = "sip:" + e.cscf.address()
	cfg.Rx.Policy = policy
	if withRx {
		p, _ := pcrftest.Start(t, pcrftest.Config())
		cfg.Rx.PCRF = p.DiameterAddr().String()
		e.pgw = pcrftest.NewPGW(t, cfg.Rx.PCRF, "pgw.epc.mnc001.mcc001.3gppnetwork.org")
	}
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	e.n = n
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "pcscf ready", func() bool { ok, _ := n.Ready(); return ok })
	e.sip = n.SIPAddr("udp")
	return e
}

// openGx opens a Gx session on APN ims for the UE address ip.
func (e *env) openGx(t *testing.T, ip string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sid, cca, err := e.pgw.Open(ctx, pcrftest.Session{IMSI: "001010000000001", APN: "ims", UE: netip.MustParseAddr(ip)})
	if err != nil {
		t.Fatal(err)
	}
	if !cca.Result.OK() {
		t.Fatalf("CCA-I: %v", cca.Result)
	}
	return sid
}

func headerValue(m interface{ GetHeader(string) sip.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func must(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}
