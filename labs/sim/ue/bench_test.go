package ue

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// benchNetwork is the network side of a registration, outside the timer.
type benchNetwork struct {
	mil *aka.Milenage
	sqn aka.SQN
	snn string
}

// challenge makes the next Authentication Request and what the network
// derives from it.
func (n *benchNetwork) challenge(b *testing.B) (pdu []byte, v aka.Vector) {
	rnd, err := aka.NewRAND()
	if err != nil {
		b.Fatal(err)
	}
	if v, err = n.mil.GenerateVector(n.sqn, aka.AMF5G, n.snn, rnd); err != nil {
		b.Fatal(err)
	}
	n.sqn = n.sqn.Next()
	pdu, err = (&nas5g.AuthenticationRequest{NgKSI: nas5g.KSI{Value: 1}, ABBA: []byte{0, 0}, RAND: v.RAND, AUTN: v.AUTN}).Encode()
	if err != nil {
		b.Fatal(err)
	}
	return pdu, v
}

// securityAndAccept makes the Security Mode Command and Registration
// Accept the network sends once RES* checked out.
func (n *benchNetwork) securityAndAccept(b *testing.B, v aka.Vector, supi string, caps nas5g.UESecurityCapability) (smc, accept []byte) {
	kseaf, err := v.KSEAF()
	if err != nil {
		b.Fatal(err)
	}
	kamf, err := aka.DeriveKAMF(kseaf, supi, []byte{0, 0})
	if err != nil {
		b.Fatal(err)
	}
	enc, integ, err := aka.DeriveNASKeys(kamf, nas5g.NEA2, nas5g.NIA2)
	if err != nil {
		b.Fatal(err)
	}
	sc := &nas5g.SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: nas5g.NEA2, IntAlg: nas5g.NIA2, Direction: nas5g.Downlink}
	protect := func(m nas5g.Message, ht nas5g.HeaderType) []byte {
		plain, err := m.Encode()
		if err != nil {
			b.Fatal(err)
		}
		pdu, err := sc.Protect(plain, ht)
		if err != nil {
			b.Fatal(err)
		}
		return pdu
	}
	smc = protect(&nas5g.SecurityModeCommand{EncAlg: nas5g.NEA2, IntAlg: nas5g.NIA2, NgKSI: nas5g.KSI{Value: 1},
		ReplayedCapability: caps, IMEISVRequest: true, ABBA: []byte{0, 0}}, nas5g.IntegrityProtectedNewContext)
	guti := &nas5g.GUTI{PLMN: nas5g.PLMN{MCC: "001", MNC: "01"}, AMFRegionID: 1, AMFSetID: 1, AMFPointer: 1, TMSI: 1}
	accept = protect(&nas5g.RegistrationAccept{GUTI: guti, AllowedNSSAI: []nas5g.SNSSAI{{SST: 1}}}, nas5g.IntegrityProtectedAndCiphered)
	return smc, accept
}

// BenchmarkRegistrationUE is the UE side of one initial registration: SUCI
// concealment, Registration Request, USIM check and RES*, key derivation,
// Security Mode Command check and Complete, Registration Accept and
// Complete (four radio sends included). The network side is not timed.
// BenchmarkUSIMAuthenticate is the baseline: the USIM check alone.
func BenchmarkRegistrationUE(b *testing.B) {
	for _, scheme := range []string{"null", "a", "b"} {
		b.Run("suci-"+scheme, func(b *testing.B) {
			u := fuzzUE(b)
			if scheme != "null" {
				s := map[string]aka.ProtectionScheme{"a": aka.SchemeProfileA, "b": aka.SchemeProfileB}[scheme]
				priv, err := aka.GenerateHNKey(s)
				if err != nil {
					b.Fatal(err)
				}
				pub, err := aka.MarshalHNPublicKey(s, priv.PublicKey())
				if err != nil {
					b.Fatal(err)
				}
				u.sim.cfg.UEs.ProtectionScheme, u.sim.cfg.UEs.HNKeyID, u.sim.cfg.UEs.HNPublicKey = scheme, 1, hex.EncodeToString(pub)
				if u.sim.res, err = u.sim.cfg.resolve(); err != nil {
					b.Fatal(err)
				}
			}
			net := &benchNetwork{mil: mustMilenage(b), sqn: aka.NewSQN(1, 0), snn: u.sim.snn}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				u.registered, u.sec, u.pending, u.guti = false, nil, nil, nil
				authReq, v := net.challenge(b)
				smc, accept := net.securityAndAccept(b, v, u.supi, u.sim.res.caps)
				b.StartTimer()
				req, err := u.registrationRequest()
				if err != nil {
					b.Fatal(err)
				}
				u.initialReq = req
				u.downlinkAsProcedures(ctx, authReq)
				u.downlinkAsProcedures(ctx, smc)
				u.downlinkAsProcedures(ctx, accept)
				if !u.registered {
					b.Fatal("not registered")
				}
			}
		})
	}
}

func BenchmarkUSIMAuthenticate(b *testing.B) {
	u := fuzzUE(b)
	net := &benchNetwork{mil: mustMilenage(b), sqn: aka.NewSQN(1, 0), snn: u.sim.snn}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		_, v := net.challenge(b)
		b.StartTimer()
		if _, err := u.usim.Authenticate(v.RAND, v.AUTN, u.sim.snn, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func mustMilenage(b *testing.B) *aka.Milenage {
	k, _ := hex.DecodeString("465B5CE8B199B49FAA5F0A2EE238A6BC")
	opc, _ := hex.DecodeString("CD63CB71954A9F4E48A5994E37A02BAF")
	m, err := aka.NewMilenage(k, opc)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
