package amf

import (
	"errors"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

func wantReject(t *testing.T, err error, what nas5g.MessageType, cause uint8) {
	t.Helper()
	var rej *errRejected
	if !errors.As(err, &rej) || rej.what != what || rej.cause != cause {
		t.Fatalf("got %v, want %s cause %d", err, what, cause)
	}
}

// A UE whose key differs fails the AUTN check (MAC failure, #20): the
// AMF answers Authentication Reject and releases it.
func TestWrongKeyAuthenticationReject(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newTestUE(t, newGNB(t, e.amf), 1, wrongK, 0)
	_, err := u.register()
	wantReject(t, err, nas5g.MsgAuthenticationReject, 0)
	must(t, u.expectRelease())
	waitMetric(t, e.amf, `corebox_amf_registrations_total{result="auth_rejected"}`, 1)
	waitMetric(t, e.amf, `corebox_amf_authentications_total{result="mac_failure"}`, 1)
	if v := scrape(t, e.amf)["corebox_amf_registered_ues"]; v != 0 {
		t.Errorf("registered UEs %v", v)
	}
}

// A UE that has seen a higher SQN answers synch failure (#21) with AUTS;
// the AMF asks the AUSF again with resynchronizationInfo and the second
// challenge passes.
func TestSQNResynchronisation(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, aka.NewSQN(5000, 0))
	_, err := u.register()
	must(t, err)
	m := scrape(t, e.amf)
	if m[`corebox_amf_authentications_total{result="resync"}`] != 1 || m[`corebox_amf_authentications_total{result="success"}`] != 1 {
		t.Errorf("authentications: resync %v success %v", m[`corebox_amf_authentications_total{result="resync"}`],
			m[`corebox_amf_authentications_total{result="success"}`])
	}
}

// A subscriber the UDM does not know: Registration Reject #7.
func TestUnknownSubscriber(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newTestUE(t, newGNB(t, e.amf), 42, testK, 0)
	_, err := u.register()
	wantReject(t, err, nas5g.MsgRegistrationReject, cause5GSServicesNotAllowed)
	must(t, u.expectRelease())
	waitMetric(t, e.amf, `corebox_amf_registrations_total{result="rejected"}`, 1)
}

// An uplink NAS message whose MAC does not verify is discarded and
// counted; the context is untouched, so the next good message works.
func TestMACFailureDiscarded(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	_, err := u.register()
	must(t, err)
	plain, err := (&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: []byte{0x2e, 1, 1, 0xd1}, PDUSessionID: 1}).Encode()
	must(t, err)
	pdu, err := u.sec.Protect(plain, nas5g.IntegrityProtectedAndCiphered)
	must(t, err)
	pdu[3] ^= 0xFF // corrupt the NAS-MAC
	u.sec.ULCount--
	must(t, u.sendULRaw(pdu))
	waitMetric(t, e.amf, "corebox_amf_nas_mac_failures_total", 1)
	if err := expectQuiet(u.in, 200*time.Millisecond); err != nil {
		t.Fatalf("AMF answered a forged message: %v", err)
	}
	// The same COUNT with a good MAC is taken: a session request for an
	// unknown DNN comes back rejected.
	_, err = u.establish(1, "nope")
	wantReject(t, err, nas5g.MsgPDUSessionEstablishmentReject, nas5g.SMCauseMissingOrUnknownDNN)
}

// A registration with a 5G-GUTI the AMF does not know triggers the
// identity procedure (SUCI), then the usual authentication.
func TestUnknownGUTIIdentityRequest(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	foreign := &nas5g.GUTI{PLMN: homePLMN, AMFRegionID: 9, AMFSetID: 9, AMFPointer: 1, TMSI: 0x1234}
	rr := &nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationInitial, NgKSI: nas5g.NoKey,
		Identity: nas5g.UEIdentity{GUTI: foreign}, SecurityCapability: &u.secCap}
	must(t, u.sendInitial(rr, false, nil))
	acc, err := u.completeRegistration()
	must(t, err)
	if acc.GUTI == nil || acc.GUTI.AMFRegionID != 1 {
		t.Errorf("accept %+v", acc)
	}
}

// A registered UE registering again with its 5G-GUTI, integrity
// protected, is accepted without a new authentication (mobility
// registration from CM-IDLE).
func TestGUTIRegistrationSkipsAuthentication(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	_, err := u.register()
	must(t, err)
	must(t, u.release())
	rr := &nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationMobility, NgKSI: nas5g.KSI{Value: 1},
		Identity: nas5g.UEIdentity{GUTI: u.guti}, SecurityCapability: &u.secCap}
	must(t, u.sendInitial(rr, true, nil))
	_, plain, mt, err := u.recvNAS()
	must(t, err)
	if mt != nas5g.MsgRegistrationAccept {
		t.Fatalf("got %s, want Registration Accept without authentication", mt)
	}
	_ = plain
	waitMetric(t, e.amf, `corebox_amf_authentications_total{result="success"}`, 1)
}

// Without an answer to the Authentication Request, T3560 retransmits it
// max_retransmissions times, then the AMF gives up and releases the UE.
func TestT3560Expiry(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 1, func(c *Config) {
		c.Timers.T3560, c.Timers.MaxRetransmissions = 50*time.Millisecond, 2
	})
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	rr := &nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationInitial, NgKSI: nas5g.NoKey,
		Identity: nas5g.UEIdentity{SUCI: u.suci()}, SecurityCapability: &u.secCap}
	must(t, u.sendInitial(rr, false, nil))
	for i := range 3 {
		_, _, mt, err := u.recvNAS()
		must(t, err)
		if mt != nas5g.MsgAuthenticationRequest {
			t.Fatalf("message %d: %s", i, mt)
		}
	}
	m, err := u.recv()
	must(t, err)
	if rc, ok := m.(*n2.UEContextReleaseCommand); !ok {
		t.Fatalf("got %T after the retransmissions", m)
	} else if rc.Cause != n2.CauseUnspecified {
		t.Errorf("release cause %v", rc.Cause)
	}
	waitMetric(t, e.amf, `corebox_amf_registrations_total{result="failed"}`, 1)
}
