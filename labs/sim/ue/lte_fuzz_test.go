package ue

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// fuzzKASME is the key of the lte fuzz UE's pending and current contexts;
// the protected seeds of testdata/fuzz/FuzzLTEDownlinkNAS use it with
// EEA2/EIA2 and the DL COUNT at 0.
var fuzzKASME = aka.Key256{0xA5, 0xA5, 0xA5, 0xA5}

// fuzzLTEUE is one lte mode UE whose sends go nowhere.
func fuzzLTEUE(t testing.TB) *UE {
	t.Helper()
	cfg := validConfig()
	cfg.RAT, cfg.GNB, cfg.ENB = RATLTE, "", "127.0.0.1:9"
	cfg.DataPlane.Mode, cfg.UEs.Count = ModeMemory, 1
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	n.conn.Store(c)
	return n.ues[0]
}

func fuzzSecurity(t testing.TB, dir naseps.Direction) *naseps.SecurityContext {
	sc, err := naseps.NewSecurityContext(fuzzKASME, naseps.EEA2, naseps.EIA2, dir)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// lteFuzzStates put the UE where downlink NAS finds it: before any key,
// after EPS AKA, with a security context, and attached with a PDN.
var lteFuzzStates = map[string]func(t testing.TB, u *UE){
	"no context": func(t testing.TB, u *UE) { u.resetEPS() },
	"pending": func(t testing.TB, u *UE) {
		u.resetEPS()
		u.eps.pending = &epsKeys{kasme: fuzzKASME, ksi: naseps.KSI{Value: 1}}
	},
	"secured": fuzzSecured,
	"attached": func(t testing.TB, u *UE) {
		fuzzSecured(t, u)
		g := naseps.GUTI{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, MMEGroupID: 1, MMECode: 1, MTMSI: 0x1000}
		u.eps.guti, u.registered = &g, true
		u.eps.pdns[5] = &pdnConn{apn: "internet", ebi: 5, addr: netip.MustParseAddr("10.46.0.2")}
		u.eps.bearers[5] = &epsBearer{ebi: 5, linked: 5, qci: 9}
	},
}

func fuzzSecured(t testing.TB, u *UE) {
	u.resetEPS()
	u.eps.sec, u.eps.ksi, u.eps.kasme = fuzzSecurity(t, naseps.Uplink), naseps.KSI{Value: 1}, fuzzKASME
}

// resetEPS puts the UE back to a fresh, connected EPS state.
func (u *UE) resetEPS() {
	u.stopT3412()
	u.eps, u.registered, u.rrc = newEPSUE(), false, true
}

// epsAsProcedures handles a PDU as the lte procedures would: each message
// goes to the step that takes it in an attach, a PDN connection, a TAU or
// a service request; anything else is network-initiated.
func (u *UE) epsAsProcedures(pdu []byte) {
	dl, err := u.openEPS(pdu)
	if err != nil {
		return
	}
	switch m := dl.msg.(type) {
	case *naseps.AttachAccept, *naseps.AttachReject, *naseps.ESMInformationRequest, *naseps.AuthenticationReject:
		_ = u.attachMessage(&attachRun{pti: 1}, dl)
	case *naseps.ActivateDefaultBearerRequest:
		_, _ = u.acceptDefault(m, "ims")
	case *naseps.TAUAccept:
		_ = u.tauAccept(m)
	default:
		u.networkInitiatedEPS(dl)
	}
}

// FuzzLTEDownlinkNAS: arbitrary downlink EPS NAS in every state never
// panics, and PDUs whose header does not parse are counted as malformed.
func FuzzLTEDownlinkNAS(f *testing.F) {
	f.Add([]byte{0x07, 0x54})
	u := fuzzLTEUE(f)
	reg := u.sim.ops.Registry()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, set := range lteFuzzStates {
			set(t, u)
			before := malformed(t, reg)
			_, hdrErr := naseps.HeaderTypeOf(b)
			u.epsAsProcedures(b)
			set(t, u)
			u.unsolicited(ctx, event{kind: evNAS, nas: b})
			if hdrErr != nil && malformed(t, reg) < before+1 {
				t.Fatalf("unparsable header not counted (%v)", hdrErr)
			}
		}
	})
}

