package upf

import (
	"bytes"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

func TestUplinkAndDownlink(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, nil)
	l.gnb.listen(t, gnbTEID)
	_, teid := l.establish(t, pduSession(ueAddr))
	waitMetric(t, l.upf, "corebox_upf_sessions", 1)

	up := ipv4UDP(ueAddr, dnAddr, 200, 1)
	l.uplink(t, teid, up)
	if got := recv(t, l.upf.MemoryN6().Uplink(), "uplink packet on N6"); !bytes.Equal(got, up) {
		t.Fatalf("N6 got %x\nwant %x", got, up)
	}

	down := ipv4UDP(dnAddr, ueAddr, 300, 2)
	l.inject(t, down)
	g := recv(t, l.gnb.rx, "downlink G-PDU at the gNB")
	want := gtpu.PDUSessionInfo{Present: true, PDUType: gtpu.PDUTypeDL, QFI: qfi}
	if g.teid != gnbTEID || g.pdu != want || !bytes.Equal(g.payload, down) {
		t.Fatalf("gNB got TEID %#x %+v %x", g.teid, g.pdu, g.payload)
	}
	for series, v := range map[string]float64{
		`corebox_upf_rx_packets_total{direction="uplink"}`:   1,
		`corebox_upf_tx_packets_total{direction="uplink"}`:   1,
		`corebox_upf_rx_bytes_total{direction="uplink"}`:     200,
		`corebox_upf_tx_bytes_total{direction="downlink"}`:   300,
		`corebox_upf_tx_packets_total{direction="downlink"}`: 1,
		`corebox_upf_pfcp_sessions_established_total`:        1,
		`corebox_upf_pfcp_associations`:                      1,
	} {
		if got := metric(t, l.upf, series); got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
}

func TestCreatedFTEIDs(t *testing.T) {
	l := startLab(t, func(c *Config) { c.N3Address = "192.0.2.3" })
	res, teid := l.establish(t, pduSession(ueAddr))
	if f := res.CreatedPDRs[0]; f.ID != 1 || teid == 0 || f.LocalFTEID.IPv4 != netip.MustParseAddr("192.0.2.3") {
		t.Fatalf("created %+v %+v", f, f.LocalFTEID)
	}
	_, teid2 := l.establish(t, pduSession(netip.MustParseAddr("10.45.0.8")))
	if teid2 == teid {
		t.Fatalf("two sessions got TEID %#x", teid)
	}
	if res.UPAddr != loopback {
		t.Fatalf("UP F-SEID address %s, want the node ID", res.UPAddr)
	}
}

func TestUplinkQFIMustMatch(t *testing.T) {
	l := startLab(t, nil)
	_, teid := l.establish(t, pduSession(ueAddr))
	if err := l.gnb.ep.Send(l.n3, teid, qfi+1, ipv4UDP(ueAddr, dnAddr, 100, 1)); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="no_pdr"}`, 1)
	if metric(t, l.upf, `corebox_upf_tx_packets_total{direction="uplink"}`) != 0 {
		t.Fatal("a packet of another QFI went to N6")
	}
}

func TestDownlinkBufferingAndFlush(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, nil)
	l.gnb.listen(t, gnbTEID)
	l.gnb.listen(t, gnbTEID+1)
	res, _ := l.establish(t, pduSession(ueAddr))

	// The UE goes idle: the SMF makes the downlink FAR buffer and notify.
	l.modify(t, res.CPSEID, &pfcp.Modification{UpdateFARs: []pfcp.UpdateFAR{
		{ID: 2, ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP}}})
	const n = 5
	for i := range n {
		l.inject(t, ipv4UDP(dnAddr, ueAddr, 100+i, uint16(10+i)))
	}
	r := recv(t, l.smf.got, "session report")
	want := pfcp.SessionReport{Type: pfcp.ReportDownlinkData, DownlinkData: &pfcp.DownlinkDataReport{PDRIDs: []uint16{2}}}
	if !reflect.DeepEqual(*r, want) {
		t.Fatalf("report %+v %+v", r, r.DownlinkData)
	}
	waitMetric(t, l.upf, "corebox_upf_buffered_packets", n)
	waitMetric(t, l.upf, `corebox_upf_session_reports_total{result="accepted"}`, 1)
	if c := l.smf.reportCount(); c != 1 {
		t.Fatalf("%d reports for one buffering period", c)
	}
	select {
	case g := <-l.gnb.rx:
		t.Fatalf("gNB got %x while buffering", g.payload)
	default:
	}

	// Paged, the UE is back behind a new gNB tunnel: flush in order.
	l.modify(t, res.CPSEID, &pfcp.Modification{UpdateFARs: []pfcp.UpdateFAR{
		{ID: 2, ApplyAction: pfcp.ActionForward, Forwarding: towardGNB(gnbTEID + 1)}}})
	for i := range n {
		g := recv(t, l.gnb.rx, "flushed packet")
		if g.teid != gnbTEID+1 || packetID(g.payload) != uint16(10+i) || len(g.payload) != 100+i {
			t.Fatalf("flushed packet %d: TEID %#x id %d len %d", i, g.teid, packetID(g.payload), len(g.payload))
		}
	}
	waitMetric(t, l.upf, "corebox_upf_buffered_packets", 0)

	// A new buffering period notifies again.
	l.modify(t, res.CPSEID, &pfcp.Modification{UpdateFARs: []pfcp.UpdateFAR{
		{ID: 2, ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP}}})
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 99))
	recv(t, l.smf.got, "second period's report")
}

func TestBufferBoundAndReportInterval(t *testing.T) {
	clock := newFakeClock()
	g := startGNB(t)
	cfg := testConfig()
	cfg.Buffer.MaxPacketsPerSession = 3
	cfg.Buffer.ReportInterval = time.Second
	n := newUPF(t, cfg, g.port())
	n.now = clock.Now
	runUPF(t, n)
	l := &lab{upf: n, gnb: g, n3: n.Addrs().GTPU, smf: startSMF(t, n.Addrs().PFCP)}
	s := pduSession(ueAddr)
	s.FARs[1] = pfcp.FAR{ID: 2, ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP}
	l.establish(t, s)
	for i := range 5 {
		l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, uint16(i)))
	}
	waitMetric(t, n, `corebox_upf_dropped_packets_total{reason="buffer_full"}`, 2)
	waitMetric(t, n, "corebox_upf_buffered_packets", 3)
	recv(t, l.smf.got, "first report")
	clock.Advance(time.Second) // still buffering a report interval later: say so again
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 9))
	recv(t, l.smf.got, "repeated report")
	waitMetric(t, n, `corebox_upf_session_reports_total{result="accepted"}`, 2)
}

func TestDeletionReportsUsage(t *testing.T) {
	l := startLab(t, nil)
	l.gnb.listen(t, gnbTEID)
	res, teid := l.establish(t, pduSession(ueAddr))
	var ulOctets, dlOctets uint64
	for i := range 4 {
		p := ipv4UDP(ueAddr, dnAddr, 100+10*i, uint16(i))
		ulOctets += uint64(len(p))
		l.uplink(t, teid, p)
		recv(t, l.upf.MemoryN6().Uplink(), "uplink")
	}
	for i := range 3 {
		p := ipv4UDP(dnAddr, ueAddr, 500+i, uint16(i))
		dlOctets += uint64(len(p))
		l.inject(t, p)
		recv(t, l.gnb.rx, "downlink")
	}
	reports, err := l.smf.node.DeleteSession(ctxT(t), res.CPSEID)
	if err != nil {
		t.Fatal(err)
	}
	want := []pfcp.UsageReport{{URRID: 1, URSEQN: 0, Trigger: pfcp.UsageTermination, Volume: &pfcp.VolumeMeasurement{
		Total: ulOctets + dlOctets, Uplink: ulOctets, Downlink: dlOctets,
		TotalPackets: 7, UplinkPackets: 4, DownlinkPackets: 3}}}
	if !reflect.DeepEqual(reports, want) {
		t.Fatalf("reports %+v (volume %+v)", reports, reports[0].Volume)
	}
	if l.upf.Sessions() != 0 || metric(t, l.upf, "corebox_upf_pfcp_sessions_deleted_total") != 1 {
		t.Fatal("session still counted")
	}
	// Its TEID and UE address are gone with it.
	l.uplink(t, teid, ipv4UDP(ueAddr, dnAddr, 100, 1))
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="unknown_teid"}`, 1)
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 1))
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="no_pdr"}`, 1)
}

func TestRemovedURRReportedInModification(t *testing.T) {
	l := startLab(t, nil)
	res, teid := l.establish(t, pduSession(ueAddr))
	l.uplink(t, teid, ipv4UDP(ueAddr, dnAddr, 120, 1))
	recv(t, l.upf.MemoryN6().Uplink(), "uplink")
	mod := l.modify(t, res.CPSEID, &pfcp.Modification{RemoveURRs: []uint32{1}})
	want := []pfcp.UsageReport{{URRID: 1, Trigger: pfcp.UsageTermination, Volume: &pfcp.VolumeMeasurement{
		Total: 120, Uplink: 120, TotalPackets: 1, UplinkPackets: 1}}}
	if !reflect.DeepEqual(mod.UsageReports, want) {
		t.Fatalf("usage reports %+v", mod.UsageReports)
	}
}

func TestUnknownTEIDGetsErrorIndication(t *testing.T) {
	l := startLab(t, nil)
	l.uplink(t, 0xdead, ipv4UDP(ueAddr, dnAddr, 100, 1))
	ei := recv(t, l.gnb.errInds, "error indication")
	if ei.TEID != 0xdead || ei.PeerAddr != loopback {
		t.Fatalf("error indication %+v", ei)
	}
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="unknown_teid"}`, 1)
	waitMetric(t, l.upf, "corebox_upf_error_indications_sent_total", 1)
}

