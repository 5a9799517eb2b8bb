package sgw_test

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2/ie"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// pcoRequest asks for P-CSCF and DNS addresses, and DNS in IPCP.
func pcoRequest() *ie.IE {
	ipcp := []byte{1, 0, 0, 16, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0}
	return ie.NewProtocolConfigurationOptions(0,
		ie.NewPCOContainer(0x8021, ipcp), ie.NewPCOContainer(0x000c, nil), ie.NewPCOContainer(0x000d, nil))
}

// pcoAddrs lists the addresses of the containers with id in a PCO.
func pcoAddrs(t *testing.T, pco *ie.IE, id uint16) []netip.Addr {
	t.Helper()
	if pco == nil {
		t.Fatal("no PCO in the response")
	}
	f, err := pco.ProtocolConfigurationOptions()
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Addr
	for _, c := range f.ProtocolOrContainers {
		if c.ID == id {
			a, ok := netip.AddrFromSlice(c.Contents)
			if !ok {
				t.Fatalf("container %#x holds %x", id, c.Contents)
			}
			out = append(out, a)
		}
	}
	return out
}

// The ims APN answers with the P-CSCF address; every APN with its DNS.
func TestPCO(t *testing.T) {
	c := startCore(t, nil)
	tests := []struct {
		apn        string
		pool       string
		pcscf, dns []netip.Addr
	}{
		{"ims", "10.47.0.0/16", []netip.Addr{netip.MustParseAddr("10.47.0.10")}, []netip.Addr{netip.MustParseAddr("10.47.0.1")}},
		{"internet", "10.46.0.0/16", nil, []netip.Addr{netip.MustParseAddr("10.46.0.1")}},
	}
	for _, tt := range tests {
		t.Run(tt.apn, func(t *testing.T) {
			p, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: "001010000000002", APN: tt.apn,
				PGW: c.b.Addr(pgwtest.Index), PCO: pcoRequest()})
			if err != nil || p.Cause != 16 {
				t.Fatalf("create: %+v, %v", p, err)
			}
			if !netip.MustParsePrefix(tt.pool).Contains(p.UE) {
				t.Errorf("UE %s not in %s", p.UE, tt.pool)
			}
			if got := pcoAddrs(t, p.PCO, 0x000c); !slices.Equal(got, tt.pcscf) {
				t.Errorf("P-CSCF %v, want %v", got, tt.pcscf)
			}
			if got := pcoAddrs(t, p.PCO, 0x000d); !slices.Equal(got, tt.dns) {
				t.Errorf("DNS %v, want %v", got, tt.dns)
			}
		})
	}
}

