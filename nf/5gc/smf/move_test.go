package smf

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// startMovableUPF is a real UPF registered with the NRF whose N4 and N3
// share one loopback address (N3 on the GTP-U port, as a gNB assumes).
func startMovableUPF(t testing.TB, nrfURI, pool string) *upf.NF {
	t.Helper()
	var n *upf.NF
	var err error
	for range 5 { // a random loopback address whose ports are free
		addr := randomLoopback()
		cfg := upf.DefaultConfig()
		cfg.Ops.Listen = "127.0.0.1:0"
		cfg.PFCP.Listen = netip.AddrPortFrom(addr, pfcp.Port).String()
		cfg.GTPU.Listen = netip.AddrPortFrom(addr, gtpuPort).String()
		cfg.N6.Mode = upf.N6ModeMemory
		cfg.UEPools = []upf.UEPool{{CIDR: pool, DNN: testDNN}}
		cfg.NRF.URI = nrfURI
		cfg.NRF.InstanceID = nrfc.InstanceIDFor("upf-" + addr.String())
		if n, err = upf.New(cfg, nfkit.WithLogger(nfkittest.Quiet())); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, wait, "upf registered", func() bool { ok, _ := n.Ready(); return ok })
	return n
}

// TestMoveOffDrainingUPF: a UPF starts draining (SUSPENDED in the NRF);
// after move_after its sessions move to the other UPF, the active one with
// PDU Session Resource Modify toward the gNB, the idle one silently. Both
// keep their UE address, packets flow through the new UPF, and the old
// one empties after the hold.
func TestMoveOffDrainingUPF(t *testing.T) {
	nrfURI := startNRF(t)
	a := startMovableUPF(t, nrfURI, "10.45.8.0/22")
	gnb := startGNB(t)
	e := startEnv(t, envOpts{noUPF: true, stubUDM: stubUDM(testDNN), noPCF: true, mod: func(c *Config) {
		c.NRF.URI = nrfURI
		c.NRF.InstanceID = nrfc.InstanceIDFor("smf-move-test")
		c.UPFDrain = UPFDrainConfig{MoveAfter: 200 * time.Millisecond, Hold: 100 * time.Millisecond, Parallel: 2, Timeout: wait}
	}})
	nfkittest.Eventually(t, wait, "smf ready", func() bool { ok, _ := e.smf.Ready(); return ok })
	active := e.establish(t, testSUPI, 1)
	e.update(t, active.ref, setupResponse(t, gnb.tunnel()))
	idle := e.establish(t, testSUPI, 2)
	e.update(t, idle.ref, upCnx(models.Smf_PDUSess_UpCnxState_DEACTIVATED))
	if a.Sessions() != 2 {
		t.Fatalf("UPF a holds %d sessions, want 2", a.Sessions())
	}

	b := startMovableUPF(t, nrfURI, "10.45.12.0/22")
	bAddr := b.Addrs().GTPU.Addr()
	nfkittest.Eventually(t, wait, "UPF b associated", func() bool {
		u := e.smf.upfs.get(b.Addrs().PFCP)
		return u != nil && u.associated.Load()
	})
	a.Ops().StartDrain()

	// The active session: the SMF asks the gNB to take b's tunnel.
	m := e.amf.next(t)
	if m.NgapIEType() != models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ || m.SessionID() != 1 || len(m.N1) != 0 {
		t.Fatalf("transfer: NGAP %q, session %d, N1 %d octets", m.NgapIEType(), m.SessionID(), len(m.N1))
	}
	mod, err := n2.DecodeModifyRequestTransfer(m.N2)
	if err != nil || len(mod.ULTunnelModify) != 1 {
		t.Fatalf("modify request transfer %+v: %v", mod, err)
	}
	newUL := mod.ULTunnelModify[0].UL
	if newUL.Addr != bAddr || mod.ULTunnelModify[0].DL != gnb.tunnel() {
		t.Fatalf("modify: UL %v DL %v, want UL on %v and the gNB's %v", newUL, mod.ULTunnelModify[0].DL, bAddr, gnb.tunnel())
	}
	rsp, err := (&n2.ModifyResponseTransfer{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	e.update(t, active.ref, &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP}, N2SM: rsp})

	nfkittest.Eventually(t, wait, "both sessions on b, none left on a", func() bool {
		return b.Sessions() == 2 && a.Sessions() == 0
	})
	if got := metric(t, e.smf, "corebox_smf_session_moves_total", "result", "moved"); got != 2 {
		t.Errorf("moves %v, want 2", got)
	}
	if d := a.Ops().DrainStatus(); !d.Drained() {
		t.Errorf("a's drain status %+v, want drained", d)
	}

	// Same UE address, uplink and downlink through b.
	ue := active.accept.Address
	up := ipv4UDP(ue, dnAddr, 100)
	if err := gnb.ep.Send(netip.AddrPortFrom(bAddr, gtpuPort), newUL.TEID, defaultQFI, up); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, b.MemoryN6().Uplink(), "uplink on b's N6"); !bytes.Equal(got, up) {
		t.Fatalf("b's N6 got %x, want %x", got, up)
	}
	down := ipv4UDP(dnAddr, ue, 120)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := b.MemoryN6().Inject(ctx, down); err != nil {
		t.Fatal(err)
	}
	if g := recv(t, gnb.rx, "downlink from b"); g.teid != gnbTEID || !bytes.Equal(g.payload, down) {
		t.Fatalf("gNB got TEID %#x %x", g.teid, g.payload)
	}

	// The idle one comes back: its setup names b's tunnel.
	res := e.update(t, idle.ref, upCnx(models.Smf_PDUSess_UpCnxState_ACTIVATING))
	if res.Updated == nil {
		t.Fatalf("service request: %d, no update body", res.Status)
	}
	setup, err := n2.DecodeSetupRequestTransfer(res.Updated.N2SM)
	if err != nil || setup.ULTunnel.Addr != bAddr {
		t.Fatalf("service request setup %+v %v, want UL on %v", setup, err, bAddr)
	}
	e.release(t, active.ref)
	e.release(t, idle.ref)
	nfkittest.Eventually(t, wait, "b empty after release", func() bool { return b.Sessions() == 0 })
}

