package smf

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

var dnAddr = netip.MustParseAddr("192.0.2.10")

// TestRealUPFDataPath runs sessions through the real UPF: packets flow
// both ways once the gNB's tunnel is set; an idle UE's downlink packet
// makes the UPF report, the SMF asks the AMF to page, and the buffered
// packet reaches the gNB once the UE is back.
func TestRealUPFDataPath(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := startEnv(t, envOpts{realUPF: true})
	s := e.establish(t, testSUPI, 1)
	ue := s.accept.Address
	if e.upf.Sessions() != 1 {
		t.Fatalf("UPF holds %d sessions", e.upf.Sessions())
	}
	ul := netip.AddrPortFrom(s.setup.ULTunnel.Addr, e.upf.Addrs().GTPU.Port())
	if s.setup.ULTunnel.Addr != e.upf.Addrs().GTPU.Addr() {
		t.Errorf("UL tunnel at %v, the UPF's N3 is %v", s.setup.ULTunnel.Addr, e.upf.Addrs().GTPU)
	}
	e.update(t, s.ref, setupResponse(t, e.gnb.tunnel()))

	up := ipv4UDP(ue, dnAddr, 100)
	if err := e.gnb.ep.Send(ul, s.setup.ULTunnel.TEID, defaultQFI, up); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, e.upf.MemoryN6().Uplink(), "uplink packet on N6"); !bytes.Equal(got, up) {
		t.Fatalf("N6 got %x, want %x", got, up)
	}
	down := ipv4UDP(dnAddr, ue, 120)
	e.inject(t, down)
	if g := recv(t, e.gnb.rx, "downlink G-PDU"); g.teid != gnbTEID || g.qfi != defaultQFI || !bytes.Equal(g.payload, down) {
		t.Fatalf("gNB got TEID %#x QFI %d %x", g.teid, g.qfi, g.payload)
	}

	// Idle, then downlink data: the UPF reports, the SMF pages.
	e.update(t, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_DEACTIVATED))
	e.amf.setAnswer(http.StatusAccepted)
	late := ipv4UDP(dnAddr, ue, 140)
	e.inject(t, late)
	p := e.amf.next(t)
	if len(p.N1) != 0 || p.NgapIEType() != models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ || p.SessionID() != 1 ||
		p.ueContextID != testSUPI {
		t.Fatalf("paging transfer: N1 %d octets, NGAP %q, session %d, UE %q", len(p.N1), p.NgapIEType(), p.SessionID(), p.ueContextID)
	}
	if p.Data.N1n2FailureTxfNotifURI == "" {
		t.Error("paging transfer without a failure notification URI")
	}
	setup, err := n2.DecodeSetupRequestTransfer(p.N2)
	if err != nil || setup.ULTunnel != s.setup.ULTunnel {
		t.Fatalf("paging setup transfer %+v %v, want UL tunnel %+v", setup, err, s.setup.ULTunnel)
	}
	nfkittest.Eventually(t, wait, "paging counted", func() bool {
		return metric(t, e.smf, "corebox_smf_n1n2_transfers_total", "purpose", "paging", "result", "attempting_to_reach_ue") == 1
	})
	if got := metric(t, e.smf, "corebox_smf_pfcp_session_reports_total", "type", "downlink_data"); got < 1 {
		t.Errorf("downlink data reports %v", got)
	}
	select {
	case g := <-e.gnb.rx:
		t.Fatalf("an idle UE's packet reached the gNB: %x", g.payload)
	default:
	}
	// The UE answered the paging: the AMF brings the gNB's new tunnel.
	e.update(t, s.ref, setupResponse(t, e.gnb.tunnel()))
	if g := recv(t, e.gnb.rx, "buffered downlink G-PDU"); !bytes.Equal(g.payload, late) {
		t.Fatalf("gNB got %x, want the buffered %x", g.payload, late)
	}

	e.release(t, s.ref)
	if e.upf.Sessions() != 0 {
		t.Errorf("UPF holds %d sessions after release", e.upf.Sessions())
	}
	if got := metric(t, e.smf, "corebox_smf_usage_octets_total", "direction", "uplink"); got != 100 {
		t.Errorf("uplink usage %v, want the 100 octets sent", got)
	}
}

func (e *env) inject(t *testing.T, pkt []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.upf.MemoryN6().Inject(ctx, pkt); err != nil {
		t.Fatal(err)
	}
}

