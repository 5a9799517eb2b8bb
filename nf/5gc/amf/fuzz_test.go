package amf

import (
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// sinkConn is an sctp.Conn that swallows what the AMF sends.
type sinkConn struct {
	mu     sync.Mutex
	sent   int
	closed chan struct{}
	once   sync.Once
}

func newSinkConn() *sinkConn { return &sinkConn{closed: make(chan struct{})} }

func (c *sinkConn) ReadMsg([]byte) (int, sctp.Info, error) {
	<-c.closed
	return 0, sctp.Info{}, net.ErrClosed
}

func (c *sinkConn) WriteMsg(b []byte, _ sctp.Info) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	return nil
}

func (c *sinkConn) Close() error         { c.once.Do(func() { close(c.closed) }); return nil }
func (c *sinkConn) LocalAddr() net.Addr  { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 38412} }
func (c *sinkConn) RemoteAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

// fuzzAMF is an AMF that is never Run: procedures see a cancelled
// context, so every SBI call fails at once, and N2 goes to a sink.
func fuzzAMF(t testing.TB) (*NF, *gnb) {
	t.Helper()
	cfg := testConfig("http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:1")
	n, err := New(cfg, nfkitQuiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.workers.close)
	g := &gnb{n: n, conn: newSinkConn(), log: n.log}
	g.setup.Store(true)
	g.tas = []n2.SupportedTA{{TAC: 1, PLMNs: []n2.BroadcastPLMN{{PLMN: homePLMN}}}}
	n.gnbs.Store(g, struct{}{})
	return n, g
}

// FuzzNGAPInput feeds arbitrary SCTP payloads to a gNB's NGAP handler:
// no panic, and every PDU that does not decode is counted as malformed.
func FuzzNGAPInput(f *testing.F) {
	n, g := fuzzAMF(f)
	for _, m := range ngapSeeds(f) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, pdu []byte) {
		before := readCounter(n.m.ngapMalformed)
		g.handle(pdu)
		_, err := n2.Decode(pdu)
		malformed := err != nil && !errors.Is(err, n2.ErrUnsupported)
		if got := readCounter(n.m.ngapMalformed) - before; malformed && got != 1 {
			t.Fatalf("malformed PDU counted %v times", got)
		}
	})
}

