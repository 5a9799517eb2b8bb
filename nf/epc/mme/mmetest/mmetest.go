// Package mmetest runs an MME in-process for other packages' tests (an
// eNB or UE simulator), alone or with a whole EPC behind it: UDR, HSS,
// SGW and PGW (memory SGi devices), all on loopback.
package mmetest

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/epc/mme"
	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Addresses of a Core's gtpv2ctest.Block: the SGW and PGW take theirs
// from sgwtest and pgwtest; the MME's S11 is IndexMME; eNB simulators
// put their S1-U on IndexENB and up.
const (
	IndexMME = 1
	IndexENB = 10
)

// Config is the default MME config with ops and S1 on 127.0.0.1:0 (SCTP
// over UDP), S11 on s11, the HSS at hssAddr, one SGW and one PGW, TACs 1
// and 2 of PLMN 001/01.
func Config(hssAddr string, s11, sgwS11 netip.AddrPort, pgwS5C netip.Addr) mme.Config {
	cfg := mme.DefaultConfig()
	cfg.Ops.Listen, cfg.S1.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.S1.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.TACs = []uint16{1, 2}
	cfg.HSS.Address = hssAddr
	cfg.S11.Listen = s11.String()
	cfg.S11.T3, cfg.S11.N3 = 500*time.Millisecond, 3
	cfg.SGW.S11 = []string{sgwS11.String()}
	cfg.PGW.S5C = []string{pgwS5C.String()}
	return cfg
}

// Start builds and runs an MME from cfg until the test ends, and waits
// until it is ready (its HSS must be up).
func Start(t testing.TB, cfg mme.Config) (*mme.MME, *nfkittest.Running) {
	t.Helper()
	m, err := mme.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, m)
	nfkittest.Eventually(t, 10*time.Second, "mme ready", func() bool {
		ok, _ := m.Ready()
		return ok && m.Ops().Addr() != nil
	})
	return m, run
}

// Core is an EPC on loopback: every GTP node of it listens on
// GTPCPort/GTPUPort at its own address of Block (an eNB simulator binds
// its S1-U at Block.AddrPort(IndexENB+i, GTPUPort)).
type Core struct {
	Block    gtpv2ctest.Block
	GTPCPort uint16
	GTPUPort uint16
	UDR      *udr.NF
	HSS      *hss.HSS
	SGW      *sgw.NF
	PGW      *pgw.NF
	MME      *mme.MME
}

// StartCore provisions subs in a new UDR and starts HSS, PGW, SGW and
// MME (mod, when not nil, adjusts the MME's config).
func StartCore(t testing.TB, subs []udr.Provision, mod func(*mme.Config)) *Core {
	t.Helper()
	c := &Core{Block: gtpv2ctest.NewBlock(t)}
	c.UDR, _ = udrtest.Start(t, udrtest.Config(t))
	for _, p := range subs {
		udrtest.Provision(t, c.UDR, p)
	}
	c.HSS, _ = hsstest.Start(t, hsstest.Config(c.UDR.SBIURL()))
	c.GTPCPort = freePort(t, c.Block.Addr(IndexMME))
	c.GTPUPort = freePort(t, c.Block.Addr(IndexENB))
	c.PGW, _ = pgwtest.Start(t, pgwtest.Config(c.Block, c.GTPCPort, c.GTPUPort))
	c.SGW, _ = sgwtest.Start(t, sgwtest.Config(c.Block, c.GTPCPort, c.GTPUPort))
	cfg := Config(c.HSS.DiameterAddr().String(), c.Block.AddrPort(IndexMME, c.GTPCPort),
		c.Block.AddrPort(sgwtest.IndexS11, c.GTPCPort), c.Block.Addr(pgwtest.Index))
	if mod != nil {
		mod(&cfg)
	}
	c.MME, _ = Start(t, cfg)
	return c
}

// ENBAddr is where eNB simulator i (0, 1 ...) binds its S1-U socket.
func (c *Core) ENBAddr(i int) netip.AddrPort {
	return c.Block.AddrPort(byte(IndexENB+i), c.GTPUPort)
}

// freePort finds a UDP port free on addr; the Core's nodes all listen
// on it, each on its own address.
func freePort(t testing.TB, addr netip.Addr) uint16 {
	t.Helper()
	l, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).AddrPort().Port()
}
