package amf

import (
	"testing"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

func errorIndication(t *testing.T, g *testGNB) *n2.ErrorIndication {
	t.Helper()
	m, err := g.next(t)
	must(t, err)
	ei, ok := m.(*n2.ErrorIndication)
	if !ok {
		t.Fatalf("got %T, want Error Indication", m)
	}
	return ei
}

// Undecodable PDUs are counted and answered with Error Indication
// (transfer syntax error); the association stays up.
func TestMalformedNGAP(t *testing.T) {
	e := newEnv(t, 1, nil)
	g := newGNB(t, e.amf)
	for i, pdu := range [][]byte{{0x00}, {0x00, 0x0f, 0x40, 0xff, 0xff}, {0x20, 0x15, 0x00, 0x03, 0x00, 0x00}} {
		must(t, g.sendRaw(pdu))
		if ei := errorIndication(t, g); ei.Cause == nil || *ei.Cause != n2.CauseTransferSyntaxError {
			t.Errorf("pdu %d: cause %v", i, ei.Cause)
		}
	}
	waitMetric(t, e.amf, "corebox_amf_ngap_malformed_total", 3)
	// Still serving: a UE registers.
	_, err := newTestUE(t, g, 1, testK, 0).register()
	must(t, err)
}

// UE-associated messages naming no UE get Error Indication with the IDs
// and cause unknown-local-UE-NGAP-ID.
func TestUnknownUEIDs(t *testing.T) {
	e := newEnv(t, 0, nil)
	g := newGNB(t, e.amf)
	must(t, g.send(&n2.UplinkNASTransport{UEIDs: n2.UEIDs{AMFUENGAPID: 777, RANUENGAPID: 9}, NASPDU: []byte{0x7e, 0, 0x43},
		Location: g.location()}))
	ei := errorIndication(t, g)
	if ei.Cause == nil || *ei.Cause != n2.CauseUnknownLocalUENGAPID || ei.AMFUENGAPID == nil || *ei.AMFUENGAPID != 777 ||
		ei.RANUENGAPID == nil || *ei.RANUENGAPID != 9 {
		t.Errorf("error indication %+v", ei)
	}
	waitMetric(t, e.amf, "corebox_amf_ngap_unexpected_total", 1)
}

// Before NG Setup a gNB gets Error Indications, not service.
func TestNGAPBeforeSetup(t *testing.T) {
	e := newEnv(t, 1, nil)
	g := dialGNB(t, e.amf, 1)
	u := newTestUE(t, g, 1, testK, 0)
	must(t, u.sendInitial(&nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationInitial, NgKSI: nas5g.NoKey,
		Identity: nas5g.UEIdentity{SUCI: u.suci()}, SecurityCapability: &u.secCap}, false, nil))
	m, err := u.recv()
	must(t, err)
	if ei, ok := m.(*n2.ErrorIndication); !ok || ei.Cause == nil || *ei.Cause != n2.CauseSemanticError {
		t.Fatalf("got %T %+v, want Error Indication (semantic error)", m, m)
	}
}
