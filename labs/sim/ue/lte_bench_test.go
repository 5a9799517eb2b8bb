package ue

import (
	"net/netip"
	"testing"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// epsBenchNetwork is the network side of an attach, outside the timer.
type epsBenchNetwork struct {
	mil *aka.Milenage
	sqn aka.SQN
}

// attachPDUs makes the Authentication Request, Security Mode Command and
// Attach Accept of one attach whose PDN Connectivity Request had pti.
func (n *epsBenchNetwork) attachPDUs(b *testing.B, caps naseps.UENetworkCapability, pti uint8) (auth, smc, accept []byte) {
	rnd, err := aka.NewRAND()
	if err != nil {
		b.Fatal(err)
	}
	v, err := n.mil.GenerateEPSVector(n.sqn, aka.AMF5G, "001", "01", rnd)
	if err != nil {
		b.Fatal(err)
	}
	n.sqn = n.sqn.Next()
	if auth, err = (&naseps.AuthenticationRequest{KSI: naseps.KSI{Value: 1}, RAND: v.RAND, AUTN: v.AUTN}).Marshal(); err != nil {
		b.Fatal(err)
	}
	sc, err := naseps.NewSecurityContext(v.KASME, naseps.EEA2, naseps.EIA2, naseps.Downlink)
	if err != nil {
		b.Fatal(err)
	}
	if smc, err = sc.ProtectMessage(&naseps.SecurityModeCommand{EncAlg: naseps.EEA2, IntAlg: naseps.EIA2, KSI: naseps.KSI{Value: 1},
		ReplayedCapability: caps.SecurityCapability(), IMEISVRequest: true}, naseps.IntegrityProtectedNewContext); err != nil {
		b.Fatal(err)
	}
	esm, err := (&naseps.ActivateDefaultBearerRequest{ESMHeader: naseps.ESMHeader{EBI: 5, PTI: pti}, QoS: naseps.EPSQoS{QCI: 9},
		APN: "internet", PDNAddress: naseps.PDNAddress{Type: naseps.PDNTypeIPv4, IPv4: netip.MustParseAddr("10.46.0.2")}}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	g := naseps.GUTI{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, MMEGroupID: 1, MMECode: 1, MTMSI: 1}
	if accept, err = sc.ProtectMessage(&naseps.AttachAccept{Result: naseps.AttachResultEPSOnly, T3412: naseps.TimerDeactivated,
		TAIList: naseps.TAIList{{PLMN: g.PLMN, TAC: 1}}, ESMContainer: esm, GUTI: &g}, naseps.IntegrityProtectedAndCiphered); err != nil {
		b.Fatal(err)
	}
	return auth, smc, accept
}

// BenchmarkAttachUE is the UE side of one EPS attach by IMSI: Attach
// Request, USIM check and RES, KASME and NAS keys, Security Mode Command
// check and Complete, Attach Accept, default bearer on the data plane,
// Attach Complete (four radio sends included). The network side is not
// timed; BenchmarkLTEAttach runs whole attaches against ltefake.
func BenchmarkAttachUE(b *testing.B) {
	u := fuzzLTEUE(b)
	net := &epsBenchNetwork{mil: mustMilenage(b), sqn: aka.NewSQN(1, 0)}
	caps := u.sim.res.eps.caps
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		u.forgetEPS(true)
		run := &attachRun{pti: u.eps.nextPTI()}
		auth, smc, accept := net.attachPDUs(b, caps, run.pti)
		b.StartTimer()
		if _, err := u.attachRequest(run.pti); err != nil {
			b.Fatal(err)
		}
		for _, pdu := range [][]byte{auth, smc, accept} {
			dl, err := u.openEPS(pdu)
			if err != nil {
				b.Fatal(err)
			}
			if err := u.attachMessage(run, dl); err != nil {
				b.Fatal(err)
			}
		}
		if !u.registered || run.accepted != 5 {
			b.Fatal("not attached")
		}
	}
}
