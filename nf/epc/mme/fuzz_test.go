package mme

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// sinkConn is an sctp.Conn that swallows what the MME sends.
type sinkConn struct {
	closed chan struct{}
	once   sync.Once
}

func newSinkConn() *sinkConn { return &sinkConn{closed: make(chan struct{})} }

func (c *sinkConn) ReadMsg([]byte) (int, sctp.Info, error) {
	<-c.closed
	return 0, sctp.Info{}, net.ErrClosed
}

func (c *sinkConn) WriteMsg([]byte, sctp.Info) error { return nil }
func (c *sinkConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *sinkConn) LocalAddr() net.Addr              { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 36412} }
func (c *sinkConn) RemoteAddr() net.Addr             { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

// fuzzSGW is the SGW address the fuzz MME's UEs have.
var fuzzSGW = netip.MustParseAddrPort("127.0.0.2:2123")

// fuzzMME is an MME that is never Run: procedures see a cancelled
// context, so every S6a and S11 request fails at once, and S1 goes to a
// sink.
func fuzzMME(t testing.TB) (*MME, *enb) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Ops.Listen, cfg.S1.Listen, cfg.S11.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.SGW.S11 = []string{fuzzSGW.String()}
	cfg.Timers.Procedure = time.Millisecond
	m, err := New(cfg, nfkitQuiet())
	if err != nil {
		t.Fatal(err)
	}
	self := netip.MustParseAddr("127.0.0.1")
	m.s11Self.Store(&self)
	t.Cleanup(m.workers.close)
	e := &enb{m: m, conn: newSinkConn(), log: m.log}
	e.setup.Store(true)
	e.tas = []s1ap.SupportedTA{{TAC: 1, PLMNs: []s1ap.PLMN{homePLMN}}}
	m.enbs.Store(e, struct{}{})
	return m, e
}

func nfkitQuiet() nfkit.Option { return nfkit.WithLogger(nfkittest.Quiet()) }

// fuzzUE builds a UE context: 0 new, 1 in security mode control, 2
// attached and connected with a EEA2/EIA2 context and one PDN, 3 the
// same but ECM-IDLE.
func fuzzUE(m *MME, e *enb, state uint8) *ue {
	u := m.newUE()
	c := m.newConn(e, 1, u)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.setConnLocked(c)
	if state == 0 {
		return u
	}
	u.kasme = aka.Key256{1, 2, 3}
	u.sec, _ = naseps.NewSecurityContext(u.kasme, naseps.EEA2, naseps.EIA2, naseps.Downlink)
	u.imsi, u.ksi = "001010000000001", 1
	if state == 1 {
		u.setStateLocked(emmRegistering)
		u.attach = &attachProc{stage: stageSMC, esm: &naseps.PDNConnectivityRequest{}, imsi: u.imsi}
		return u
	}
	u.setStateLocked(emmRegistered)
	u.guti = m.gutiOf(7)
	u.sgw = fuzzSGW
	u.sub = &subscription{apns: []apnConfig{{name: "internet", qci: 9}, {name: "ims", qci: 5}}, defaultAPN: "internet"}
	c.ctxSetup = true
	u.s11TEIDLocked()
	u.pdns[firstEBI] = &pdn{apn: "internet", ebi: firstEBI, sgwTEID: 1, bearers: map[uint8]*bearer{
		firstEBI: {ebi: firstEBI, qos: s1ap.QoS{QCI: 9}, accepted: true, synced: true,
			sgwU: gtpv2c.FTEID{TEID: 1, Addr: netip.MustParseAddr("127.0.0.2")}}}}
	if state == 3 {
		u.setConnLocked(nil)
	}
	return u
}

// FuzzS1APInput feeds arbitrary SCTP payloads to an eNB's S1AP handler:
// no panic, and every PDU that does not decode is counted as malformed.
func FuzzS1APInput(f *testing.F) {
	m, e := fuzzMME(f)
	for _, s := range s1apSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pdu []byte) {
		before := m.m.malformed.s1ap.Load()
		e.handle(pdu)
		_, err := s1ap.Decode(pdu)
		malformed := err != nil && !errors.Is(err, s1ap.ErrUnsupported)
		if got := m.m.malformed.s1ap.Load() - before; malformed && got != 1 {
			t.Fatalf("malformed PDU counted %d times", got)
		}
	})
}

