package pcrf_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// echoServer is the baseline: a bare Diameter server on loopback that
// answers CCRs at once and, for an AAR, sends one RAR to pgw1 and waits
// for its RAA before answering; no policy, no state.
func echoServer(b *testing.B) (*diameter.Server, string) {
	b.Helper()
	cfg := pcrftest.Config().Diameter.PeerConfig
	s, err := diameter.NewServer(cfg, diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		b.Fatal(err)
	}
	answer := func(sid string) diameter.AnswerHeader {
		return diameter.AnswerHeader{SessionID: sid, OriginHost: cfg.OriginHost, OriginRealm: cfg.OriginRealm, Result: diameter.Success}
	}
	s.Handle(diameter.AppGx, diameter.CmdCreditControl, func(_ context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
		ccr, err := diameter.ParseCCR(m)
		if err != nil {
			return nil, err
		}
		a := &diameter.CCA{AnswerHeader: answer(ccr.SessionID), RequestType: ccr.RequestType, RequestNumber: ccr.RequestNumber}
		return a.Build()
	})
	s.Handle(diameter.AppRx, diameter.CmdAA, func(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
		aar, err := diameter.ParseAAR(m)
		if err != nil {
			return nil, err
		}
		p, ok := s.Peer(pgw1)
		if !ok {
			return nil, fmt.Errorf("pgw not connected")
		}
		rar := &diameter.RAR{RequestHeader: diameter.RequestHeader{SessionID: "gx;1;1", OriginHost: cfg.OriginHost,
			OriginRealm: cfg.OriginRealm, DestinationHost: pgw1, DestinationRealm: pcrftest.EPCRealm}}
		rm, err := rar.Build()
		if err != nil {
			return nil, err
		}
		if _, err := p.Request(ctx, rm); err != nil {
			return nil, err
		}
		a := &diameter.AAA{AnswerHeader: answer(aar.SessionID)}
		return a.Build()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return s, ln.Addr().String()
}

// BenchmarkGx measures CCR-Initial/CCA + CCR-Termination/CCA pairs per
// second through the PCRF over loopback TCP, against the same pairs
// answered by a bare Diameter server (baseline) in the same run.
func BenchmarkGx(b *testing.B) {
	var baseline float64
	pairs := func(b *testing.B, g *pcrftest.PGW) {
		b.Helper()
		for i := 0; b.Loop(); i++ {
			ue := netip.AddrFrom4([4]byte{10, 45, byte(i >> 8), byte(i)})
			sid, cca, err := g.Open(bg, pcrftest.Session{IMSI: imsi, APN: "internet", UE: ue})
			if err != nil || cca.Result != diameter.Success {
				b.Fatalf("CCA-I %v %v", cca, err)
			}
			if cca, err := g.Terminate(bg, sid); err != nil || cca.Result != diameter.Success {
				b.Fatalf("CCA-T %v %v", cca, err)
			}
		}
	}
	b.Run("baseline-bare-server", func(b *testing.B) {
		_, srv := echoServer(b)
		pairs(b, pcrftest.NewPGW(b, srv, pgw1))
		baseline = report(b, "pairs/s", 0)
	})
	b.Run("pcrf", func(b *testing.B) {
		n, _ := pcrftest.Start(b, pcrftest.Config())
		pairs(b, pcrftest.NewPGW(b, n.DiameterAddr().String(), pgw1))
		report(b, "pairs/s", baseline)
	})
	b.Run("pcrf-parallel", func(b *testing.B) {
		n, _ := pcrftest.Start(b, pcrftest.Config())
		g := pcrftest.NewPGW(b, n.DiameterAddr().String(), pgw1)
		var next atomic.Uint32
		b.SetParallelism(4) // a PGW keeps many CCRs in flight on one connection
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				ue := netip.AddrFrom4([4]byte{10, 45, byte(i >> 8), byte(i)})
				sid, cca, err := g.Open(bg, pcrftest.Session{IMSI: imsi, APN: "internet", UE: ue})
				if err != nil || cca.Result != diameter.Success {
					b.Errorf("CCA-I %v %v", cca, err)
					return
				}
				if cca, err := g.Terminate(bg, sid); err != nil || cca.Result != diameter.Success {
					b.Errorf("CCA-T %v %v", cca, err)
					return
				}
			}
		})
		report(b, "pairs/s", baseline)
	})
}

// BenchmarkRx measures AAR -> RAR -> RAA -> AAA round trips per second
// (a P-CSCF double asking for an audio bearer, the PGW double answering
// the RAR), against a bare server doing the same two hops without
// policy (baseline); and AAR plus STR (install and remove).
func BenchmarkRx(b *testing.B) {
	var baseline float64
	ue := "10.46.0.2"
	b.Run("baseline-bare-server", func(b *testing.B) {
		s, srv := echoServer(b)
		pcrftest.NewPGW(b, srv, pgw1)
		nfkittest.Eventually(b, 5*time.Second, "pgw registered", func() bool { _, ok := s.Peer(pgw1); return ok })
		af := pcrftest.NewAF(b, srv, pcscf)
		for b.Loop() {
			if a, err := af.Authorize(bg, af.NewSessionID(), addr(ue), audio(ue, 41000)); err != nil || a.Result != diameter.Success {
				b.Fatalf("AAA %v %v", a, err)
			}
		}
		baseline = report(b, "round-trips/s", 0)
	})
	start := func(b *testing.B) *pcrftest.AF {
		cfg := pcrftest.Config()
		cfg.MaxSessions = 1 << 22
		n, _ := pcrftest.Start(b, cfg)
		g := pcrftest.NewPGW(b, n.DiameterAddr().String(), pgw1)
		open(b, g, "ims", ue)
		return pcrftest.NewAF(b, n.DiameterAddr().String(), pcscf)
	}
	b.Run("pcrf-aar", func(b *testing.B) {
		af := start(b)
		for b.Loop() {
			if a, err := af.Authorize(bg, af.NewSessionID(), addr(ue), audio(ue, 41000)); err != nil || a.Result != diameter.Success {
				b.Fatalf("AAA %v %v", a, err)
			}
		}
		report(b, "round-trips/s", baseline)
	})
	b.Run("pcrf-aar-str", func(b *testing.B) {
		af := start(b)
		for b.Loop() {
			sid := af.NewSessionID()
			if a, err := af.Authorize(bg, sid, addr(ue), audio(ue, 41000)); err != nil || a.Result != diameter.Success {
				b.Fatalf("AAA %v %v", a, err)
			}
			if a, err := af.Terminate(bg, sid); err != nil || a.Result != diameter.Success {
				b.Fatalf("STA %v %v", a, err)
			}
		}
		report(b, "sessions/s", 0)
	})
}

// report gives the rate of b's iterations as unit, and its ratio to
// baseline when there is one; it returns the rate.
func report(b *testing.B, unit string, baseline float64) float64 {
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, unit)
	if baseline > 0 {
		b.ReportMetric(rate/baseline, "x-baseline")
	}
	return rate
}
