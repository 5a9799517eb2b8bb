package gnb

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// moveSetup is a connected UE with session 5 set up toward the old UPF
// (127.0.0.1, TEID 0xABC); the new UPF listens on 127.0.0.2, same port.
type moveSetup struct {
	connected
	oldUPF, newUPF chan gpdu
	dl             n2.GTPTunnel // the gNB's downlink tunnel of session 5
}

func setUpMove(t *testing.T) moveSetup {
	t.Helper()
	old, oldPackets := startUPFOn(t, "127.0.0.1:0", 512)
	port := old.LocalAddr().Port()
	_, newPackets := startUPFOn(t, fmt.Sprintf("127.0.0.2:%d", port), 512)
	c := connect(t, func(cfg *Config) { cfg.GTPU.PeerPort = int(port) })
	tr := mustEncode(t, &n2.SetupRequestTransfer{SessionAMBR: nas5g.AMBR{Uplink: 1e8, Downlink: 1e8},
		ULTunnel: n2.GTPTunnel{Addr: old.LocalAddr().Addr(), TEID: 0xABC}, PDUSessionType: n2.SessionTypeIPv4,
		QoSFlows: []n2.QoSFlowRequest{{QFI: 9, FiveQI: 9, ARP: n2.ARP{Level: 8}}}})
	c.p.send(&n2.PDUSessionResourceSetupRequest{UEIDs: c.ids,
		Sessions: []n2.SessionSetupItem{{PDUSessionID: 5, SNSSAI: n2.SNSSAI{SST: 1}, Transfer: tr}}})
	c.ue.expect(radio.SessionReady)
	resp := expect[*n2.PDUSessionResourceSetupResponse](c.p)
	if len(resp.Sessions) != 1 {
		t.Fatalf("setup response %+v", resp)
	}
	st, err := n2.DecodeSetupResponseTransfer(resp.Sessions[0].Transfer)
	if err != nil {
		t.Fatal(err)
	}
	return moveSetup{connected: c, oldUPF: oldPackets, newUPF: newPackets, dl: st.DLTunnel}
}

var movedTunnel = n2.GTPTunnel{Addr: netip.MustParseAddr("127.0.0.2"), TEID: 0xDEAD}

// sendUplink sends packets numbered from..to-1 of session 5.
func (m moveSetup) sendUplink(from, to uint32) {
	for i := from; i < to; i++ {
		m.ue.send(radio.Message{Type: radio.UplinkData, UE: 5, Session: 5, Body: binary.BigEndian.AppendUint32(nil, i)})
	}
}

// TestModifyMovesUplink: a PDU Session Resource Modify Request with an UL
// NG-U UP TNL Modify moves session 5's uplink to the new UPF at one
// point: every G-PDU before it reaches the old UPF, every one after the
// new, none is lost or sent twice. The response echoes our downlink
// tunnel; an unknown session fails with unknown PDU session ID.
func TestModifyMovesUplink(t *testing.T) {
	nfkittest.NoLeaks(t)
	m := setUpMove(t)
	const before, racing, after = 50, 150, 200

	m.sendUplink(0, before)
	got := map[uint32]string{}
	collect := func(n int) {
		t.Helper()
		deadline := time.After(waitFor)
		for len(got) < n {
			select {
			case p := <-m.oldUPF:
				record(t, got, p, "old", 0xABC)
			case p := <-m.newUPF:
				record(t, got, p, "new", movedTunnel.TEID)
			case <-deadline:
				t.Fatalf("%d of %d uplink packets arrived", len(got), n)
			}
		}
	}
	collect(before)

	tr := mustEncode(t, &n2.ModifyRequestTransfer{ULTunnelModify: []n2.ULTunnelModifyItem{{UL: movedTunnel, DL: m.dl}}})
	nas := []byte{0x7e, 0x00, 0x68, 0x01} // a DL NAS Transport's start: relayed as is
	m.p.send(&n2.PDUSessionResourceModifyRequest{UEIDs: m.ids, Sessions: []n2.SessionModifyItem{
		{PDUSessionID: 5, NASPDU: nas, Transfer: tr}, {PDUSessionID: 7, NASPDU: []byte{0x7e, 0x00, 0x68, 0x07}, Transfer: tr}}})
	m.sendUplink(before, racing) // these race the move
	resp := expect[*n2.PDUSessionResourceModifyResponse](m.p)
	m.sendUplink(racing, after)
	collect(after)

	cut := uint32(after) // the first packet at the new UPF
	for i := uint32(0); i < after; i++ {
		if got[i] == "new" && i < cut {
			cut = i
		}
	}
	for i := uint32(0); i < after; i++ {
		if want := map[bool]string{true: "old", false: "new"}[i < cut]; got[i] != want {
			t.Errorf("packet %d went to the %s UPF, after packet %d went to the new one", i, got[i], cut)
		}
	}
	t.Logf("uplink moved at packet %d", cut)
	if cut < before || cut > racing {
		t.Errorf("the uplink moved at packet %d, not while the request was handled (%d..%d)", cut, before, racing)
	}

	if resp.UEIDs != m.ids || len(resp.Sessions) != 1 || resp.Sessions[0].PDUSessionID != 5 ||
		len(resp.Failed) != 1 || resp.Failed[0].PDUSessionID != 7 {
		t.Fatalf("modify response %+v", resp)
	}
	rt, err := n2.DecodeModifyResponseTransfer(resp.Sessions[0].Transfer)
	if err != nil || rt.DLTunnel == nil || *rt.DLTunnel != m.dl || rt.ULTunnel != nil {
		t.Errorf("modify response transfer %+v %v, want DL %+v", rt, err, m.dl)
	}
	ft, err := n2.DecodeModifyUnsuccessfulTransfer(resp.Failed[0].Transfer)
	if err != nil || ft.Cause != n2.CauseUnknownPDUSessionID {
		t.Errorf("unsuccessful transfer %+v %v", ft, err)
	}
	if msg := m.ue.expect(radio.DownlinkNAS); string(msg.Body) != string(nas) {
		t.Errorf("relayed NAS %x, want %x (only the modified session's)", msg.Body, nas)
	}

	reg := m.n.Ops().Registry()
	if gather(t, reg, "corebox_gnb_pdu_session_modifications_total", "result", "modified") != 1 ||
		gather(t, reg, "corebox_gnb_pdu_session_modifications_total", "result", "failed") != 1 {
		t.Error("modifications not counted")
	}
	if gather(t, reg, "corebox_gnb_uplink_packets_total") != after {
		t.Errorf("uplink packets %v, want %d", gather(t, reg, "corebox_gnb_uplink_packets_total"), after)
	}
	for _, r := range []string{dropNoSession, dropSendError, dropUnknownUE} {
		if v := gather(t, reg, "corebox_gnb_dropped_total", "reason", r); v != 0 {
			t.Errorf("dropped %s: %v", r, v)
		}
	}
}