// s1apSeeds are well-formed PDUs of every kind the MME handles.
func s1apSeeds(t testing.TB) [][]byte {
	ids := s1ap.UEIDs{MMEUES1APID: 1, ENBUES1APID: 1}
	tai := s1ap.TAI{PLMN: homePLMN, TAC: 1}
	tn := s1ap.GTPTunnel{Addr: netip.MustParseAddr("127.0.0.9"), TEID: 9}
	msgs := []s1ap.Message{
		&s1ap.S1SetupRequest{GlobalENBID: s1ap.GlobalENBID{PLMN: homePLMN, ID: 1},
			SupportedTAs: []s1ap.SupportedTA{{TAC: 1, PLMNs: []s1ap.PLMN{homePLMN}}}},
		&s1ap.InitialUEMessage{ENBUES1APID: 2, NASPDU: nasSeeds(t)[0], TAI: tai, ECGI: s1ap.ECGI{PLMN: homePLMN, CellID: 1},
			STMSI: &s1ap.STMSI{MMEC: 1, MTMSI: 7}},
		&s1ap.UplinkNASTransport{UEIDs: ids, NASPDU: []byte{0x07, 0x43}, TAI: tai, ECGI: s1ap.ECGI{PLMN: homePLMN, CellID: 1}},
		&s1ap.InitialContextSetupResponse{UEIDs: ids, ERABs: []s1ap.ERABSetupItem{{ID: 5, Tunnel: tn}}},
		&s1ap.InitialContextSetupFailure{UEIDs: ids, Cause: s1ap.CauseUnspecified},
		&s1ap.ERABSetupResponse{UEIDs: ids, ERABs: []s1ap.ERABSetupItem{{ID: 6, Tunnel: tn}}},
		&s1ap.ERABReleaseResponse{UEIDs: ids, Released: []uint8{6}},
		&s1ap.UEContextReleaseRequest{UEIDs: ids, Cause: s1ap.CauseUserInactivity},
		&s1ap.UEContextReleaseComplete{UEIDs: ids},
		&s1ap.ErrorIndication{Cause: &s1ap.CauseUnspecified},
	}
	var out [][]byte
	for _, msg := range msgs {
		b, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzNASInput feeds arbitrary NAS PDUs to UEs in different states: no
// panic, and the contexts stay consistent.
func FuzzNASInput(f *testing.F) {
	m, e := fuzzMME(f)
	for _, s := range nasSeeds(f) {
		for state := range uint8(4) {
			f.Add(state, s)
		}
	}
	f.Fuzz(func(t *testing.T, state uint8, pdu []byte) {
		u := fuzzUE(m, e, state%4)
		c := u.conn
		if c == nil {
			c = m.newConn(e, 2, u)
			u.bind(c, naseps.TAI{PLMN: m.plmn, TAC: 1})
		}
		u.onUplinkNAS(c, pdu)
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.pdns == nil || (u.state == emmRegistered && u.guti == nil) {
			t.Fatalf("inconsistent context: state %d, guti %v", u.state, u.guti)
		}
	})
}

// nasSeeds are plain and protected messages of the procedures.
func nasSeeds(t testing.TB) [][]byte {
	esm, _ := (&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: 1}, RequestType: naseps.RequestInitial,
		PDNType: naseps.PDNTypeIPv4}).Marshal()
	guti := naseps.GUTI{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, MMEGroupID: 1, MMECode: 1, MTMSI: 7}
	acc, _ := (&naseps.ActivateDefaultBearerAccept{ESMHeader: naseps.ESMHeader{EBI: 5}}).Marshal()
	msgs := []naseps.Message{
		&naseps.AttachRequest{AttachType: naseps.AttachEPS, KSI: naseps.NoKey, Identity: naseps.IMSIIdentity("001010000000001"),
			UENetworkCapability: naseps.UENetworkCapability{EEA: 0xE0, EIA: 0x60}, ESMContainer: esm},
		&naseps.IdentityResponse{Identity: naseps.MobileIdentity{Type: naseps.IdentityIMSI, Digits: "001010000000001"}},
		&naseps.AuthenticationResponse{RES: make([]byte, 8)},
		&naseps.AuthenticationFailure{Cause: naseps.EMMCauseSynchFailure, AUTS: &[naseps.AUTSLen]byte{}},
		&naseps.SecurityModeComplete{}, &naseps.AttachComplete{ESMContainer: acc},
		&naseps.DetachRequest{Type: naseps.DetachEPS, Identity: naseps.GUTIIdentity(guti)},
		&naseps.TAURequest{UpdateType: naseps.UpdatePeriodic, OldGUTI: naseps.GUTIIdentity(guti)},
		&naseps.ServiceRequest{KSI: 1, SeqNum: 3},
		&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: 2}, RequestType: naseps.RequestInitial,
			PDNType: naseps.PDNTypeIPv4, APN: "ims"},
		&naseps.PDNDisconnectRequest{ESMHeader: naseps.ESMHeader{PTI: 3}, LinkedEBI: 5},
		&naseps.ESMInformationResponse{ESMHeader: naseps.ESMHeader{PTI: 1}, APN: "internet"},
		&naseps.ActivateDedicatedBearerAccept{ESMHeader: naseps.ESMHeader{EBI: 6}},
		&naseps.DeactivateBearerAccept{ESMHeader: naseps.ESMHeader{EBI: 6}},
	}
	var out [][]byte
	for _, msg := range msgs {
		b, err := msg.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		if b[0] != 0x07 { // ESM or Service Request: the header below is EMM's
			continue
		}
		out = append(out, append([]byte{0x27, 1, 2, 3, 4, 0}, b...), append([]byte{0x17, 1, 2, 3, 4, 0}, b...))
	}
	return out
}

