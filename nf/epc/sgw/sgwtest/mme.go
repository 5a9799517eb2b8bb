package sgwtest

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// MME is a fake MME on S11: it sends the requests a test asks for and
// answers the SGW's own (Downlink Data Notification, Create and Delete
// Bearer), recording them.
type MME struct {
	Conn *gtpv2c.Conn
	// SGW is the SGW's S11 address; set it once the SGW runs.
	SGW netip.AddrPort
	// Addr is the address in the MME's S11 F-TEIDs (default: where it
	// listens).
	Addr netip.Addr
	// ENB is the eNB address put in the S1-U F-TEIDs of dedicated
	// bearers the MME accepts.
	ENB netip.Addr
	// DDNCause is the cause of the MME's Downlink Data Notification Acks
	// (default 16, accepted).
	DDNCause atomic.Uint32

	teids gtpv2c.TEIDs

	// DDNs receives each Downlink Data Notification (buffered 64).
	DDNs chan *message.DownlinkDataNotification
	// Bearers receives each dedicated bearer the MME accepted.
	Bearers chan Bearer
	// BearerDeletes receives the EBIs of each Delete Bearer Request.
	BearerDeletes chan []uint8
	hold          atomic.Pointer[chan struct{}] // see HoldBearers

	mu     sync.Mutex
	nextEB map[uint32]uint8 // next dedicated EBI by MME TEID
}

// PDN is a PDN connection the fake MME created.
type PDN struct {
	Cause   uint8
	MMETEID uint32       // ours
	SGW     gtpv2c.FTEID // the SGW's S11 F-TEID
	PGW     gtpv2c.FTEID // the PGW's S5/S8-C F-TEID
	UE      netip.Addr
	EBI     uint8
	S1U     gtpv2c.FTEID // the SGW's S1-U F-TEID of the default bearer
	PCO     *ie.IE
	Resp    *message.CreateSessionResponse
}

// Bearer is a dedicated bearer the fake MME accepted.
type Bearer struct {
	MMETEID uint32
	EBI     uint8
	S1U     gtpv2c.FTEID // the SGW's
	ENBTEID uint32
	TFT     *ie.IE
	QoS     *ie.IE
}

// StartMME binds the fake MME on b.Addr(1), port 0 (its port is the
// GTP-C port of the test), and runs it until the test ends.
func StartMME(t testing.TB, b gtpv2ctest.Block) *MME {
	t.Helper()
	m := &MME{Addr: b.Addr(1), ENB: b.Addr(1), DDNs: make(chan *message.DownlinkDataNotification, 64),
		Bearers: make(chan Bearer, 64), BearerDeletes: make(chan []uint8, 64), nextEB: map[uint32]uint8{}}
	m.DDNCause.Store(uint32(gtpv2.CauseRequestAccepted))
	c, err := gtpv2c.New(gtpv2c.Config{Addr: netip.AddrPortFrom(m.Addr, 0).String(), T3: 2 * time.Second, N3: 2,
		Handler: gtpv2c.HandlerFunc(m.serve), Logger: nfkittest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	m.Conn = c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake MME: %v", err)
		}
	})
	return m
}

// Port is the MME's GTP-C port: the test's GTP-C port.
func (m *MME) Port() uint16 { return m.Conn.LocalAddr().Port() }

// CreateSession is what a test's Create Session Request asks for.
type CreateSession struct {
	IMSI, APN string
	EBI       uint8 // default 5
	PGW       netip.Addr
	PCO       *ie.IE
	QCI       uint8 // default 9
}

