package ue_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/sim/ue/ltefake"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// lteLab is the eNB+MME double and a UE simulator in lte mode.
type lteLab struct {
	net *ltefake.Fake
	ues *ue.NF
}

// testPDNs are what the double serves: internet (the default APN) and ims
// with a P-CSCF and a DNS server.
var testPDNs = []ltefake.PDN{
	{APN: "internet", Pool: netip.MustParsePrefix("10.46.0.0/16"), DNS: []netip.Addr{netip.MustParseAddr("10.46.255.53")}},
	{APN: "ims", Pool: netip.MustParsePrefix("10.47.0.0/16"), PCSCF: []netip.Addr{netip.MustParseAddr("10.47.255.10")},
		DNS: []netip.Addr{netip.MustParseAddr("10.47.255.53")}},
}

// startFake runs the double with subscriber key k.
func startFake(t testing.TB, k string, edit ...func(*ltefake.Config)) *ltefake.Fake {
	t.Helper()
	cfg := ltefake.Config{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, PDNs: testPDNs,
		Default: ltefake.Subscriber{K: mustHex(t, k), OPc: mustHex(t, testOPc), SQN: 0x21}}
	for _, e := range edit {
		e(&cfg)
	}
	f, err := ltefake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ltefake: %v", err)
		}
	})
	return f
}

// startLTEUEs runs a UE simulator in lte mode (memory data plane) towards
// the double.
func startLTEUEs(t testing.TB, f *ltefake.Fake, count int, edit ...func(*ue.Config)) *ue.NF {
	t.Helper()
	cfg := ue.DefaultConfig()
	cfg.RAT = ue.RATLTE
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.ENB = f.RadioAddr().String()
	cfg.Radio.Listen = "127.0.0.1:0"
	cfg.DataPlane.Mode = ue.ModeMemory
	cfg.UEs.Count = count
	for _, e := range edit {
		e(&cfg)
	}
	u, err := ue.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, u)
	nfkittest.Eventually(t, 5*time.Second, "ue ready", func() bool {
		ok, _ := u.Ready()
		return ok && u.Ops().Addr() != nil
	})
	return u
}

func startLTE(t testing.TB, count int, editUE ...func(*ue.Config)) lteLab {
	t.Helper()
	f := startFake(t, testK)
	return lteLab{net: f, ues: startLTEUEs(t, f, count, editUE...)}
}

// pdns reads GET /ues/pdns.
func pdns(t testing.TB, u *ue.NF) []ue.UEPDNs {
	t.Helper()
	code, out := nfkittest.Do(t, "GET", "http://"+u.Ops().Addr().String()+ue.PathPDNs, "")
	if code != 200 {
		t.Fatalf("GET %s = %d %s", ue.PathPDNs, code, out)
	}
	var st []ue.UEPDNs
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// imsiOf is the IMSI digits of a SUPI.
func imsiOf(supi string) string { return supi[len("imsi-"):] }