// A Create Session Request sent again with its sequence number is
// answered with the first response, not a second session.
func TestRetransmittedCreateSession(t *testing.T) {
	c := startCore(t, nil)
	raw, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(c.b.AddrPort(5, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	req := c.mme.Request(sgwtest.CreateSession{IMSI: "001010000000003", APN: "internet", PGW: c.b.Addr(pgwtest.Index)}, 77)
	req.SenderFTEIDC = gtpv2c.FTEID{Interface: 10, TEID: 77, Addr: c.b.Addr(5)}.IE(0)
	req.SetSequenceNumber(0x4242)
	b, err := gtpv2c.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var answers [][]byte
	for range 2 {
		if _, err := raw.WriteToUDPAddrPort(b, c.sgw.Addrs().S11); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		if err := raw.SetReadDeadline(time.Now().Add(wait)); err != nil {
			t.Fatal(err)
		}
		n, _, err := raw.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, buf[:n])
	}
	if !bytes.Equal(answers[0], answers[1]) {
		t.Errorf("second answer differs:\n%x\n%x", answers[0], answers[1])
	}
	p, err := gtpv2c.Parse(answers[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sgwtest.ParseCreateResponse(p, 77); err != nil {
		t.Fatal(err)
	}
	if c.sgw.Sessions() != 1 || c.pgw.Sessions() != 1 {
		t.Errorf("sessions: sgw %d, pgw %d, want 1", c.sgw.Sessions(), c.pgw.Sessions())
	}
	if got := c.sgwMetric(t, `corebox_sgw_gtpc_dropped_messages_total{interface="s11",reason="duplicate"}`); got != 1 {
		t.Errorf("duplicates counted: %v", got)
	}
}

// A PGW rule gets a dedicated bearer through the SGW to the MME and
// back; downlink matching its TFT takes it, the rest the default bearer.
func TestDedicatedBearer(t *testing.T) {
	c := startCore(t, nil)
	const imsi = "001010000000004"
	p := c.attach(t, imsi, "ims", 0x100)
	ue := netip.AddrPortFrom(p.UE, 6000)
	pcscf := netip.MustParseAddrPort("10.47.0.10:5004")
	rule := pgw.Rule{Name: "voice", Precedence: 10,
		QoS:   pgw.QoS{QCI: 1, ARP: pgw.ARP{Priority: 2}, MBRUL: 128, MBRDL: 128, GBRUL: 64, GBRDL: 64},
		Flows: []string{"permit out 17 from 10.47.0.10 5004 to assigned 6000"}}
	if err := c.pgw.InstallRules(ctxT(t), imsi, "ims", rule); err != nil {
		t.Fatal(err)
	}
	var db sgwtest.Bearer
	select {
	case db = <-c.mme.Bearers:
	case <-ctxT(t).Done():
		t.Fatal("the MME got no Create Bearer Request")
	}
	if db.MMETEID != p.MMETEID || db.EBI != 6 || db.TFT == nil {
		t.Fatalf("bearer %+v", db)
	}
	if qci, err := db.QoS.QCILabel(); err != nil || qci != 1 {
		t.Errorf("QCI %d, %v", qci, err)
	}
	if gbr, err := db.QoS.GBRForDownlink(); err != nil || gbr != 64 {
		t.Errorf("GBR downlink %d, %v", gbr, err)
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), "corebox_sgw_bearers", 2)
	c.downlink(t, "ims", sgwtest.UDPPacket(pcscf, ue, []byte("rtp")), db.ENBTEID)
	c.downlink(t, "ims", sgwtest.UDPPacket(netip.MustParseAddrPort("10.47.0.10:5060"), ue, []byte("sip")), 0x100)
	c.uplink(t, "ims", db.S1U, sgwtest.UDPPacket(ue, pcscf, []byte("rtp up")))

	if err := c.pgw.RemoveRules(ctxT(t), imsi, "ims", "voice"); err != nil {
		t.Fatal(err)
	}
	select {
	case ebis := <-c.mme.BearerDeletes:
		if !slices.Equal(ebis, []uint8{6}) {
			t.Errorf("deleted EBIs %v", ebis)
		}
	case <-ctxT(t).Done():
		t.Fatal("the MME got no Delete Bearer Request")
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), "corebox_sgw_bearers", 1)
	if got := c.pgwMetric(t, "corebox_pgw_bearers"); got != 1 {
		t.Errorf("pgw bearers %v after removal", got)
	}
	c.downlink(t, "ims", sgwtest.UDPPacket(pcscf, ue, []byte("rtp late")), 0x100)
}

// If the MME cannot page the UE, the buffer goes; a full buffer drops.
func TestIdleBufferLimits(t *testing.T) {
	c := startCore(t, func(_ *core, s *sgw.Config, _ *pgw.Config) { s.Buffer.MaxPacketsPerBearer = 2 })
	p := c.attach(t, "001010000000005", "internet", 0x100)
	ue := netip.AddrPortFrom(p.UE, 40000)
	c.mme.DDNCause.Store(90) // unable to page UE
	if cause, err := c.mme.ReleaseAccessBearers(ctxT(t), p); err != nil || cause != 16 {
		t.Fatalf("release: %d, %v", cause, err)
	}
	for range 5 {
		if err := c.pgw.MemoryDevice("internet").Inject(ctxT(t), sgwtest.UDPPacket(dn, ue, []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), `corebox_sgw_downlink_data_notifications_total{result="failed"}`, 1)
	sgwtest.WaitMetric(t, c.sgw.Ops(), "corebox_sgw_buffered_packets", 0)
	drops := c.sgwMetric(t, `corebox_sgw_dropped_packets_total{reason="buffer_full"}`) +
		c.sgwMetric(t, `corebox_sgw_dropped_packets_total{reason="buffer_discarded"}`)
	held := c.sgwMetric(t, `corebox_sgw_rx_packets_total{direction="downlink"}`)
	if held != 5 || drops != 5 {
		t.Errorf("downlink received %v, dropped %v: want all 5 dropped", held, drops)
	}
}

// Echo is answered on S11 and on S5/S8-C, by the SGW and the PGW.
func TestEcho(t *testing.T) {
	c := startCore(t, nil)
	for _, to := range []netip.AddrPort{c.sgw.Addrs().S11, c.sgw.Addrs().S5C, c.pgw.Addrs().GTPC} {
		if _, err := c.mme.Conn.Echo(ctxT(t), to); err != nil {
			t.Errorf("echo %s: %v", to, err)
		}
	}
}

// A draining SGW refuses new sessions (73) and keeps the others.
func TestDrain(t *testing.T) {
	c := startCore(t, nil)
	c.attach(t, "001010000000006", "internet", 0x100)
	code, body := nfkittest.Do(t, "POST", "http://"+c.sgw.Ops().Addr().String()+"/drain", "")
	if code != 202 || body != "{\"draining\":true,\"remaining\":1}\n" {
		t.Fatalf("POST /drain = %d %s", code, body)
	}
	p, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: "001010000000007", APN: "internet", PGW: c.b.Addr(pgwtest.Index)})
	if err != nil || p.Cause != 73 {
		t.Fatalf("create while draining: %+v, %v", p, err)
	}
}

