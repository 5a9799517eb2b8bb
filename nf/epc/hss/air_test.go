package hss_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// TestAIRVectorVerifiesAtUSIM: the vector the HSS hands out is one the
// UE's USIM accepts, with RES = XRES and the same KASME.
func TestAIRVectorVerifiesAtUSIM(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	a := m.air(t, imsi, 1, nil)
	if !a.Result.OK() || len(a.Vectors) != 1 {
		t.Fatalf("AIA %v with %d vectors", a.Result, len(a.Vectors))
	}
	v := a.Vectors[0]
	usim := newUSIM(t, aka.NewSQN(1, 0)) // the provisioned SQN 0x20
	res, err := usim.AuthenticateEPS(aka.RAND(v.RAND), aka.AUTN(v.AUTN), "001", "01")
	if err != nil {
		t.Fatalf("USIM refuses the vector: %v", err)
	}
	if !bytes.Equal(res.RES[:], v.XRES) {
		t.Errorf("RES %x, XRES %x", res.RES, v.XRES)
	}
	if res.KASME != v.KASME {
		t.Errorf("KASME differs: UE %x, HSS %x", res.KASME, v.KASME)
	}
	if !aka.AUTN(v.AUTN).AMF().SeparationBit() {
		t.Error("AMF separation bit clear")
	}
	if got, want := storedSQN(t, e), aka.NewSQN(2, 0); got != want || res.SQN != want {
		t.Errorf("SQN used %v, stored %v; want %v", res.SQN, got, want)
	}
	if !metric(t, e.hss, "corebox_hss_auth_vectors_total 1") ||
		!metric(t, e.hss, `corebox_hss_diameter_requests_total{command="AIR",result="2001"} 1`) {
		t.Error("metrics do not show the vector")
	}
}

// TestAIRSeveralVectors: n vectors take n consecutive SQNs, all claimed.
func TestAIRSeveralVectors(t *testing.T) {
	e := setup(t, func(c *hssConfig) { c.MaxVectors = 3 })
	m := newMME(t, e.hss, mme1)
	a := m.air(t, imsi, 5, nil) // capped to 3
	if len(a.Vectors) != 3 {
		t.Fatalf("%d vectors, want 3", len(a.Vectors))
	}
	for i, v := range a.Vectors {
		if got, want := vectorSQN(t, v), aka.NewSQN(uint64(2+i), 0); got != want {
			t.Errorf("vector %d SQN %v, want %v", i, got, want)
		}
	}
	if got := storedSQN(t, e); got != aka.NewSQN(4, 0) {
		t.Errorf("stored SQN %v, want the last one used", got)
	}
	// A second AIR goes on from there: no SQN twice.
	if v := m.air(t, imsi, 1, nil).Vectors[0]; vectorSQN(t, v) != aka.NewSQN(5, 0) {
		t.Errorf("next AIR SQN %v", vectorSQN(t, v))
	}
}

// TestAIRResync: a USIM ahead of the HSS refuses the vector; AUTS in
// Re-Synchronization-Info moves the HSS past the USIM's SQN.
func TestAIRResync(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	usim := newUSIM(t, aka.NewSQN(1000, 0)) // same IND as the HSS uses, far ahead
	v := m.air(t, imsi, 1, nil).Vectors[0]
	_, err := usim.AuthenticateEPS(aka.RAND(v.RAND), aka.AUTN(v.AUTN), "001", "01")
	var sf *aka.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("USIM ahead should report a synch failure, got %v", err)
	}
	// A forged AUTS does not move the SQN (TS 33.102 6.3.5): the USIM
	// still refuses.
	bad := sf.AUTS
	bad[13] ^= 1
	v = m.air(t, imsi, 1, &diameter.Resync{RAND: v.RAND, AUTS: bad}).Vectors[0]
	if _, err := usim.AuthenticateEPS(aka.RAND(v.RAND), aka.AUTN(v.AUTN), "001", "01"); !errors.Is(err, aka.ErrSynchFailure) {
		t.Fatalf("after a forged AUTS: %v, want another synch failure", err)
	}
	a := m.air(t, imsi, 1, &diameter.Resync{RAND: v.RAND, AUTS: usimAUTS(t, usim, v)})
	if !a.Result.OK() {
		t.Fatalf("resync AIA %v", a.Result)
	}
	res, err := usim.AuthenticateEPS(aka.RAND(a.Vectors[0].RAND), aka.AUTN(a.Vectors[0].AUTN), "001", "01")
	if err != nil {
		t.Fatalf("USIM refuses the resynchronised vector: %v", err)
	}
	if want := aka.NewSQN(1001, 0); res.SQN != want || storedSQN(t, e) != want {
		t.Errorf("SQN after resync %v (stored %v), want %v", res.SQN, storedSQN(t, e), want)
	}
	if !metric(t, e.hss, `corebox_hss_resyncs_total{result="ok"} 1`) ||
		!metric(t, e.hss, `corebox_hss_resyncs_total{result="mac_failure"} 1`) {
		t.Error("resync metrics")
	}
}