func TestMalformedCounted(t *testing.T) {
	l := startLab(t, nil)
	_, teid := l.establish(t, pduSession(ueAddr))
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	notIP, err := gtpu.Append(nil, &gtpu.Header{Type: gtpu.MsgGPDU, TEID: teid}, []byte{0x00, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{
		{0x30, 0xff, 0, 4},                            // too short
		{0x30, 0xff, 0, 9, 0, 0, 0, 1, 1, 2, 3},       // length disagrees
		{0x50, 0xff, 0, 0, 0, 0, 0, 1},                // version 2
		{0x34, 0xff, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0x85}, // extension header missing
		notIP, // well-formed G-PDU, inner packet not IP
	} {
		if _, err := c.WriteToUDPAddrPort(b, l.n3); err != nil {
			t.Fatal(err)
		}
	}
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="malformed"}`, 5)
	if metric(t, l.upf, `corebox_upf_tx_packets_total{direction="uplink"}`) != 0 {
		t.Fatal("a malformed packet reached N6")
	}
	l.inject(t, []byte{0x45, 0, 0}) // truncated on N6 too
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="malformed"}`, 6)
}

func TestQERGateAndFARDrop(t *testing.T) {
	l := startLab(t, nil)
	res, teid := l.establish(t, pduSession(ueAddr))
	l.modify(t, res.CPSEID, &pfcp.Modification{UpdateQERs: []pfcp.UpdateQER{
		{ID: 1, GateStatus: &pfcp.GateStatus{UL: pfcp.GateClosed, DL: pfcp.GateOpen}}}})
	l.uplink(t, teid, ipv4UDP(ueAddr, dnAddr, 100, 1))
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="qer_gate"}`, 1)
	l.modify(t, res.CPSEID, &pfcp.Modification{UpdateFARs: []pfcp.UpdateFAR{{ID: 2, ApplyAction: pfcp.ActionDrop}}})
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 1))
	waitMetric(t, l.upf, `corebox_upf_dropped_packets_total{reason="far_drop"}`, 1)
}

func TestMBRLimitsThroughput(t *testing.T) {
	clock := newFakeClock()
	g := startGNB(t)
	g.listen(t, gnbTEID)
	n := newUPF(t, testConfig(), g.port())
	n.now = clock.Now
	runUPF(t, n)
	l := &lab{upf: n, gnb: g, n3: n.Addrs().GTPU, smf: startSMF(t, n.Addrs().PFCP)}
	s := pduSession(ueAddr)
	// 800 kbit/s downlink: 100 000 octets/s, a 10 000-octet burst.
	s.QERs[0].MBR = &pfcp.Bitrate{UL: 0, DL: 800}
	l.establish(t, s)
	send := func(k int) {
		for i := range k {
			l.inject(t, ipv4UDP(dnAddr, ueAddr, 1000, uint16(i)))
		}
	}
	send(30)
	waitMetric(t, n, `corebox_upf_rx_packets_total{direction="downlink"}`, 30)
	if tx, mbr := metric(t, n, `corebox_upf_tx_packets_total{direction="downlink"}`),
		metric(t, n, `corebox_upf_dropped_packets_total{reason="mbr"}`); tx != 10 || mbr != 20 {
		t.Fatalf("burst: %v sent, %v dropped; want 10 and 20", tx, mbr)
	}
	clock.Advance(50 * time.Millisecond) // earns 5000 octets
	send(10)
	waitMetric(t, n, `corebox_upf_rx_packets_total{direction="downlink"}`, 40)
	if tx := metric(t, n, `corebox_upf_tx_packets_total{direction="downlink"}`); tx != 15 {
		t.Fatalf("after 50ms: %v sent in all, want 15", tx)
	}
	for range 15 {
		recv(t, g.rx, "downlink")
	}
}

func TestRuleErrorsRefused(t *testing.T) {
	l := startLab(t, nil)
	cases := map[string]func(*pfcp.Session){
		"missing FAR": func(s *pfcp.Session) { s.PDRs[0].FARID = 9 },
		"missing QER": func(s *pfcp.Session) { s.PDRs[1].QERIDs = []uint32{7} },
		"missing URR": func(s *pfcp.Session) { s.PDRs[0].URRIDs = []uint32{7} },
		"duplicate":   func(s *pfcp.Session) { s.FARs = append(s.FARs, s.FARs[0]) },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			s := pduSession(ueAddr)
			mod(s)
			_, err := l.smf.node.EstablishSession(ctxT(t), l.upf.Addrs().PFCP, s)
			if pfcp.CauseOf(err) != pfcp.CauseRuleCreationModificationFailure {
				t.Fatalf("establish: %v", err)
			}
		})
	}
	if l.upf.Sessions() != 0 {
		t.Fatal("a refused session stayed")
	}
	// A refused modification changes nothing.
	l.gnb.listen(t, gnbTEID)
	res, _ := l.establish(t, pduSession(ueAddr))
	_, err := l.smf.node.ModifySession(ctxT(t), res.CPSEID, &pfcp.Modification{
		UpdateFARs: []pfcp.UpdateFAR{{ID: 2, ApplyAction: pfcp.ActionDrop}},
		RemoveFARs: []uint32{1}}) // PDR 1 still points at FAR 1
	if pfcp.CauseOf(err) != pfcp.CauseRuleCreationModificationFailure {
		t.Fatalf("modify: %v", err)
	}
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 1))
	recv(t, l.gnb.rx, "downlink after a refused modification")
}

func TestExplicitFTEIDAndConflicts(t *testing.T) {
	l := startLab(t, nil)
	s := pduSession(ueAddr)
	s.PDRs[0].PDI.LocalFTEID = &pfcp.FTEID{TEID: 1, IPv4: loopback} // the first TEID CHOOSE would pick
	res, err := l.smf.node.EstablishSession(ctxT(t), l.upf.Addrs().PFCP, s)
	if err != nil || len(res.CreatedPDRs) != 0 {
		t.Fatalf("establish with an SMF-chosen TEID: %v %+v", err, res)
	}
	l.uplink(t, 1, ipv4UDP(ueAddr, dnAddr, 100, 1))
	recv(t, l.upf.MemoryN6().Uplink(), "uplink on the chosen TEID")
	other := pduSession(netip.MustParseAddr("10.45.0.9"))
	other.PDRs[0].PDI.LocalFTEID = &pfcp.FTEID{TEID: 1, IPv4: loopback}
	if _, err := l.smf.node.EstablishSession(ctxT(t), l.upf.Addrs().PFCP, other); pfcp.CauseOf(err) != pfcp.CauseRuleCreationModificationFailure {
		t.Fatalf("second session on TEID 1: %v", err)
	}
	// CHOOSE skips the TEID taken.
	if _, teid := l.establish(t, pduSession(netip.MustParseAddr("10.45.0.10"))); teid != 2 {
		t.Fatalf("CHOOSE picked TEID %#x, want 2", teid)
	}
}

func TestDrain(t *testing.T) {
	l := startLab(t, nil)
	l.gnb.listen(t, gnbTEID)
	l.establish(t, pduSession(ueAddr))
	l.upf.Ops().StartDrain()
	if st := l.upf.Ops().DrainStatus(); !st.Draining || st.Remaining != 1 {
		t.Fatalf("drain status %+v", st)
	}
	_, err := l.smf.node.EstablishSession(ctxT(t), l.upf.Addrs().PFCP, pduSession(netip.MustParseAddr("10.45.0.8")))
	if pfcp.CauseOf(err) != pfcp.CauseNoResourcesAvailable {
		t.Fatalf("establish while draining: %v", err)
	}
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 1))
	recv(t, l.gnb.rx, "downlink while draining")
}

func TestUEAddressTakeover(t *testing.T) {
	l := startLab(t, nil)
	l.gnb.listen(t, gnbTEID)
	l.gnb.listen(t, gnbTEID+5)
	old, _ := l.establish(t, pduSession(ueAddr))
	s := pduSession(ueAddr)
	s.FARs[1].Forwarding = towardGNB(gnbTEID + 5)
	l.establish(t, s)
	if _, err := l.smf.node.DeleteSession(ctxT(t), old.CPSEID); err != nil {
		t.Fatal(err)
	}
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 1))
	if g := recv(t, l.gnb.rx, "downlink"); g.teid != gnbTEID+5 {
		t.Fatalf("downlink went to TEID %#x", g.teid)
	}
}

func TestRunFailsOnBusyPort(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := testConfig()
	cfg.GTPU.Listen = c.LocalAddr().String()
	n := newUPF(t, cfg, 0)
	err = nfkittest.Start(t, n).Wait(wait)
	if err == nil || n.Addrs() != nil {
		t.Fatalf("Run on a busy port: %v", err)
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestMemoryN6(t *testing.T) {
	m := NewMemoryN6()
	ctx := ctxT(t)
	if err := m.Inject(ctx, make([]byte, 70000)); err != nil {
		t.Fatal(err)
	}
	if err := m.Inject(ctx, []byte{0x45, 1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Inject(ctx, []byte{0x45, 2, 3}); err != nil {
		t.Fatal(err)
	}
	ring := newPacketRing(4)
	// The oversized packet is dropped; the two behind it come in one batch.
	if k, err := m.ReadBatch(ring.bufs, ring.sizes, dlHeadroom); err != nil || k != 2 || m.Dropped() != 1 ||
		ring.sizes[0] != 2 || ring.sizes[1] != 3 || ring.bufs[1][dlHeadroom+2] != 3 {
		t.Fatalf("read %d %v (sizes %v), dropped %d", k, err, ring.sizes, m.Dropped())
	}
	for range memoryQueue + 1 {
		if err := m.WritePacket([]byte{0x45}); err != nil {
			t.Fatal(err)
		}
	}
	if m.Dropped() != 2 || len(m.Uplink()) != memoryQueue {
		t.Fatalf("dropped %d, queued %d", m.Dropped(), len(m.Uplink()))
	}
	m.Close()
	if _, err := m.ReadBatch(ring.bufs, ring.sizes, 0); !isClosed(err) {
		t.Fatalf("read after close: %v", err)
	}
	if err := m.Inject(ctx, []byte{0x45}); !isClosed(err) {
		t.Fatalf("inject after close: %v", err)
	}
	if err := m.WritePacket([]byte{0x45}); !isClosed(err) {
		t.Fatalf("write after close: %v", err)
	}
}

// TestAnnouncesPoolsAndMovedAddresses: GET /routes holds the pool slice;
// a session whose UE address is outside it (moved here from another UPF)
// adds a /32 for as long as it lasts, and its downlink is served.
func TestAnnouncesPoolsAndMovedAddresses(t *testing.T) {
	l := startLab(t, func(c *Config) {
		c.UEPools = []UEPool{{CIDR: "10.45.0.0/16", DNN: "internet", Slices: 4, Slice: 1}}
	})
	routes := func() []string {
		var out []string
		for _, p := range l.upf.Ops().Routes()["n6"] {
			out = append(out, p.String())
		}
		return out
	}
	if got := routes(); !slices.Equal(got, []string{"10.45.64.0/18"}) {
		t.Fatalf("announced %v, want the slice 10.45.64.0/18", got)
	}
	l.gnb.listen(t, gnbTEID)
	moved := netip.MustParseAddr("10.45.0.9") // slice 0's
	res, _ := l.establish(t, pduSession(moved))
	if got := routes(); !slices.Equal(got, []string{"10.45.0.9/32", "10.45.64.0/18"}) {
		t.Fatalf("announced %v, want the slice and 10.45.0.9/32", got)
	}
	down := ipv4UDP(dnAddr, moved, 100, 3)
	l.inject(t, down)
	if g := recv(t, l.gnb.rx, "downlink for the moved UE"); !bytes.Equal(g.payload, down) {
		t.Fatalf("gNB got %x", g.payload)
	}
	if _, err := l.smf.node.DeleteSession(ctxT(t), res.CPSEID); err != nil {
		t.Fatal(err)
	}
	if got := routes(); !slices.Equal(got, []string{"10.45.64.0/18"}) {
		t.Fatalf("after deletion announced %v, want only the slice", got)
	}
}

func TestThroughputMeter(t *testing.T) {
	var m throughputMeter
	t0 := time.Unix(1000, 0)
	m.add(t0, 0)
	if m.bitsPerSecond() != 0 {
		t.Fatalf("one sample: %v", m.bitsPerSecond())
	}
	for i := 1; i <= 10; i++ {
		m.add(t0.Add(time.Duration(i)*time.Second), uint64(i)*1_000_000) // 8 Mbit/s
	}
	if got := m.bitsPerSecond(); got != 8e6 {
		t.Fatalf("steady 1 MB/s: %v bit/s, want 8e6", got)
	}
	for i := 11; i <= 20; i++ { // the load stops: the window forgets it
		m.add(t0.Add(time.Duration(i)*time.Second), 10_000_000)
	}
	if got := m.bitsPerSecond(); got != 0 {
		t.Fatalf("after 10 idle seconds: %v bit/s, want 0", got)
	}
	if len(m.samples) > 7 {
		t.Errorf("the window keeps %d samples", len(m.samples))
	}
}
