package pfcp

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// discardConn is a socket that loses every write and never reads.
type discardConn struct{ closed chan struct{} }

func newDiscardConn() *discardConn { return &discardConn{closed: make(chan struct{})} }

func (c *discardConn) ReadFromUDPAddrPort([]byte) (int, netip.AddrPort, error) {
	<-c.closed
	return 0, netip.AddrPort{}, net.ErrClosed
}

func (c *discardConn) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) { return len(b), nil }

func (c *discardConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: Port}
}

func (c *discardConn) Close() error {
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	return nil
}

// nopUP accepts everything and keeps nothing.
type nopUP struct{}

func (nopUP) OnEstablish(context.Context, *Session) ([]CreatedPDR, Cause) {
	return nil, CauseRequestAccepted
}

func (nopUP) OnModify(context.Context, *Modification) ([]CreatedPDR, []UsageReport, Cause) {
	return nil, nil, CauseRequestAccepted
}

func (nopUP) OnDelete(context.Context, uint64) ([]UsageReport, Cause) {
	return nil, CauseRequestAccepted
}

// fuzzSeeds are well-formed messages of every type the node serves.
func fuzzSeeds(tb testing.TB) [][]byte {
	full := fullSession()
	mod := Modification{CreatePDRs: full.PDRs, UpdateFARs: []UpdateFAR{{ID: 2, ApplyAction: ActionBuffer}}, RemoveQERs: []uint32{1}}
	report := SessionReport{Type: ReportUsage | ReportDownlinkData, DownlinkData: &DownlinkDataReport{PDRIDs: []uint16{2}},
		UsageReports: []UsageReport{{URRID: 1, Volume: &VolumeMeasurement{Total: 1}}}}
	node := ie.NewNodeID("127.0.0.2", "", "")
	rts := ie.NewRecoveryTimeStamp(time.Unix(1700000000, 0))
	fseid := ie.NewFSEID(7, net.IPv4(127, 0, 0, 2), nil)
	msgs := []message.Message{
		message.NewHeartbeatRequest(1, rts, nil),
		message.NewHeartbeatResponse(1, rts),
		message.NewAssociationSetupRequest(2, node, rts, ie.NewCPFunctionFeatures(0)),
		message.NewAssociationSetupResponse(2, node, ie.NewCause(1), rts, ie.NewUPFunctionFeatures(0x10, 0)),
		message.NewSessionEstablishmentRequest(0, 0, 0, 3, 0, append([]*ie.IE{node, fseid}, full.CreateIEs()...)...),
		message.NewSessionEstablishmentResponse(0, 0, 7, 3, 0, node, ie.NewCause(1), fseid),
		message.NewSessionModificationRequest(0, 0, 1, 4, 0, mod.IEs()...),
		message.NewSessionDeletionRequest(0, 0, 1, 5, 0),
		message.NewSessionReportRequest(0, 0, 1, 6, 0, SessionReportIEs(&report)...),
		message.NewSessionReportResponse(0, 0, 1, 6, 0, ie.NewCause(1)),
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := marshal(m)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzHandleMessage feeds datagrams to the receive path of a UP and a CP
// node, both associated with the sender and holding a session: nothing may
// panic and every datagram must be counted exactly once.
func FuzzHandleMessage(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	from := netip.MustParseAddrPort("127.0.0.2:8805")
	var nodes []*Node
	for _, cfg := range []Config{{Role: RoleUP, UP: nopUP{}}, {Role: RoleCP}} {
		cfg.Conn, cfg.Logger, cfg.HeartbeatInterval = newDiscardConn(), quietLog, time.Hour
		n, err := New(cfg)
		if err != nil {
			f.Fatal(err)
		}
		defer n.Close()
		n.associate(from, "127.0.0.2", time.Unix(1700000000, 0))
		nodes = append(nodes, n)
	}
	nodes[0].upSessions[1] = &upSession{cpSEID: 7, peer: from}
	nodes[1].cpSessions[1] = &cpSession{upSEID: 7, peer: from}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range nodes {
			n.handleDatagram(b, from)
			n.handlers.Wait()
			s := n.Stats()
			counted := s.Malformed.Load() + s.Unsupported.Load() + s.RxRequests.Load() +
				s.DuplicateRequests.Load() + s.RxResponses.Load() + s.UnmatchedResponses.Load()
			if counted != s.RxMessages.Load() {
				t.Fatalf("%s node: %d datagrams, %d counted", n.cfg.Role, s.RxMessages.Load(), counted)
			}
		}
	})
}