// FuzzLTERadioInput: arbitrary datagrams from the eNB never panic in lte
// mode, and undecodable ones are counted as malformed.
func FuzzLTERadioInput(f *testing.F) {
	f.Add([]byte{1, 9, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0})
	u := fuzzLTEUE(f)
	n := u.sim
	reg := n.ops.Registry()
	lteFuzzStates["attached"](f, u)
	u.publish()
	from := netip.MustParseAddrPort("127.0.0.1:4997")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		before := radioMalformed(t, reg)
		_, decErr := radio.Decode(b)
		n.handleRadio(from, b)
		for len(u.events) > 0 { // no loop runs here: take what came
			ev := <-u.events
			if ev.kind != evPaging && ev.kind != evUplinkData {
				u.unsolicited(ctx, ev)
			}
		}
		if decErr != nil && radioMalformed(t, reg) != before+1 {
			t.Fatalf("undecodable datagram not counted (%v)", decErr)
		}
	})
}

// FuzzUplinkFilters: any packet from the TUN device is steered to the
// default bearer or to a dedicated bearer of the same PDN connection,
// without panics.
func FuzzUplinkFilters(f *testing.F) {
	seed, _ := ippkt.AppendUDP4(nil, netip.MustParseAddrPort("10.46.0.2:5060"), netip.MustParseAddrPort("10.47.255.10:5060"), 1, []byte("x"))
	f.Add(seed)
	e := newEPSUE()
	e.pdns[5] = &pdnConn{ebi: 5}
	e.bearers[5] = &epsBearer{ebi: 5, linked: 5}
	for _, b := range testBearers() {
		e.bearers[b.ebi] = b
	}
	e.rebuildFilters()
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if got := e.uplinkEBI(5, pkt); got != 5 && got != 6 && got != 7 {
			t.Fatalf("packet steered to bearer %d", got)
		}
	})
}