// Garbage on S11 and S5 is dropped and counted; the SGW keeps serving.
func TestMalformedCounted(t *testing.T) {
	c := startCore(t, nil)
	raw, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(c.b.AddrPort(5, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	junk := [][]byte{{0x48, 0x20, 0x00}, {0x48, 0x20, 0x00, 0x08, 0, 0, 0, 1, 0, 0, 1, 0, 0xff, 0xff}}
	for _, to := range []netip.AddrPort{c.sgw.Addrs().S11, c.sgw.Addrs().S5C, c.pgw.Addrs().GTPC} {
		for _, j := range junk {
			if _, err := raw.WriteToUDPAddrPort(j, to); err != nil {
				t.Fatal(err)
			}
		}
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), `corebox_sgw_gtpc_dropped_messages_total{interface="s11",reason="malformed"}`, 2)
	sgwtest.WaitMetric(t, c.sgw.Ops(), `corebox_sgw_gtpc_dropped_messages_total{interface="s5",reason="malformed"}`, 2)
	sgwtest.WaitMetric(t, c.pgw.Ops(), `corebox_pgw_gtpc_dropped_messages_total{interface="s5",reason="malformed"}`, 2)
	c.attach(t, "001010000000008", "internet", 0x100)
}

// TestUplinkBeforeMMEAnswers: a UE sends on a dedicated bearer as soon as
// its eNB has set it up, which can be before the MME's Create Bearer
// Response reaches the SGW. That uplink must reach the PGW; a TEID still
// unknown there would get the eNB an Error Indication and the E-RAB gone.
func TestUplinkBeforeMMEAnswers(t *testing.T) {
	c := startCore(t, nil)
	const imsi = "001010000000005"
	p := c.attach(t, imsi, "ims", 0x100)
	ue := netip.AddrPortFrom(p.UE, 6000)
	peer := netip.MustParseAddrPort("10.47.0.11:5004")
	release := c.mme.HoldBearers()
	t.Cleanup(release)
	installed := make(chan error, 1)
	go func() {
		installed <- c.pgw.InstallRules(ctxT(t), imsi, "ims", pgw.Rule{Name: "voice", Precedence: 10,
			QoS:   pgw.QoS{QCI: 1, ARP: pgw.ARP{Priority: 2}, MBRUL: 128, MBRDL: 128, GBRUL: 64, GBRDL: 64},
			Flows: []string{"permit out 17 from 10.47.0.11 5004 to assigned 6000"}})
	}()
	var db sgwtest.Bearer
	select {
	case db = <-c.mme.Bearers:
	case <-ctxT(t).Done():
		t.Fatal("the MME got no Create Bearer Request")
	}
	c.uplink(t, "ims", db.S1U, sgwtest.UDPPacket(ue, peer, []byte("rtp before the answer")))
	release()
	if err := <-installed; err != nil {
		t.Fatal(err)
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), "corebox_sgw_bearers", 2)
	c.downlink(t, "ims", sgwtest.UDPPacket(peer, ue, []byte("rtp down")), db.ENBTEID)
}