// FuzzS11Input feeds arbitrary datagrams to the MME's S11 socket from
// the UEs' SGW: no panic, every datagram that does not decode is counted.
func FuzzS11Input(f *testing.F) {
	m, e := fuzzMME(f)
	conn, err := gtpv2c.New(gtpv2c.Config{Addr: "127.0.0.1:0", Handler: gtpv2c.HandlerFunc(m.serveS11), Logger: m.log})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	m.s11.Store(conn)
	connected, idle := fuzzUE(m, e, 2), fuzzUE(m, e, 3)
	for _, s := range s11Seeds(f, connected.teid, idle.teid) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := conn.Stats().Malformed.Load()
		conn.HandleDatagram(context.Background(), b, fuzzSGW)
		_, err := gtpv2c.Parse(b)
		if got := conn.Stats().Malformed.Load() - before; errors.Is(err, gtpv2c.ErrMalformed) && got != 1 {
			t.Fatalf("malformed datagram counted %d times", got)
		}
	})
}

// s11Seeds are the SGW's requests for the fuzz UEs (TEIDs a and b).
func s11Seeds(t testing.TB, a, b uint32) [][]byte {
	sgwU := gtpv2c.FTEID{Interface: gtpv2.IFTypeS1USGWGTPU, TEID: 77, Addr: netip.MustParseAddr("127.0.0.2")}
	tft := ie.NewBearerTFTCreateNewTFT([]*ie.TFTPacketFilter{ie.NewTFTPacketFilter(3, 1, 10,
		ie.NewTFTPFComponentIPv4RemoteAddress(net.IPv4(10, 0, 0, 5), net.CIDRMask(32, 32)))}, nil)
	cbr := func(teid uint32) message.Message {
		return message.NewCreateBearerRequest(teid, 1, ie.NewEPSBearerID(5), ie.NewBearerContext(ie.NewEPSBearerID(0),
			tft, sgwU.IE(0), ie.NewBearerQoS(1, 2, 1, 1, 64, 64, 64, 64)))
	}
	msgs := []message.Message{
		message.NewDownlinkDataNotification(b, 2, ie.NewEPSBearerID(5)),
		message.NewDownlinkDataNotification(a, 3, ie.NewEPSBearerID(5)),
		cbr(a), cbr(b),
		message.NewDeleteBearerRequest(a, 4, ie.NewEPSBearerID(6).WithInstance(1)),
		message.NewDeleteBearerRequest(a, 5, ie.NewEPSBearerID(5)),
		message.NewEchoRequest(6, ie.NewRecovery(1)),
	}
	var out [][]byte
	for _, msg := range msgs {
		bs, err := gtpv2c.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bs)
	}
	return out
}