// TestMoveRefusedByGNBKeepsOldUPF: the gNB answers PDU_RES_MOD_FAIL; the
// session stays on the old UPF and the new UPF's session goes.
func TestMoveRefusedByGNBKeepsOldUPF(t *testing.T) {
	nrfURI := startNRF(t)
	a := startMovableUPF(t, nrfURI, "10.45.8.0/22")
	gnb := startGNB(t)
	e := startEnv(t, envOpts{noUPF: true, stubUDM: stubUDM(testDNN), noPCF: true, mod: func(c *Config) {
		c.NRF.URI = nrfURI
		c.NRF.InstanceID = nrfc.InstanceIDFor("smf-move-refused")
		c.UPFDrain = UPFDrainConfig{MoveAfter: time.Hour, Hold: time.Millisecond, Parallel: 1, Timeout: wait}
	}})
	nfkittest.Eventually(t, wait, "smf ready", func() bool { ok, _ := e.smf.Ready(); return ok })
	s := e.establish(t, testSUPI, 1)
	e.update(t, s.ref, setupResponse(t, gnb.tunnel()))
	b := startMovableUPF(t, nrfURI, "10.45.12.0/22")
	nfkittest.Eventually(t, wait, "UPF b associated", func() bool {
		u := e.smf.upfs.get(b.Addrs().PFCP)
		return u != nil && u.associated.Load()
	})
	c := e.smf.store.get(s.ref)
	done := make(chan error, 1)
	go func() { done <- e.smf.moveSession(context.Background(), c, c.upf) }()
	m := e.amf.next(t)
	if m.NgapIEType() != models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ {
		t.Fatalf("transfer NGAP %q", m.NgapIEType())
	}
	nfkittest.Eventually(t, wait, "b holds the new session", func() bool { return b.Sessions() == 1 })
	fail, err := (&n2.ModifyUnsuccessfulTransfer{Cause: n2.CauseNormalRelease}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	e.update(t, s.ref, &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_FAIL}, N2SM: fail})
	if err := recv(t, done, "move result"); err == nil || moveResult(err) != "ran_failed" {
		t.Fatalf("move: %v, want ran_failed", err)
	}
	nfkittest.Eventually(t, wait, "b's session removed", func() bool { return b.Sessions() == 0 })
	if a.Sessions() != 1 || c.upf.addr != a.Addrs().PFCP {
		t.Errorf("session on %v, a holds %d", c.upf.key, a.Sessions())
	}
}
