package hss_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// TS 35.208 test set 1 keys.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
	imsi    = "001010000000001"
	msisdn  = "33612345678"
	realm   = "epc.mnc001.mcc001.3gppnetwork.org"
	mme1    = "mme1.epc.mnc001.mcc001.3gppnetwork.org"
	mme2    = "mme2.epc.mnc001.mcc001.3gppnetwork.org"
	hssHost = "hss.epc.mnc001.mcc001.3gppnetwork.org"
)

var bg = context.Background()

type env struct {
	udr  *udr.NF
	udrc *udr.Client
	hss  *hss.HSS
}

// setup runs a UDR holding one subscriber (SQN 0x20, DNNs internet and
// ims) and an HSS on it.
func setup(t testing.TB, mod func(*hss.Config)) env {
	t.Helper()
	u, _ := udrtest.Start(t, udrtest.Config(t))
	udrtest.Provision(t, u, udr.Provision{IMSI: imsi, K: testK, OPc: testOPc, SQN: "20", MSISDN: msisdn,
		DNNs: []udr.DNN{{DNN: "internet", SST: 1, Default: true}, {DNN: "ims", SST: 1}}})
	cfg := hsstest.Config(u.SBIURL())
	if mod != nil {
		mod(&cfg)
	}
	h, _ := hsstest.Start(t, cfg)
	sc, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.CloseIdleConnections)
	return env{udr: u, hss: h, udrc: udr.NewClient(sc, nfsbi.FixedLocator(u.SBIURL()))}
}

// mme is a Diameter client standing for an MME; it records the CLRs it
// gets and answers them.
type mme struct {
	host string
	c    *diameter.Client
	mu   sync.Mutex
	clrs []*diameter.CLR
}

func newMME(t testing.TB, h *hss.HSS, host string) *mme {
	t.Helper()
	m := &mme{host: host}
	c, err := diameter.NewClient(diameter.PeerConfig{OriginHost: host, OriginRealm: realm,
		Applications: []uint32{diameter.AppS6a}}, h.DiameterAddr().String(), diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(diameter.AppS6a, diameter.CmdCancelLocation, m.serveCLR)
	m.c = c
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mme %s: %v", host, err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if _, err := c.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *mme) serveCLR(_ context.Context, _ *diameter.Peer, req *diam.Message) (*diam.Message, error) {
	clr, err := diameter.ParseCLR(req)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.clrs = append(m.clrs, clr)
	m.mu.Unlock()
	a := &diameter.CLA{AnswerHeader: diameter.AnswerHeader{SessionID: clr.SessionID, OriginHost: m.host,
		OriginRealm: realm, Result: diameter.Success}}
	return a.Build()
}

func (m *mme) cancelled() []*diameter.CLR {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.clrs)
}

func (m *mme) header() diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: diameter.NewSessionID(m.host), OriginHost: m.host, OriginRealm: realm,
		DestinationRealm: realm}
}

func visited(t testing.TB) diameter.PLMNID {
	t.Helper()
	p, err := diameter.NewPLMNID("001", "01")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (m *mme) send(t testing.TB, b interface{ Build() (*diam.Message, error) }) *diam.Message {
	t.Helper()
	req, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	ans, err := m.c.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

func (m *mme) air(t testing.TB, user string, n uint32, rs *diameter.Resync) *diameter.AIA {
	t.Helper()
	a, err := diameter.ParseAIA(m.send(t, &diameter.AIR{RequestHeader: m.header(), UserName: user,
		VisitedPLMN: visited(t), Vectors: n, Resync: rs}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (m *mme) ulr(t testing.TB, user string, flags uint32) *diameter.ULA {
	t.Helper()
	a, err := diameter.ParseULA(m.send(t, &diameter.ULR{RequestHeader: m.header(), UserName: user,
		RATType: diameter.RATTypeEUTRAN, Flags: flags | diameter.ULRS6aS6dIndicator, VisitedPLMN: visited(t)}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newUSIM(t testing.TB, highest aka.SQN) *aka.USIM {
	t.Helper()
	u, err := aka.NewUSIM(aka.USIMConfig{K: unhex(t, testK), OPc: unhex(t, testOPc), SUPI: "imsi-" + imsi, HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func storedSQN(t testing.TB, e env) aka.SQN {
	t.Helper()
	as, err := e.udrc.AuthSubscription(bg, "imsi-"+imsi)
	if err != nil {
		t.Fatal(err)
	}
	b := unhex(t, as.SequenceNumber.Sqn)
	return aka.SQNFromBytes([aka.SQNLen]byte(b))
}

// vectorSQN recovers the SQN an AUTN carries (SQN xor AK, with K known).
func vectorSQN(t testing.TB, v diameter.EUTRANVector) aka.SQN {
	t.Helper()
	m, err := aka.NewMilenage(unhex(t, testK), unhex(t, testOPc))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, ak := m.F2345(aka.RAND(v.RAND))
	c := aka.AUTN(v.AUTN).ConcealedSQN()
	for i := range c {
		c[i] ^= ak[i]
	}
	return aka.SQNFromBytes(c)
}

func metric(t *testing.T, h *hss.HSS, line string) bool {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+h.Ops().Addr().String()+"/metrics", "")
	return slices.Contains(strings.Split(body, "\n"), line)
}

type hssConfig = hss.Config

func identity(s string) datatype.DiameterIdentity { return datatype.DiameterIdentity(s) }
func utf8(s string) datatype.UTF8String           { return datatype.UTF8String(s) }
func u32(v uint32) datatype.Unsigned32            { return datatype.Unsigned32(v) }
func address(s string) datatype.Address           { return datatype.Address(net.ParseIP(s).To4()) }

func readFull(r io.Reader, b []byte) (int, error) { return io.ReadFull(r, b) }

func udrClient(t testing.TB, u *udr.NF) *udr.Client {
	t.Helper()
	sc, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.CloseIdleConnections)
	return udr.NewClient(sc, nfsbi.FixedLocator(u.SBIURL()))
}
