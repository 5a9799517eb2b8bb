package ue

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// fuzzKAMF is the key of the fuzz UE's pending and current contexts; the
// protected seeds in testdata/fuzz/FuzzDownlinkNAS use it with NEA2/NIA2.
var fuzzKAMF = aka.Key256{0x5A, 0x5A, 0x5A, 0x5A}

func fuzzUE(t testing.TB) *UE {
	t.Helper()
	cfg := validConfig()
	cfg.DataPlane.Mode, cfg.UEs.Count = ModeMemory, 1
	cfg.GNB = "127.0.0.1:9" // nobody listens: what the UE sends goes nowhere
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

// fuzzStates put the UE where downlink NAS finds it: before any key,
// after 5G AKA (waiting for the Security Mode Command), and registered
// with a security context.
var fuzzStates = map[string]func(t testing.TB, u *UE){
	"no context": func(t testing.TB, u *UE) { u.sec, u.pending = nil, nil },
	"pending": func(t testing.TB, u *UE) {
		u.sec, u.pending = nil, &pendingKeys{kamf: fuzzKAMF, ngKSI: nas5g.KSI{Value: 1}}
	},
	"secured": func(t testing.TB, u *UE) {
		enc, integ, err := aka.DeriveNASKeys(fuzzKAMF, nas5g.NEA2, nas5g.NIA2)
		if err != nil {
			t.Fatal(err)
		}
		u.pending = nil
		u.sec = &nas5g.SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: nas5g.NEA2, IntAlg: nas5g.NIA2, Direction: nas5g.Uplink}
	},
}

// downlinkAsProcedures handles a PDU as the UE's procedures would: each
// message goes to the step that takes it in a registration or a session
// establishment; anything else is network-initiated.
func (u *UE) downlinkAsProcedures(_ context.Context, pdu []byte) {
	dl, err := u.open(pdu)
	if err != nil {
		return
	}
	switch m := dl.msg.(type) {
	case *nas5g.AuthenticationRequest:
		_ = u.authenticate(m)
	case *nas5g.SecurityModeCommand:
		_ = u.securityMode(m, dl.raw)
	case *nas5g.RegistrationAccept:
		_, _ = u.registrationAccept(m)
	case *nas5g.DLNASTransport:
		s := &pduSession{id: m.PDUSessionID, pti: 1}
		u.sessions[m.PDUSessionID] = s
		_ = u.sessionAnswer(s, m)
	default:
		u.networkInitiated(dl)
	}
}

// FuzzDownlinkNAS: arbitrary downlink NAS in every state never panics, and
// PDUs whose header does not even parse are counted as malformed.
func FuzzDownlinkNAS(f *testing.F) {
	f.Add([]byte{0x7e, 0x00, 0x58})
	f.Add([]byte{0x7e, 0x03, 0, 0, 0, 0, 0, 0x7e, 0x00, 0x5d})
	u := fuzzUE(f)
	u.initialReq = []byte{0x7e, 0x00, 0x41}
	reg := u.sim.ops.Registry()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, set := range fuzzStates {
			set(t, u)
			u.sessions = map[uint8]*pduSession{}
			before := malformed(t, reg)
			_, hdrErr := nas5g.HeaderTypeOf(b)
			u.downlinkAsProcedures(ctx, b)
			set(t, u)
			u.unsolicited(ctx, event{kind: evNAS, nas: b})
			if hdrErr != nil && malformed(t, reg) < before+1 {
				t.Fatalf("unparsable header not counted (%v)", hdrErr)
			}
		}
	})
}

func malformed(t testing.TB, reg prometheus.Gatherer) float64 { return malformedOf(t, reg, "nas") }

// readSeed reads a []byte seed of testdata/fuzz/FuzzDownlinkNAS.
func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/fuzz/FuzzDownlinkNAS/" + name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("seed %s: %v", name, err)
	}
	return []byte(s)
}

// TestProtectedSeedsVerify: the protected seeds really are under the fuzz
// key, so the fuzzer starts from PDUs that get past the integrity check.
func TestProtectedSeedsVerify(t *testing.T) {
	u := fuzzUE(t)
	u.initialReq = []byte{0x7e, 0x00, 0x41}
	ctx := context.Background()
	fuzzStates["pending"](t, u)
	u.downlinkAsProcedures(ctx, readSeed(t, "security-mode-command"))
	if u.sec == nil || u.sec.IntAlg != nas5g.NIA2 {
		t.Fatal("security mode command seed did not establish the context")
	}
	fuzzStates["secured"](t, u)
	u.downlinkAsProcedures(ctx, readSeed(t, "registration-accept"))
	if !u.registered || u.guti == nil || u.guti.TMSI != 0x1000 {
		t.Fatal("registration accept seed did not register the UE")
	}
	fuzzStates["secured"](t, u)
	u.downlinkAsProcedures(ctx, readSeed(t, "session-accept"))
	if s := u.sessions[1]; s == nil || !s.accepted || s.addr.String() != "10.45.0.2" || s.qfi != 1 {
		t.Fatalf("session accept seed: %+v", u.sessions[1])
	}
}

// FuzzRadioInput: arbitrary datagrams from the gNB never panic, and the
// undecodable ones are counted as malformed.
func FuzzRadioInput(f *testing.F) {
	f.Add([]byte{1, 6, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	u := fuzzUE(f)
	n := u.sim
	reg := n.ops.Registry()
	from := netip.MustParseAddrPort("127.0.0.1:4997")
	f.Fuzz(func(t *testing.T, b []byte) {
		before := radioMalformed(t, reg)
		_, decErr := radio.Decode(b)
		n.handleRadio(from, b)
		for len(u.events) > 0 { // no loop runs here: keep the queue from filling
			<-u.events
		}
		if decErr != nil && radioMalformed(t, reg) != before+1 {
			t.Fatalf("undecodable datagram not counted (%v)", decErr)
		}
	})
}

func radioMalformed(t testing.TB, reg prometheus.Gatherer) float64 {
	return malformedOf(t, reg, "radio")
}

func malformedOf(t testing.TB, reg prometheus.Gatherer, source string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "corebox_ue_malformed_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == source {
				return m.Counter.GetValue()
			}
		}
	}
	return 0
}