// TestUPFDownAtStart: not ready, saying why, until the UPF answers.
func TestUPFDownAtStart(t *testing.T) {
	addr := netip.AddrPortFrom(randomLoopback(), pfcp.Port)
	e := startEnv(t, envOpts{noUPF: true, mod: func(c *Config) { c.UPFs = []UPFConfig{{N4: addr.String()}} }})
	var why string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last readiness reason: %q", why)
		}
	})
	nfkittest.Eventually(t, wait, "association failure in the readiness reason", func() bool {
		var ok bool
		ok, why = e.smf.Ready()
		return !ok && strings.Contains(why, "no UPF associated") && strings.Contains(why, addr.String()) &&
			strings.Contains(why, pfcp.ErrTimeout.Error())
	})
	// Sessions meanwhile get #26 (no UPF).
	res, err := e.create(t, e.createRequest(t, testSUPI, 1, testDNN))
	if err == nil || res.Status != http.StatusInternalServerError || res.Error.Data.Error.Cause != "INSUFFICIENT_UP_RESOURCES" {
		t.Fatalf("create without a UPF: %+v %v", res, err)
	}
	startFakeUP(t, addr)
	nfkittest.Eventually(t, wait, "ready once the UPF answers", func() bool { ok, _ := e.smf.Ready(); return ok })
	e.establish(t, testSUPI, 1)
}

func TestReadyWithoutUPFWhenNotRequired(t *testing.T) {
	e := startEnv(t, envOpts{noUPF: true, mod: func(c *Config) { c.Readiness.RequireUPF = false }})
	nfkittest.Eventually(t, wait, "ready", func() bool { ok, _ := e.smf.Ready(); return ok })
}

// TestAssociationLossAndUPFRestart: heartbeats unanswered make the UPF
// unavailable (sessions kept); when it comes back restarted, the SMF
// releases what it lost and tells the AMF.
func TestAssociationLossAndUPFRestart(t *testing.T) {
	addr := netip.AddrPortFrom(randomLoopback(), pfcp.Port)
	var up *fakeUP
	e := startEnv(t, envOpts{noUPF: true, mod: func(c *Config) {
		up = startFakeUP(t, addr)
		c.UPFs = []UPFConfig{{N4: addr.String()}}
	}})
	nfkittest.Eventually(t, wait, "ready", func() bool { ok, _ := e.smf.Ready(); return ok })
	e.establish(t, testSUPI, 1)
	up.stop()
	nfkittest.Eventually(t, wait, "association loss noticed", func() bool {
		return metric(t, e.smf, "corebox_smf_pfcp_associations") == 0
	})
	if ok, why := e.smf.Ready(); ok || !strings.Contains(why, "association lost") {
		t.Errorf("ready %v %q after the loss", ok, why)
	}
	if e.smf.Sessions() != 1 || metric(t, e.smf, "corebox_smf_pfcp_association_losses_total") != 1 {
		t.Errorf("after the loss: %d sessions", e.smf.Sessions())
	}
	restarted := startFakeUPAt(t, addr, time.Now().Add(time.Hour))
	nfkittest.Eventually(t, wait, "re-associated", func() bool { ok, _ := e.smf.Ready(); return ok })
	n := recv(t, e.amf.status, "status notification for the lost session")
	if n.StatusInfo == nil || n.StatusInfo.ResourceStatus != models.Smf_PDUSess_ResourceStatus_RELEASED {
		t.Errorf("notification %+v", n.StatusInfo)
	}
	nfkittest.Eventually(t, wait, "lost session released", func() bool { return e.smf.Sessions() == 0 })
	e.establish(t, testSUPI, 1)
	if restarted.count() != 1 {
		t.Errorf("restarted UP holds %d sessions", restarted.count())
	}
}

// TestUPFSelectionSpreadsSessions: two UPFs, each with its own slice of
// the pool, take turns.
func TestUPFSelectionSpreadsSessions(t *testing.T) {
	var ups [2]*fakeUP
	e := startEnv(t, envOpts{noUPF: true, mod: func(c *Config) {
		c.DNNs[0].UPFPrefix = 24
		for i := range ups {
			ups[i] = startFakeUP(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0))
			c.UPFs = append(c.UPFs, UPFConfig{N4: ups[i].addr().String()})
		}
	}})
	nfkittest.Eventually(t, wait, "both associated", func() bool { return metric(t, e.smf, "corebox_smf_pfcp_associations") == 2 })
	subnets := map[netip.Prefix]int{}
	for psi := uint8(1); psi <= 6; psi++ {
		s := e.establish(t, testSUPI, psi)
		p, _ := s.accept.Address.Prefix(24)
		subnets[p]++
	}
	if ups[0].count() != 3 || ups[1].count() != 3 || len(subnets) != 2 {
		t.Errorf("sessions per UPF %d/%d, /24s used %v", ups[0].count(), ups[1].count(), subnets)
	}
}
