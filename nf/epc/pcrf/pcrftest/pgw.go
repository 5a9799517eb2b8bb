package pcrftest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// PGW is a Gx client standing for a PGW: it opens and closes IP-CAN
// sessions, and records and answers the RARs the PCRF sends it.
type PGW struct {
	Host  string
	Realm string
	c     *diameter.Client

	mu     sync.Mutex
	rars   []*diameter.RAR
	answer func(*diameter.RAR) diameter.Result
	seq    map[string]uint32 // next CC-Request-Number per session
}

// NewPGW connects a PGW named host to the PCRF at addr, until the test
// ends. It answers RARs with success until told otherwise (OnRAR).
func NewPGW(t testing.TB, addr, host string) *PGW {
	t.Helper()
	g := &PGW{Host: host, Realm: EPCRealm, seq: map[string]uint32{},
		answer: func(*diameter.RAR) diameter.Result { return diameter.Success }}
	c, err := diameter.NewClient(diameter.PeerConfig{OriginHost: host, OriginRealm: g.Realm,
		Applications: []uint32{diameter.AppGx}}, addr, diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(diameter.AppGx, diameter.CmdReAuth, g.serveRAR)
	g.c = c
	startClient(t, c, "pgw "+host)
	return g
}

// OnRAR makes f decide the result of each RAA from now on.
func (g *PGW) OnRAR(f func(*diameter.RAR) diameter.Result) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer = f
}

func (g *PGW) serveRAR(_ context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	rar, err := diameter.ParseRAR(m)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.rars = append(g.rars, rar)
	res := g.answer(rar)
	g.mu.Unlock()
	a := &diameter.RAA{AnswerHeader: diameter.AnswerHeader{SessionID: rar.SessionID, OriginHost: g.Host,
		OriginRealm: g.Realm, Result: res}}
	return a.Build()
}

// RARs are the RARs received so far.
func (g *PGW) RARs() []*diameter.RAR {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.rars)
}

// WaitRARs waits until n RARs have come and returns them all.
func (g *PGW) WaitRARs(t testing.TB, n int) []*diameter.RAR {
	t.Helper()
	nfkittest.Eventually(t, timeout, fmt.Sprintf("%d RARs at %s", n, g.Host), func() bool { return len(g.RARs()) >= n })
	return g.RARs()
}

// Client is the Gx connection, to send hand-made requests.
func (g *PGW) Client() *diameter.Client { return g.c }

// Header is a request header of session sid towards the PCRF's realm.
func (g *PGW) Header(sid string) diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: sid, OriginHost: g.Host, OriginRealm: g.Realm, DestinationRealm: EPCRealm}
}

// Session is what a CCR-Initial says of a PDN connection.
type Session struct {
	IMSI   string
	MSISDN string
	APN    string
	UE     netip.Addr
}

// Open sends CCR-Initial for s and returns the new Session-Id and the
// CCA.
func (g *PGW) Open(ctx context.Context, s Session) (string, *diameter.CCA, error) {
	sid := diameter.NewSessionID(g.Host)
	ccr := &diameter.CCR{RequestHeader: g.Header(sid), RequestType: diameter.CCRequestInitial,
		FramedIP: s.UE, APN: s.APN, RATType: diameter.RATTypeEUTRAN}
	if s.IMSI != "" {
		ccr.Subscriptions = append(ccr.Subscriptions, diameter.SubscriptionID{Type: diameter.SubscriptionIDIMSI, Data: s.IMSI})
	}
	if s.MSISDN != "" {
		ccr.Subscriptions = append(ccr.Subscriptions, diameter.SubscriptionID{Type: diameter.SubscriptionIDE164, Data: s.MSISDN})
	}
	cca, err := g.CCR(ctx, ccr)
	return sid, cca, err
}

// Update sends a CCR-Update for sid.
func (g *PGW) Update(ctx context.Context, sid string) (*diameter.CCA, error) {
	return g.CCR(ctx, &diameter.CCR{RequestHeader: g.Header(sid), RequestType: diameter.CCRequestUpdate})
}

// Terminate sends a CCR-Termination for sid.
func (g *PGW) Terminate(ctx context.Context, sid string) (*diameter.CCA, error) {
	return g.CCR(ctx, &diameter.CCR{RequestHeader: g.Header(sid), RequestType: diameter.CCRequestTermination})
}

// CCR numbers ccr (CC-Request-Number per session), sends it and parses
// the CCA.
func (g *PGW) CCR(ctx context.Context, ccr *diameter.CCR) (*diameter.CCA, error) {
	g.mu.Lock()
	ccr.RequestNumber = g.seq[ccr.SessionID]
	g.seq[ccr.SessionID]++
	if ccr.RequestType == diameter.CCRequestTermination {
		delete(g.seq, ccr.SessionID)
	}
	g.mu.Unlock()
	m, err := ccr.Build()
	if err != nil {
		return nil, err
	}
	ans, err := g.Request(ctx, m)
	if err != nil {
		return nil, err
	}
	return diameter.ParseCCA(ans)
}

// Request sends m and returns the answer, within ctx and a 10s bound.
func (g *PGW) Request(ctx context.Context, m *diam.Message) (*diam.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return g.c.Request(ctx, m)
}