// Request builds the Create Session Request cs describes, from the MME
// TEID teid: what CreateSession sends (tests send it raw, too).
func (m *MME) Request(cs CreateSession, teid uint32) *message.CreateSessionRequest {
	if cs.EBI == 0 {
		cs.EBI = 5
	}
	if cs.QCI == 0 {
		cs.QCI = 9
	}
	sender := gtpv2c.FTEID{Interface: gtpv2.IFTypeS11MMEGTPC, TEID: teid, Addr: m.Addr}
	pgw := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPC, Addr: cs.PGW}
	return message.NewCreateSessionRequest(0, 0,
		ie.NewIMSI(cs.IMSI), ie.NewMSISDN("819012345678"), ie.NewServingNetwork("001", "01"),
		ie.NewRATType(gtpv2.RATTypeEUTRAN), sender.IE(0), pgw.IE(1), ie.NewAccessPointName(cs.APN),
		ie.NewSelectionMode(gtpv2.SelectionModeMSorNetworkProvidedAPNSubscribedVerified),
		ie.NewPDNType(gtpv2.PDNTypeIPv4), ie.NewPDNAddressAllocation("0.0.0.0"),
		ie.NewAPNRestriction(gtpv2.APNRestrictionNoExistingContextsorRestriction),
		ie.NewAggregateMaximumBitRate(50000, 100000), cs.PCO,
		ie.NewBearerContext(ie.NewEPSBearerID(cs.EBI), ie.NewBearerQoS(1, 8, 0, cs.QCI, 0, 0, 0, 0)),
	)
}

// CreateSession sends a Create Session Request and reads the response;
// a refusal is a PDN with its Cause, not an error.
func (m *MME) CreateSession(ctx context.Context, cs CreateSession) (*PDN, error) {
	teid := m.teids.Alloc()
	resp, err := m.Conn.Request(ctx, m.SGW, m.Request(cs, teid))
	if err != nil {
		return nil, err
	}
	return ParseCreateResponse(resp, teid)
}

// ParseCreateResponse reads a Create Session Response to MME TEID teid.
func ParseCreateResponse(resp message.Message, teid uint32) (*PDN, error) {
	csr, ok := resp.(*message.CreateSessionResponse)
	if !ok {
		return nil, fmt.Errorf("got %s", resp.MessageTypeName())
	}
	p := &PDN{MMETEID: teid, PCO: csr.PCO, Resp: csr}
	var err error
	if p.Cause, err = gtpv2c.CauseOf(csr.Cause); err != nil {
		return nil, err
	}
	if csr.TEID() != teid {
		return nil, fmt.Errorf("response to TEID %#x, want %#x", csr.TEID(), teid)
	}
	if !gtpv2c.Accepted(p.Cause) {
		return p, nil
	}
	if p.SGW, err = gtpv2c.ParseFTEID(csr.SenderFTEIDC); err != nil {
		return nil, err
	}
	if p.PGW, err = gtpv2c.ParseFTEID(csr.PGWS5S8FTEIDC); err != nil {
		return nil, err
	}
	if csr.PAA == nil {
		return nil, fmt.Errorf("no PAA")
	}
	ue, err := csr.PAA.IPv4()
	if err != nil {
		return nil, fmt.Errorf("PAA: %w", err)
	}
	p.UE, _ = netip.AddrFromSlice(ue)
	if len(csr.BearerContextsCreated) == 0 {
		return nil, fmt.Errorf("no bearer context created")
	}
	bc, err := gtpv2c.Children(csr.BearerContextsCreated[0])
	if err != nil {
		return nil, err
	}
	if p.EBI, err = bc.EBI(); err != nil {
		return nil, err
	}
	if p.S1U, err = bc.FTEID(0); err != nil {
		return nil, err
	}
	return p, nil
}

// ModifyBearer tells the SGW the eNB's S1-U F-TEIDs, by EBI.
func (m *MME) ModifyBearer(ctx context.Context, p *PDN, enbTEIDs map[uint8]uint32) (uint8, error) {
	var ctxs []*ie.IE
	for ebi, teid := range enbTEIDs {
		enb := gtpv2c.FTEID{Interface: gtpv2.IFTypeS1UeNodeBGTPU, TEID: teid, Addr: m.ENB}
		ctxs = append(ctxs, ie.NewBearerContext(ie.NewEPSBearerID(ebi), enb.IE(0)))
	}
	resp, err := m.Conn.Request(ctx, m.SGW, message.NewModifyBearerRequest(p.SGW.TEID, 0, ctxs...))
	if err != nil {
		return 0, err
	}
	mb, ok := resp.(*message.ModifyBearerResponse)
	if !ok {
		return 0, fmt.Errorf("got %s", resp.MessageTypeName())
	}
	return gtpv2c.CauseOf(mb.Cause)
}

