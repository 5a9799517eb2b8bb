package ausf_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// TS 35.208 test set 1 keys.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
	snn     = "5G:mnc001.mcc001.3gppnetwork.org"
)

var bg = context.Background()

func imsiN(i int) string { return fmt.Sprintf("0010100000%05d", i) }

// chain is a UDR, a UDM and an AUSF talking HTTP/2 on loopback.
type chain struct {
	udr  *udr.NF
	udm  *udm.NF
	ausf *ausf.NF
	c    *ausf.Client
	sbi  *sbi.Client
}

// startChain provisions subscribers 1..subs (SQN 0x20) and starts the NFs.
func startChain(t testing.TB, subs int, modUDM func(*udm.Config), modAUSF func(*ausf.Config)) chain {
	t.Helper()
	u, _ := udrtest.Start(t, udrtest.Config(t))
	for i := 1; i <= subs; i++ {
		udrtest.Provision(t, u, udr.Provision{IMSI: imsiN(i), K: testK, OPc: testOPc, SQN: "20"})
	}
	mcfg := udmtest.Config(u.SBIURL())
	if modUDM != nil {
		modUDM(&mcfg)
	}
	m, _ := udmtest.Start(t, mcfg)
	acfg := ausfConfig(m.SBIURL())
	if modAUSF != nil {
		modAUSF(&acfg)
	}
	a := startAUSF(t, acfg)
	sc, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.CloseIdleConnections)
	return chain{udr: u, udm: m, ausf: a, sbi: sc, c: ausf.NewClient(sc, nfsbi.FixedLocator(a.SBIURL()))}
}

func ausfConfig(udmURI string) ausf.Config {
	cfg := ausf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	cfg.UDM.URI = udmURI
	return cfg
}

func startAUSF(t testing.TB, cfg ausf.Config) *ausf.NF {
	t.Helper()
	a, err := ausf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, a)
	nfkittest.Eventually(t, 10*time.Second, "ausf ready", func() bool {
		ok, _ := a.Ready()
		return ok && a.Ops().Addr() != nil
	})
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

// newUE is subscriber i's USIM with key k, its highest accepted SQN high.
func newUE(t testing.TB, i int, k string, high aka.SQN) *aka.USIM {
	t.Helper()
	u, err := aka.NewUSIM(aka.USIMConfig{K: unhex(t, k), OPc: unhex(t, testOPc), SUPI: "imsi-" + imsiN(i), HighestSQN: high})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func info(i int) models.Ausf_UEAU_AuthenticationInfo {
	return models.Ausf_UEAU_AuthenticationInfo{SupiOrSuci: "imsi-" + imsiN(i), ServingNetworkName: snn}
}

func metric(t *testing.T, n interface{ Ops() *nfkit.Ops }, line string) bool {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	return slices.Contains(strings.Split(body, "\n"), line)
}