// lteSeeds are the seed PDUs of FuzzLTEDownlinkNAS, by file name; the
// protected ones are under fuzzKASME with the DL COUNT at 0.
func lteSeeds(t testing.TB) map[string][]byte {
	plain := func(m naseps.Message) []byte {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prot := func(m naseps.Message, ht naseps.HeaderType) []byte {
		b, err := fuzzSecurity(t, naseps.Downlink).ProtectMessage(m, ht)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	caps := naseps.UENetworkCapability{EEA: 0xA0, EIA: 0x20}
	act := plain(&naseps.ActivateDefaultBearerRequest{ESMHeader: naseps.ESMHeader{EBI: 6, PTI: 1}, QoS: naseps.EPSQoS{QCI: 9},
		APN: "ims", PDNAddress: naseps.PDNAddress{Type: naseps.PDNTypeIPv4, IPv4: netip.MustParseAddr("10.47.0.2")},
		PCO: &naseps.PCO{Containers: []naseps.PCOContainer{{ID: naseps.PCOPCSCFIPv4, Contents: []byte{10, 47, 255, 10}}}}})
	g := naseps.GUTI{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, MMEGroupID: 0x0101, MMECode: 1, MTMSI: 0x2000}
	t3412 := naseps.GPRSTimer{Unit: naseps.TimerUnitDecihour, Value: 9}
	inet := plain(&naseps.ActivateDefaultBearerRequest{ESMHeader: naseps.ESMHeader{EBI: 5, PTI: 1}, QoS: naseps.EPSQoS{QCI: 9},
		APN: "internet", PDNAddress: naseps.PDNAddress{Type: naseps.PDNTypeIPv4, IPv4: netip.MustParseAddr("10.46.0.3")}})
	rej := plain(&naseps.PDNConnectivityReject{ESMHeader: naseps.ESMHeader{PTI: 1}, Cause: naseps.ESMCauseUnknownAPN})
	udp := uint8(17)
	status := naseps.EPSBearerContextStatus(1 << 5)
	return map[string][]byte{
		"authentication-request": plain(&naseps.AuthenticationRequest{KSI: naseps.KSI{Value: 1}, RAND: [16]byte{1}, AUTN: [16]byte{2}}),
		"authentication-reject":  plain(&naseps.AuthenticationReject{}),
		"identity-request":       plain(&naseps.IdentityRequest{Type: naseps.IdentityIMSI}),
		"attach-reject":          plain(&naseps.AttachReject{Cause: naseps.EMMCauseESMFailure, ESMContainer: rej}),
		"service-reject":         plain(&naseps.ServiceReject{Cause: naseps.EMMCauseImplicitlyDetached}),
		"security-mode-command": prot(&naseps.SecurityModeCommand{EncAlg: naseps.EEA2, IntAlg: naseps.EIA2, KSI: naseps.KSI{Value: 1},
			ReplayedCapability: caps.SecurityCapability(), IMEISVRequest: true}, naseps.IntegrityProtectedNewContext),
		"esm-information-request": prot(&naseps.ESMInformationRequest{ESMHeader: naseps.ESMHeader{PTI: 1}}, naseps.IntegrityProtectedAndCiphered),
		"attach-accept": prot(&naseps.AttachAccept{Result: naseps.AttachResultEPSOnly, T3412: t3412,
			TAIList: naseps.TAIList{{PLMN: g.PLMN, TAC: 1}}, ESMContainer: inet, GUTI: &g}, naseps.IntegrityProtectedAndCiphered),
		"activate-default-bearer": prot(mustParse(t, act), naseps.IntegrityProtectedAndCiphered),
		"activate-dedicated-bearer": prot(&naseps.ActivateDedicatedBearerRequest{ESMHeader: naseps.ESMHeader{EBI: 6}, LinkedEBI: 5,
			QoS: naseps.EPSQoS{QCI: 1}, TFT: naseps.TFT{Op: naseps.TFTCreate, Filters: []naseps.PacketFilter{{ID: 1,
				Direction: naseps.FilterBidirectional, Precedence: 1, Protocol: &udp, RemotePorts: &naseps.PortRange{Low: 5060, High: 5060}}}}},
			naseps.IntegrityProtectedAndCiphered),
		"deactivate-bearer": prot(&naseps.DeactivateBearerRequest{ESMHeader: naseps.ESMHeader{EBI: 5},
			Cause: naseps.ESMCauseRegularDeactivation}, naseps.IntegrityProtectedAndCiphered),
		"tau-accept": prot(&naseps.TAUAccept{Result: naseps.UpdateResultTA, T3412: &t3412, GUTI: &g, EPSBearerContextStatus: &status},
			naseps.IntegrityProtectedAndCiphered),
		"detach-accept":   plain(&naseps.DetachAccept{}),
		"network-detach":  prot(&naseps.NetworkDetachRequest{Type: naseps.DetachReattachRequired}, naseps.IntegrityProtectedAndCiphered),
		"emm-information": prot(&naseps.EMMInformation{}, naseps.IntegrityProtectedAndCiphered),
		"pdn-reject":      prot(mustParse(t, rej), naseps.IntegrityProtectedAndCiphered),
	}
}

func mustParse(t testing.TB, b []byte) naseps.Message {
	m, err := naseps.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLTESeeds: the committed seeds of FuzzLTEDownlinkNAS are the PDUs
// lteSeeds builds (COREBOX_WRITE_SEEDS=1 writes them), and the protected
// ones get past the integrity check to the procedure that takes them.
func TestLTESeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLTEDownlinkNAS")
	seeds := lteSeeds(t)
	for name, pdu := range seeds {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", pdu)
		path := filepath.Join(dir, name)
		if os.Getenv("COREBOX_WRITE_SEEDS") == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("seed %s is stale or missing (%v): run with COREBOX_WRITE_SEEDS=1", name, err)
		}
	}
	u := fuzzLTEUE(t)
	lteFuzzStates["pending"](t, u)
	u.epsAsProcedures(seeds["security-mode-command"])
	if u.eps.sec == nil || u.eps.sec.EncAlg != naseps.EEA2 {
		t.Fatal("security mode command seed did not establish the context")
	}
	lteFuzzStates["secured"](t, u)
	u.epsAsProcedures(seeds["attach-accept"])
	if !u.registered || u.eps.guti == nil || u.eps.guti.MTMSI != 0x2000 || u.eps.pdns[5] == nil || u.eps.t3412 != 54*time.Minute {
		t.Fatalf("attach accept seed: registered %v guti %v pdns %v", u.registered, u.eps.guti, u.eps.pdns)
	}
	lteFuzzStates["attached"](t, u)
	u.epsAsProcedures(seeds["activate-dedicated-bearer"])
	if b := u.eps.bearers[6]; b == nil || b.linked != 5 || len(b.filters) != 1 {
		t.Fatalf("dedicated bearer seed: %+v", u.eps.bearers)
	}
	lteFuzzStates["attached"](t, u)
	u.epsAsProcedures(seeds["activate-default-bearer"])
	if p := u.eps.pdns[6]; p == nil || p.apn != "ims" || !slices.Equal(p.pcscf, []netip.Addr{netip.MustParseAddr("10.47.255.10")}) {
		t.Fatalf("default bearer seed: %+v", u.eps.pdns)
	}
	lteFuzzStates["attached"](t, u)
	u.epsAsProcedures(seeds["deactivate-bearer"])
	if len(u.eps.pdns) != 0 {
		t.Fatalf("deactivation seed left %v", u.eps.pdns)
	}
}