// ngapSeeds are well-formed PDUs of every kind the AMF handles.
func ngapSeeds(t testing.TB) [][]byte {
	ids := n2.UEIDs{AMFUENGAPID: 1, RANUENGAPID: 1}
	loc := n2.UserLocation{TAI: n2.TAI{PLMN: homePLMN, TAC: 1}, NRCGI: n2.NRCGI{PLMN: homePLMN, CellID: 1}}
	rr, _ := (&nas5g.RegistrationRequest{RegistrationType: 1, NgKSI: nas5g.NoKey,
		Identity: nas5g.UEIdentity{GUTI: &nas5g.GUTI{PLMN: homePLMN, AMFRegionID: 1, AMFSetID: 1, TMSI: 5}}}).Encode()
	msgs := []n2.Message{
		&n2.NGSetupRequest{GlobalGNBID: n2.GlobalGNBID{PLMN: homePLMN, ID: 1, IDBits: 22},
			SupportedTAs: []n2.SupportedTA{{TAC: 1, PLMNs: []n2.BroadcastPLMN{{PLMN: homePLMN, Slices: []n2.SNSSAI{sliceNoSD}}}}}},
		&n2.InitialUEMessage{RANUENGAPID: 1, NASPDU: rr, Location: loc, RRCCause: n2.RRCMOSignalling},
		&n2.UplinkNASTransport{UEIDs: ids, NASPDU: []byte{0x7e, 0, 0x43}, Location: loc},
		&n2.InitialContextSetupResponse{UEIDs: ids},
		&n2.UEContextReleaseRequest{UEIDs: ids, Cause: n2.CauseUserInactivity},
		&n2.UEContextReleaseComplete{UEIDs: ids},
		&n2.PDUSessionResourceSetupResponse{UEIDs: ids, Sessions: []n2.SessionTransfer{gnbTransfer(1)}},
		&n2.PDUSessionResourceModifyResponse{UEIDs: ids, Sessions: []n2.SessionTransfer{modifyResponse(1)},
			Failed: []n2.SessionTransfer{modifyFailure(2)}},
		&n2.ErrorIndication{Cause: &n2.CauseUnspecified},
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzNASInput feeds arbitrary NAS PDUs to UEs in different states: a
// new UE, one waiting for its Security Mode Complete, and a registered one
// with a security context. No panic; the contexts stay usable.
func FuzzNASInput(f *testing.F) {
	n, g := fuzzAMF(f)
	for _, s := range nasSeeds(f) {
		f.Add(uint8(0), s)
		f.Add(uint8(2), s)
	}
	f.Fuzz(func(t *testing.T, state uint8, pdu []byte) {
		u := fuzzUE(n, g, state%3)
		u.onUplinkNAS(u.ran, pdu)
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.sessions == nil {
			t.Fatal("sessions map lost")
		}
	})
}

// fuzzUE builds a UE context: 0 new, 1 in security mode control, 2
// registered with a NIA2/NEA2 context.
func fuzzUE(n *NF, g *gnb, state uint8) *ue {
	u := n.newUE()
	r := n.newRAN(g, 1, n2.UserLocation{}, u)
	u.ran = r
	if state == 0 {
		return u
	}
	kamf := aka.Key256{1, 2, 3}
	enc, integ, _ := aka.DeriveNASKeys(kamf, nas5g.NEA2, nas5g.NIA2)
	u.kamf, u.supi = kamf, "imsi-001010000000001"
	u.sec = &nas5g.SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: nas5g.NEA2, IntAlg: nas5g.NIA2, Direction: nas5g.Downlink}
	if state == 1 {
		u.state = mmRegistering
		u.reg = &regProc{stage: stageSMC, req: &nas5g.RegistrationRequest{}}
		return u
	}
	u.state = mmRegistered
	u.guti = n.gutiOf(7)
	u.allowed = []nas5g.SNSSAI{sliceNoSD}
	r.ctxSetup = true
	u.sessions[1] = &session{id: 1, snssai: sliceNoSD, dnn: "internet", smfRoot: "http://127.0.0.1:1", ref: "x"}
	return u
}

// nasSeeds are plain and protected messages of the procedures.
func nasSeeds(t testing.TB) [][]byte {
	slice := sliceNoSD
	suci, _ := nas5g.NullSchemeOutput("0000000001")
	msgs := []nas5g.Message{
		&nas5g.RegistrationRequest{RegistrationType: 1, NgKSI: nas5g.NoKey,
			Identity: nas5g.UEIdentity{SUCI: &nas5g.SUCI{PLMN: homePLMN, RoutingIndicator: "0", SchemeOutput: suci}}},
		&nas5g.AuthenticationResponse{}, &nas5g.AuthenticationFailure{Cause: 21, AUTS: make([]byte, 14)},
		&nas5g.SecurityModeComplete{}, &nas5g.RegistrationComplete{},
		&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: []byte{0x2e, 1, 1, 0xc1, 0xff, 0xff}, PDUSessionID: 1,
			RequestType: nas5g.RequestInitial, SNSSAI: &slice, DNN: "internet"},
		&nas5g.DeregistrationRequest{AccessType: 1, Identity: nas5g.UEIdentity{GUTI: &nas5g.GUTI{PLMN: homePLMN, TMSI: 7}}},
		&nas5g.ServiceRequest{ServiceType: 1, STMSI: nas5g.STMSI{AMFSetID: 1, TMSI: 7}},
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b, append([]byte{0x7e, 0x02, 1, 2, 3, 4, 0}, b...))
	}
	return out
}