// ReleaseAccessBearers tells the SGW the UE went idle.
func (m *MME) ReleaseAccessBearers(ctx context.Context, p *PDN) (uint8, error) {
	resp, err := m.Conn.Request(ctx, m.SGW, message.NewReleaseAccessBearersRequest(p.SGW.TEID, 0))
	if err != nil {
		return 0, err
	}
	r, ok := resp.(*message.ReleaseAccessBearersResponse)
	if !ok {
		return 0, fmt.Errorf("got %s", resp.MessageTypeName())
	}
	return gtpv2c.CauseOf(r.Cause)
}

// DeleteSession deletes the PDN connection.
func (m *MME) DeleteSession(ctx context.Context, p *PDN) (uint8, error) {
	resp, err := m.Conn.Request(ctx, m.SGW, message.NewDeleteSessionRequest(p.SGW.TEID, 0, ie.NewEPSBearerID(p.EBI)))
	if err != nil {
		return 0, err
	}
	d, ok := resp.(*message.DeleteSessionResponse)
	if !ok {
		return 0, fmt.Errorf("got %s", resp.MessageTypeName())
	}
	return gtpv2c.CauseOf(d.Cause)
}

// serve answers the SGW's requests.
func (m *MME) serve(_ context.Context, _ netip.AddrPort, req message.Message) message.Message {
	switch r := req.(type) {
	case *message.DownlinkDataNotification:
		select {
		case m.DDNs <- r:
		default:
		}
		return message.NewDownlinkDataNotificationAcknowledge(0, 0, gtpv2c.CauseIE(uint8(m.DDNCause.Load())))
	case *message.CreateBearerRequest:
		return m.acceptBearers(r)
	case *message.DeleteBearerRequest:
		var ebis []uint8
		var ctxs []*ie.IE
		for _, e := range r.EBIs {
			ebi, _ := gtpv2c.EBI(e)
			ebis = append(ebis, ebi)
			ctxs = append(ctxs, ie.NewBearerContext(ie.NewEPSBearerID(ebi), gtpv2c.CauseIE(gtpv2.CauseRequestAccepted)))
		}
		select {
		case m.BearerDeletes <- ebis:
		default:
		}
		return message.NewDeleteBearerResponse(0, 0, append([]*ie.IE{gtpv2c.CauseIE(gtpv2.CauseRequestAccepted)}, ctxs...)...)
	}
	return nil
}

// HoldBearers keeps the answers to Create Bearer Requests back (their
// bearers already sent on Bearers) until release is called: an MME
// waiting for the UE's Activate Dedicated EPS Bearer Context Accept.
func (m *MME) HoldBearers() (release func()) {
	ch := make(chan struct{})
	m.hold.Store(&ch)
	var once sync.Once
	return func() {
		once.Do(func() {
			m.hold.Store(nil)
			close(ch)
		})
	}
}

// acceptBearers gives each requested bearer the next EBI (6, 7 ...) and
// an eNB TEID, as an MME would after the UE and eNB agreed.
func (m *MME) acceptBearers(r *message.CreateBearerRequest) message.Message {
	var ctxs []*ie.IE
	for _, raw := range r.BearerContexts {
		bc, err := gtpv2c.Children(raw)
		if err != nil {
			continue
		}
		s1u, err := bc.FTEID(0)
		if err != nil {
			continue
		}
		m.mu.Lock()
		ebi := max(m.nextEB[r.TEID()], 6)
		m.nextEB[r.TEID()] = ebi + 1
		m.mu.Unlock()
		enb := gtpv2c.FTEID{Interface: gtpv2.IFTypeS1UeNodeBGTPU, TEID: 0x10000 + uint32(ebi), Addr: m.ENB}
		ctxs = append(ctxs, ie.NewBearerContext(ie.NewEPSBearerID(ebi), gtpv2c.CauseIE(gtpv2.CauseRequestAccepted),
			enb.IE(0), s1u.IE(1)))
		select {
		case m.Bearers <- Bearer{MMETEID: r.TEID(), EBI: ebi, S1U: s1u, ENBTEID: enb.TEID,
			TFT: bc.Get(ie.BearerTFT, 0), QoS: bc.Get(ie.BearerQoS, 0)}:
		default:
		}
	}
	if h := m.hold.Load(); h != nil {
		<-*h
	}
	return message.NewCreateBearerResponse(0, 0, append([]*ie.IE{gtpv2c.CauseIE(gtpv2.CauseRequestAccepted)}, ctxs...)...)
}
