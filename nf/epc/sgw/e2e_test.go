package sgw_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

var dn = netip.MustParseAddrPort("192.0.2.10:53")

// The whole life of a PDN connection: traffic both ways, idle with
// buffering and a Downlink Data Notification, back to connected with
// the buffer delivered in order, deletion freeing everything.
func TestSessionLifecycle(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := startCore(t, nil)
	p := c.attach(t, "001010000000001", "internet", 0x100)
	if !netip.MustParsePrefix("10.46.0.0/16").Contains(p.UE) {
		t.Fatalf("UE address %s not from the internet pool", p.UE)
	}
	ue := netip.AddrPortFrom(p.UE, 40000)

	c.uplink(t, "internet", p.S1U, sgwtest.UDPPacket(ue, dn, []byte("query")))
	c.downlink(t, "internet", sgwtest.UDPPacket(dn, ue, []byte("answer")), 0x100)

	if cause, err := c.mme.ReleaseAccessBearers(ctxT(t), p); err != nil || cause != 16 {
		t.Fatalf("release access bearers: cause %d, %v", cause, err)
	}
	var held [][]byte
	for i := range 3 {
		pkt := sgwtest.UDPPacket(dn, ue, fmt.Appendf(nil, "held %d", i))
		held = append(held, pkt)
		if err := c.pgw.MemoryDevice("internet").Inject(ctxT(t), pkt); err != nil {
			t.Fatal(err)
		}
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), "corebox_sgw_buffered_packets", 3)
	select {
	case ddn := <-c.mme.DDNs:
		if ddn.TEID() != p.MMETEID {
			t.Errorf("DDN to TEID %#x, want %#x", ddn.TEID(), p.MMETEID)
		}
		if ebi, err := gtpv2c.EBI(ddn.EPSBearerID); err != nil || ebi != p.EBI {
			t.Errorf("DDN for EBI %d (%v), want %d", ebi, err, p.EBI)
		}
	case <-ctxT(t).Done():
		t.Fatal("no Downlink Data Notification")
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), `corebox_sgw_downlink_data_notifications_total{result="acknowledged"}`, 1)

	// Paged: the eNB (a new TEID) gets the held packets first, in order.
	if cause, err := c.mme.ModifyBearer(ctxT(t), p, map[uint8]uint32{p.EBI: 0x200}); err != nil || cause != 16 {
		t.Fatalf("modify bearer: cause %d, %v", cause, err)
	}
	for _, pkt := range held {
		c.expectDownlink(t, pkt, 0x200)
	}
	c.downlink(t, "internet", sgwtest.UDPPacket(dn, ue, []byte("after")), 0x200)
	if got := c.sgwMetric(t, "corebox_sgw_buffered_packets"); got != 0 {
		t.Errorf("buffered after paging: %v", got)
	}
	if got := c.sgwMetric(t, `corebox_sgw_downlink_data_notifications_total{result="sent"}`); got != 1 {
		t.Errorf("DDNs sent: %v, want 1 for one idle period", got)
	}

	if cause, err := c.mme.DeleteSession(ctxT(t), p); err != nil || cause != 16 {
		t.Fatalf("delete session: cause %d, %v", cause, err)
	}
	for _, s := range []struct {
		nf   func(testing.TB, string) float64
		name string
	}{
		{c.sgwMetric, "corebox_sgw_sessions"}, {c.sgwMetric, "corebox_sgw_bearers"},
		{c.sgwMetric, "corebox_sgw_buffered_packets"},
		{c.pgwMetric, `corebox_pgw_sessions{apn="internet"}`}, {c.pgwMetric, "corebox_pgw_bearers"},
		{c.pgwMetric, `corebox_pgw_ue_addresses_in_use{apn="internet"}`},
	} {
		if got := s.nf(t, s.name); got != 0 {
			t.Errorf("%s = %v after delete, want 0", s.name, got)
		}
	}
	if c.sgw.Sessions() != 0 || c.pgw.Sessions() != 0 {
		t.Errorf("sessions left: sgw %d, pgw %d", c.sgw.Sessions(), c.pgw.Sessions())
	}
	// The old tunnels are gone: uplink on the old TEID is unknown.
	if err := c.enb.Send(c.at(p.S1U), p.S1U.TEID, sgwtest.UDPPacket(ue, dn, []byte("late"))); err != nil {
		t.Fatal(err)
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), `corebox_sgw_gtpu_unknown_teid_total{interface="s1u"}`, 1)
}

// Creating sessions refused by the PGW relays its cause to the MME.
func TestCreateSessionRefused(t *testing.T) {
	c := startCore(t, func(_ *core, _ *sgw.Config, p *pgw.Config) {
		p.APNs[0].CIDR = "10.46.0.0/30" // two addresses
		p.APNs[0].DNS = []string{"192.0.2.53"}
	})
	for i := range 2 {
		p, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: fmt.Sprintf("00101000000010%d", i),
			APN: "internet", PGW: c.b.Addr(pgwtest.Index)})
		if err != nil || p.Cause != 16 {
			t.Fatalf("session %d: %+v, %v", i, p, err)
		}
	}
	tests := []struct {
		name, imsi, apn string
		want            uint8
	}{
		{"pool exhausted", "001010000000199", "internet", 84},
		{"unknown APN", "001010000000198", "nosuch", 78},
		{"APN with operator identifier", "001010000000197", "ims.mnc001.mcc001.gprs", 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: tt.imsi, APN: tt.apn, PGW: c.b.Addr(pgwtest.Index)})
			if err != nil {
				t.Fatal(err)
			}
			if p.Cause != tt.want {
				t.Fatalf("cause %d, want %d", p.Cause, tt.want)
			}
		})
	}
	if got := c.pgwMetric(t, `corebox_pgw_sessions_rejected_total{cause="84"}`); got != 1 {
		t.Errorf("rejections for cause 84: %v", got)
	}
	if c.sgw.Sessions() != 3 || c.pgw.Sessions() != 3 {
		t.Errorf("sessions: sgw %d, pgw %d, want 3 (refused ones leave nothing)", c.sgw.Sessions(), c.pgw.Sessions())
	}
}
