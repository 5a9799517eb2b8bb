package udm_test

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// TS 35.208 test set 1 keys.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
	imsi    = "001010000000001"
	supi    = "imsi-" + imsi
	snn     = "5G:mnc001.mcc001.3gppnetwork.org"
)

var bg = context.Background()

type env struct {
	udr  *udr.NF
	udm  *udm.NF
	c    *udm.Client
	udrc *udr.Client
}

// setup runs a UDR holding one subscriber (SQN 0x20) and a UDM on it.
func setup(t *testing.T, mod func(*udm.Config)) env {
	t.Helper()
	u, _ := udrtest.Start(t, udrtest.Config(t))
	udrtest.Provision(t, u, udr.Provision{IMSI: imsi, K: testK, OPc: testOPc, SQN: "20"})
	cfg := udmtest.Config(u.SBIURL())
	if mod != nil {
		mod(&cfg)
	}
	m, _ := udmtest.Start(t, cfg)
	sc := sbiClient(t)
	return env{udr: u, udm: m, c: udm.NewClient(sc, nfsbi.FixedLocator(m.SBIURL())),
		udrc: udr.NewClient(sc, nfsbi.FixedLocator(u.SBIURL()))}
}

func sbiClient(t *testing.T) *sbi.Client {
	t.Helper()
	c, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
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
	u, err := aka.NewUSIM(aka.USIMConfig{K: unhex(t, testK), OPc: unhex(t, testOPc), SUPI: supi, HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func challenge(t testing.TB, av *models.Udm_UEAU_AuthenticationVector) (aka.RAND, aka.AUTN) {
	t.Helper()
	if av == nil {
		t.Fatal("no authentication vector")
	}
	r, err := aka.ParseRAND(unhex(t, av.Rand))
	if err != nil {
		t.Fatal(err)
	}
	a, err := aka.ParseAUTN(unhex(t, av.Autn))
	if err != nil {
		t.Fatal(err)
	}
	return r, a
}

// vectorSQN recovers the SQN an AUTN carries (SQN xor AK, with K known).
func vectorSQN(t testing.TB, av *models.Udm_UEAU_AuthenticationVector) aka.SQN {
	t.Helper()
	r, a := challenge(t, av)
	m, err := aka.NewMilenage(unhex(t, testK), unhex(t, testOPc))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, ak := m.F2345(r)
	c := a.ConcealedSQN()
	for i := range c {
		c[i] ^= ak[i]
	}
	return aka.SQNFromBytes(c)
}

func storedSQN(t testing.TB, e env) string {
	t.Helper()
	as, err := e.udrc.AuthSubscription(bg, supi)
	if err != nil {
		t.Fatal(err)
	}
	return as.SequenceNumber.Sqn
}

func metric(t *testing.T, n *udm.NF, line string) bool {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	return slices.Contains(strings.Split(body, "\n"), line)
}