// usimAUTS has the USIM refuse v and returns its AUTS.
func usimAUTS(t *testing.T, usim *aka.USIM, v diameter.EUTRANVector) [diameter.AUTSLen]byte {
	t.Helper()
	_, err := usim.AuthenticateEPS(aka.RAND(v.RAND), aka.AUTN(v.AUTN), "001", "01")
	var sf *aka.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("want a synch failure, got %v", err)
	}
	return sf.AUTS
}

func TestUnknownIMSI(t *testing.T) {
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	unknown := "001010000009999"
	if a := m.air(t, unknown, 1, nil); a.Result != diameter.Experimental(diameter.ExpErrorUserUnknown) || len(a.Vectors) != 0 {
		t.Errorf("AIR for an unknown IMSI: %v, %d vectors", a.Result, len(a.Vectors))
	}
	if a := m.ulr(t, unknown, 0); a.Result != diameter.Experimental(diameter.ExpErrorUserUnknown) || a.Subscription != nil {
		t.Errorf("ULR for an unknown IMSI: %+v", a)
	}
	pua, err := diameter.ParsePUA(m.send(t, &diameter.PUR{RequestHeader: m.header(), UserName: unknown}))
	if err != nil || pua.Result != diameter.Experimental(diameter.ExpErrorUserUnknown) {
		t.Errorf("PUR for an unknown IMSI: %+v %v", pua, err)
	}
	if !metric(t, e.hss, `corebox_hss_diameter_requests_total{command="AIR",result="exp-5001"} 1`) {
		t.Error("AIR 5001 not counted")
	}
}

// TestUDRUnreachable: without its UDR the HSS answers AIR with
// DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE, which an MME may retry.
func TestUDRUnreachable(t *testing.T) {
	e := setup(t, func(c *hssConfig) { c.UDR.URI = "http://127.0.0.1:1" })
	m := newMME(t, e.hss, mme1)
	if a := m.air(t, imsi, 1, nil); a.Result != diameter.Experimental(diameter.ExpAuthenticationDataUnavailable) {
		t.Errorf("AIR without UDR: %v", a.Result)
	}
}

// TestConcurrentAIRsTwoHSSs: two HSSs on one UDR, hammered for one IMSI
// at once, never hand out one SQN twice (conditional updates with retry).
func TestConcurrentAIRsTwoHSSs(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	other, _ := hsstest.Start(t, hsstest.Config(e.udr.SBIURL()))
	mmes := []*mme{newMME(t, e.hss, mme1), newMME(t, other, mme2)}
	const per = 10
	sqns := make(chan aka.SQN, 2*per)
	var wg sync.WaitGroup
	for _, m := range mmes {
		for range per {
			wg.Go(func() {
				a := m.air(t, imsi, 1, nil)
				if !a.Result.OK() || len(a.Vectors) != 1 {
					t.Errorf("AIA %v", a.Result)
					return
				}
				sqns <- vectorSQN(t, a.Vectors[0])
			})
		}
	}
	wg.Wait()
	close(sqns)
	seen := map[aka.SQN]bool{}
	for s := range sqns {
		if seen[s] {
			t.Errorf("SQN %v handed out twice", s)
		}
		seen[s] = true
	}
	if len(seen) != 2*per || storedSQN(t, e) != aka.NewSQN(1+2*per, 0) {
		t.Errorf("%d distinct SQNs, stored %v", len(seen), storedSQN(t, e))
	}
}
