package enb

import (
	"errors"
	"testing"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// TestMalformedInput: garbage on the radio, S1-MME and S1-U is dropped
// and counted; S1AP garbage is answered with an Error Indication.
func TestMalformedInput(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	reg := c.n.Ops().Registry()
	c.ue.sendRaw([]byte{1, 2, 3})
	c.ue.send(radio.Message{Type: radio.DownlinkNAS, UE: 5, Body: []byte{1}})   // wrong direction
	c.ue.send(radio.Message{Type: radio.Connect, UE: 9, Body: []byte{0, 7, 1}}) // S-TMSI prefix cut short
	nfkittest.Eventually(t, waitFor, "malformed radio counted", func() bool {
		return gather(t, reg, "corebox_enb_malformed_total", "source", "radio") == 3
	})
	c.p.sendRaw([]byte{0x00, 0x0b, 0x40, 0xff, 0xff})
	ei := expect[*s1ap.ErrorIndication](c.p)
	if ei.Cause == nil || *ei.Cause != s1ap.CauseTransferSyntaxError {
		t.Errorf("error indication %+v", ei)
	}
	if gather(t, reg, "corebox_enb_malformed_total", "source", "s1ap") != 1 ||
		gather(t, reg, "corebox_enb_error_indications_total", "direction", "tx", "protocol", "s1ap") != 1 {
		t.Error("malformed s1ap or the error indication not counted")
	}
	c.sgw.sendRaw(c.n.S1UAddr(), []byte{0x30, 0xff, 0x00, 0x10, 0, 0, 0, 1})
	nfkittest.Eventually(t, waitFor, "malformed gtp-u counted", func() bool {
		return gather(t, reg, "corebox_enb_gtpu_malformed_total") == 1
	})
	// A well-formed S1AP message without a handler is neither malformed
	// nor answered: the next message is the answer to a NAS transport.
	c.p.sendRaw(unsupportedS1AP(t))
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52}})
	c.ue.expect(radio.DownlinkNAS)
	c.ue.send(radio.Message{Type: radio.UplinkNAS, UE: 5, Body: []byte{7, 0x53}})
	expect[*s1ap.UplinkNASTransport](c.p)
	if gather(t, reg, "corebox_enb_malformed_total", "source", "s1ap") != 1 {
		t.Error("unsupported message counted as malformed")
	}
}

// TestErrorIndicationFromMME: counted; one saying the MME does not know
// the UE releases it here.
func TestErrorIndicationFromMME(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52}})
	c.ue.expect(radio.DownlinkNAS)
	enb := c.ids.ENBUES1APID
	c.p.send(&s1ap.ErrorIndication{ENBUES1APID: &enb, Cause: &s1ap.CauseSemanticError})
	c.p.send(&s1ap.ErrorIndication{ENBUES1APID: &enb, Cause: &s1ap.CauseUnknownENBUES1APID})
	c.ue.expect(radio.Release)
	if got := gather(t, c.n.Ops().Registry(), "corebox_enb_error_indications_total", "direction", "rx", "protocol", "s1ap"); got != 2 {
		t.Errorf("error indications counted: %v", got)
	}
	if c.n.ConnectedUEs() != 0 {
		t.Error("UE unknown to the MME still held")
	}
}

// TestGTPUErrorIndication: the SGW does not know our uplink TEID, so the
// E-RAB loses its user plane here too.
func TestGTPUErrorIndication(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.ics(t)
	ei, err := gtpu.AppendErrorIndication(nil, 1, gtpu.ErrorIndication{TEID: 0xABC, PeerAddr: c.sgw.addr().Addr()})
	if err != nil {
		t.Fatal(err)
	}
	c.sgw.sendRaw(c.n.S1UAddr(), ei)
	reg := c.n.Ops().Registry()
	nfkittest.Eventually(t, waitFor, "e-rab dropped", func() bool { return gather(t, reg, "corebox_enb_erabs") == 0 })
	if gather(t, reg, "corebox_enb_error_indications_total", "direction", "rx", "protocol", "gtpu") != 1 {
		t.Error("gtp-u error indication not counted")
	}
}