func record(t *testing.T, got map[uint32]string, p gpdu, upf string, teid uint32) {
	t.Helper()
	if len(p.payload) != 4 || p.teid != teid || p.qfi != 9 || p.pduType != gtpu.PDUTypeUL {
		t.Fatalf("%s UPF got %+v", upf, p)
	}
	i := binary.BigEndian.Uint32(p.payload)
	if prev, dup := got[i]; dup {
		t.Fatalf("packet %d reached the %s UPF and the %s one", i, prev, upf)
	}
	got[i] = upf
}

// TestModifyRefusals: what the gNB cannot apply fails per session and
// leaves the uplink where it was.
func TestModifyRefusals(t *testing.T) {
	nfkittest.NoLeaks(t)
	m := setUpMove(t)
	wrongDL := m.dl
	wrongDL.TEID++
	for name, tc := range map[string]struct {
		transfer []byte
		cause    n2.Cause
	}{
		"other downlink tunnel": {mustEncode(t, &n2.ModifyRequestTransfer{
			ULTunnelModify: []n2.ULTunnelModifyItem{{UL: movedTunnel, DL: wrongDL}}}), n2.CauseSemanticError},
		"unspecified uplink address": {mustEncode(t, &n2.ModifyRequestTransfer{
			ULTunnelModify: []n2.ULTunnelModifyItem{{UL: n2.GTPTunnel{Addr: netip.IPv4Unspecified(), TEID: 1}, DL: m.dl}}}), n2.CauseSemanticError},
		"garbage transfer": {[]byte{0xff, 0xff, 0xff}, n2.CauseTransferSyntaxError},
	} {
		t.Run(name, func(t *testing.T) {
			m.p.send(&n2.PDUSessionResourceModifyRequest{UEIDs: m.ids, Sessions: []n2.SessionModifyItem{{PDUSessionID: 5, Transfer: tc.transfer}}})
			resp := expect[*n2.PDUSessionResourceModifyResponse](m.p)
			if len(resp.Sessions) != 0 || len(resp.Failed) != 1 {
				t.Fatalf("modify response %+v", resp)
			}
			ft, err := n2.DecodeModifyUnsuccessfulTransfer(resp.Failed[0].Transfer)
			if err != nil || ft.Cause != tc.cause {
				t.Fatalf("cause %+v %v, want %v", ft, err, tc.cause)
			}
			m.sendUplink(0, 1)
			select {
			case p := <-m.oldUPF:
				if p.teid != 0xABC {
					t.Errorf("old UPF got TEID %#x", p.teid)
				}
			case p := <-m.newUPF:
				t.Fatalf("uplink moved to the new UPF: %+v", p)
			case <-time.After(waitFor):
				t.Fatal("uplink packet lost")
			}
		})
	}
}