// TestMMELossRedial: when the association goes, its UEs are told they are
// released, and the eNB associates and runs S1 Setup again.
func TestMMELossRedial(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.ics(t)
	if err := c.p.conn.Close(); err != nil {
		t.Fatal(err)
	}
	c.ue.expect(radio.Release)
	nfkittest.Eventually(t, waitFor, "contexts dropped", func() bool { return c.n.ConnectedUEs() == 0 && c.n.ERABs() == 0 })
	nfkittest.Eventually(t, waitFor, "not ready without an MME", func() bool { ok, _ := c.n.Ready(); return !ok })
	req := c.p.setUp()
	if req.GlobalENBID.ID != 0x42 {
		t.Errorf("second S1 Setup Request %+v", req)
	}
	nfkittest.Eventually(t, waitFor, "ready again", func() bool { ok, _ := c.n.Ready(); return ok })
	// The new association carries UEs again.
	c.ue.send(radio.Message{Type: radio.Connect, UE: 5, Body: attachRequestPDU(t, 1)})
	expect[*s1ap.InitialUEMessage](c.p)
}

// TestMMESelection: with two MMEs, a UE giving an S-TMSI goes to the MME
// serving its MME code; new UEs are spread over both.
func TestMMESelection(t *testing.T) {
	nfkittest.NoLeaks(t)
	a, b := newFakeMME(t), newFakeMME(t)
	cfg := testConfig(a.addr())
	cfg.MME = AddrList{a.addr(), b.addr()}
	n := startENB(t, cfg)
	a.setUpAs(1)
	b.setUpAs(2)
	nfkittest.Eventually(t, waitFor, "both MMEs up", func() bool { return n.mmesUp() == 2 })
	u := newFakeUE(t, n)
	for id := uint32(1); id <= 4; id++ {
		u.send(radio.Message{Type: radio.Connect, UE: id, Body: withSTMSI(s1ap.STMSI{MMEC: 2, MTMSI: id}, serviceRequestPDU(t))})
		if m := expect[*s1ap.InitialUEMessage](b); m.STMSI == nil || m.STMSI.MTMSI != id {
			t.Errorf("service request %d reached b as %+v", id, m)
		}
	}
	for id := uint32(5); id <= 6; id++ {
		u.send(radio.Message{Type: radio.Connect, UE: id, Body: attachRequestPDU(t, 1)})
	}
	expect[*s1ap.InitialUEMessage](a)
	expect[*s1ap.InitialUEMessage](b)
	if got := gather(t, n.Ops().Registry(), "corebox_enb_mme_associations"); got != 2 {
		t.Errorf("mme_associations = %v", got)
	}
}

// TestDrain: a draining eNB refuses new UEs and reports the ones it holds.
func TestDrain(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52}})
	c.ue.expect(radio.DownlinkNAS)
	c.n.Ops().StartDrain()
	if s := c.n.Ops().DrainStatus(); !s.Draining || s.Remaining != 1 {
		t.Errorf("drain status %+v", s)
	}
	c.ue.send(radio.Message{Type: radio.Connect, UE: 9, Body: attachRequestPDU(t, 1)})
	if m := c.ue.expect(radio.Release); m.UE != 9 {
		t.Errorf("release for UE %d", m.UE)
	}
	c.ue.send(radio.Message{Type: radio.Inactive, UE: 5})
	expect[*s1ap.UEContextReleaseRequest](c.p)
	c.p.send(&s1ap.UEContextReleaseCommand{UEIDs: c.ids, Cause: s1ap.CauseUserInactivity})
	c.ue.expect(radio.Release)
	nfkittest.Eventually(t, waitFor, "drained", func() bool { return c.n.Ops().DrainStatus().Drained() })
}

// TestUETableFull: Connects beyond max_ues are released at once.
func TestUETableFull(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t, func(cfg *Config) { cfg.MaxUEs = 1 })
	c.ue.send(radio.Message{Type: radio.Connect, UE: 6, Body: attachRequestPDU(t, 1)})
	if m := c.ue.expect(radio.Release); m.UE != 6 {
		t.Errorf("release for UE %d", m.UE)
	}
	if gather(t, c.n.Ops().Registry(), "corebox_enb_dropped_total", "reason", dropFull) != 1 {
		t.Error("refused connect not counted")
	}
}

// unsupportedS1AP is a well-formed Reset (procedure 14) without IEs, a
// message the s1ap package has no typed view of.
func unsupportedS1AP(t testing.TB) []byte {
	t.Helper()
	b := []byte{0x00, 0x0e, 0x00, 0x03, 0x00, 0x00, 0x00}
	if _, err := s1ap.Decode(b); !errors.Is(err, s1ap.ErrUnsupported) {
		t.Fatalf("hand-made Reset decodes with %v", err)
	}
	return b
}
