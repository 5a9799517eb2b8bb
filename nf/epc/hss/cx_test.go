package hss_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

const (
	imsRealm = "ims.mnc001.mcc001.3gppnetwork.org"
	impi     = imsi + "@" + imsRealm
	impu     = "sip:" + impi
	telURI   = "tel:+" + msisdn
	icscf    = "icscf.ims.mnc001.mcc001.3gppnetwork.org"
	scscf1   = "sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org:6060"
	scscf2   = "sip:scscf2.ims.mnc001.mcc001.3gppnetwork.org:6060"
)

// cscf is a Diameter client on Cx standing for an I-CSCF or S-CSCF.
type cscf struct{ *mme }

func newCSCF(t testing.TB, h *hss.HSS) cscf {
	t.Helper()
	c, err := diameter.NewClient(diameter.PeerConfig{OriginHost: icscf, OriginRealm: realm,
		Applications: []uint32{diameter.AppCx}}, h.DiameterAddr().String(), diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("cscf: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if _, err := c.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return cscf{&mme{host: icscf, c: c}}
}

func (c cscf) uar(t *testing.T, user, pub string, typ uint32) *diameter.UAA {
	t.Helper()
	a, err := diameter.ParseUAA(c.send(t, &diameter.UAR{RequestHeader: c.header(), UserName: user, PublicIdentity: pub,
		VisitedNetwork: imsRealm, AuthorizationType: typ}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (c cscf) mar(t *testing.T, user, pub, scheme string, n uint32, rs *diameter.Resync) *diameter.MAA {
	t.Helper()
	a, err := diameter.ParseMAA(c.send(t, &diameter.MAR{RequestHeader: c.header(), UserName: user, PublicIdentity: pub,
		ServerName: scscf1, Scheme: scheme, Items: n, Resync: rs}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (c cscf) sar(t *testing.T, server string, typ uint32, pubs ...string) *diameter.SAA {
	t.Helper()
	a, err := diameter.ParseSAA(c.send(t, &diameter.SAR{RequestHeader: c.header(), UserName: impi, PublicIdentities: pubs,
		ServerName: server, AssignmentType: typ}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (c cscf) lir(t *testing.T, pub string) *diameter.LIA {
	t.Helper()
	a, err := diameter.ParseLIA(c.send(t, &diameter.LIR{RequestHeader: c.header(), PublicIdentity: pub}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var caps = []string{scscf1, scscf2}

func cxSetup(t *testing.T, mod func(*hss.Config)) (env, cscf) {
	e := setup(t, func(c *hss.Config) {
		c.Cx.ServerNames = caps
		c.Cx.MandatoryCapabilities = []uint32{1}
		if mod != nil {
			mod(c)
		}
	})
	return e, newCSCF(t, e.hss)
}

// isim checks an IMS AKA vector as the UE's ISIM does (TS 33.203 6.1,
// TS 33.102 6.3.3): MAC-A verifies, RES is XRES, CK and IK match; it
// returns the SQN the vector carries.
func isim(t *testing.T, it diameter.AKAItem) aka.SQN {
	t.Helper()
	m, err := aka.NewMilenage(unhex(t, testK), unhex(t, testOPc))
	if err != nil {
		t.Fatal(err)
	}
	res, ck, ik, ak := m.F2345(aka.RAND(it.RAND))
	autn := aka.AUTN(it.AUTN)
	c := autn.ConcealedSQN()
	for i := range c {
		c[i] ^= ak[i]
	}
	sqn := aka.SQNFromBytes(c)
	if m.F1(aka.RAND(it.RAND), sqn, autn.AMF()) != autn.MAC() {
		t.Fatal("MAC-A does not verify")
	}
	if !bytes.Equal(res[:], it.XRES) || ck != it.CK || ik != it.IK {
		t.Errorf("RES/CK/IK differ from XRES/CK/IK")
	}
	return sqn
}

// TestCxRegistration walks an IMS registration: UAR, MAR, SAR, LIR, a
// second UAR, deregistration, LIR again.
func TestCxRegistration(t *testing.T) {
	nfkittest.NoLeaks(t)
	e, c := cxSetup(t, nil)

	uaa := c.uar(t, impi, impu, diameter.AuthTypeRegistration)
	if uaa.Result != diameter.Experimental(diameter.ExpFirstRegistration) || uaa.ServerName != "" ||
		uaa.Capabilities == nil || !slices.Equal(uaa.Capabilities.ServerNames, caps) ||
		!slices.Equal(uaa.Capabilities.Mandatory, []uint32{1}) {
		t.Fatalf("first UAA %+v", uaa)
	}

	// EPS and IMS share one SQN sequence: an AIR first takes SQN 2.
	m := newMME(t, e.hss, mme1)
	if v := m.air(t, imsi, 1, nil).Vectors[0]; vectorSQN(t, v) != aka.NewSQN(2, 0) {
		t.Fatalf("AIR SQN %v", vectorSQN(t, v))
	}
	maa := c.mar(t, impi, impu, diameter.SchemeDigestAKAv1MD5, 1, nil)
	if !maa.Result.OK() || len(maa.Items) != 1 || maa.PublicIdentity != impu || maa.UserName != impi {
		t.Fatalf("MAA %+v", maa)
	}
	it := maa.Items[0]
	if sqn := isim(t, it); sqn != aka.NewSQN(3, 0) || storedSQN(t, e) != sqn {
		t.Errorf("MAR SQN %v, stored %v; want 3 after the AIR's 2", sqn, storedSQN(t, e))
	}
	if aka.AUTN(it.AUTN).AMF().SeparationBit() {
		t.Error("IMS vector has the EPS separation bit set")
	}
	// nf/aka's USIM is the EPS/5G side: it refuses a vector without the
	// separation bit, as an E-UTRAN UE must.
	if _, err := newUSIM(t, aka.NewSQN(1, 0)).AuthenticateEPS(aka.RAND(it.RAND), aka.AUTN(it.AUTN), "001", "01"); !errors.Is(err, aka.ErrNon5GAuth) {
		t.Errorf("USIM on an IMS vector: %v, want ErrNon5GAuth", err)
	}
	if reg, ok := e.hss.IMSRegistration(imsi); !ok || reg.State != hss.IMSNotRegistered || reg.ServerName != scscf1 {
		t.Errorf("after MAR: %+v %v, want S-CSCF pending", reg, ok)
	}
	if uaa := c.uar(t, impi, impu, diameter.AuthTypeRegistration); uaa.Result != diameter.Experimental(diameter.ExpFirstRegistration) ||
		uaa.ServerName != scscf1 || uaa.Capabilities != nil {
		t.Errorf("UAA while authentication is pending %+v", uaa)
	}

	saa := c.sar(t, scscf1, diameter.AssignRegistration, impu)
	if saa.Result != diameter.Success || saa.UserData == nil {
		t.Fatalf("SAA %+v", saa)
	}
	ud, err := diameter.ParseUserData(saa.UserData)
	if err != nil || ud.PrivateID != impi || !slices.Equal(ud.Identities(), []string{impu, telURI}) {
		t.Errorf("User-Data %+v %v", ud, err)
	}
	for _, pub := range []string{impu, telURI} {
		if lia := c.lir(t, pub); lia.Result != diameter.Success || lia.ServerName != scscf1 {
			t.Errorf("LIA for %s: %+v", pub, lia)
		}
	}
	if uaa := c.uar(t, impi, impu, diameter.AuthTypeRegistration); uaa.Result != diameter.Experimental(diameter.ExpSubsequentRegistration) ||
		uaa.ServerName != scscf1 {
		t.Errorf("UAA when registered %+v", uaa)
	}
	if !metric(t, e.hss, "corebox_hss_ims_registrations 1") {
		t.Error("registration not in the gauge")
	}

	// A stale S-CSCF deregistering changes nothing; the serving one does.
	if saa := c.sar(t, scscf2, diameter.AssignUserDeregistration, impu); saa.Result != diameter.Success || saa.UserData != nil {
		t.Errorf("SAA stale dereg %+v", saa)
	}
	if reg, _ := e.hss.IMSRegistration(imsi); reg.State != hss.IMSRegistered {
		t.Errorf("a stale S-CSCF deregistered the user: %+v", reg)
	}
	if saa := c.sar(t, scscf1, diameter.AssignUserDeregistration, impu); saa.Result != diameter.Success {
		t.Errorf("SAA dereg %+v", saa)
	}
	if lia := c.lir(t, impu); lia.Result != diameter.Experimental(diameter.ExpErrorIdentityNotRegistered) || lia.ServerName != "" {
		t.Errorf("LIA after deregistration %+v", lia)
	}
	if uaa := c.uar(t, impi, impu, diameter.AuthTypeDeregistration); uaa.Result != diameter.Experimental(diameter.ExpErrorIdentityNotRegistered) {
		t.Errorf("UAR de-registration when not registered: %+v", uaa)
	}
	if _, ok := e.hss.IMSRegistration(imsi); ok {
		t.Error("registration kept after deregistration")
	}
	for _, line := range []string{
		`corebox_hss_diameter_requests_total{command="UAR",result="exp-2001"} 2`,
		`corebox_hss_diameter_requests_total{command="UAR",result="exp-2002"} 1`,
		`corebox_hss_diameter_requests_total{command="MAR",result="2001"} 1`,
		`corebox_hss_diameter_requests_total{command="SAR",result="2001"} 3`,
		`corebox_hss_diameter_requests_total{command="LIR",result="exp-5003"} 1`,
		"corebox_hss_ims_auth_vectors_total 1",
		"corebox_hss_ims_registrations 0",
	} {
		if !metric(t, e.hss, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

// TestCxMARResync: a UE ahead of the HSS reports a synchronisation
// failure; SIP-Authorization = RAND || AUTS in the next MAR moves the
// shared SQN past the UE's.
func TestCxMARResync(t *testing.T) {
	e, c := cxSetup(t, nil)
	usim := newUSIM(t, aka.NewSQN(500, 0))
	it := c.mar(t, impi, impu, diameter.SchemeUnknown, 1, nil).Items[0]
	_, err := usim.AuthenticateEPS(aka.RAND(it.RAND), aka.AUTN(it.AUTN), "001", "01")
	var sf *aka.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("UE ahead: %v, want a synch failure", err)
	}
	maa := c.mar(t, impi, impu, diameter.SchemeDigestAKAv1MD5, 2, &diameter.Resync{RAND: it.RAND, AUTS: sf.AUTS})
	if !maa.Result.OK() || len(maa.Items) != 2 {
		t.Fatalf("resync MAA %+v", maa)
	}
	for i, it := range maa.Items {
		if got, want := isim(t, it), aka.NewSQN(uint64(501+i), 0); got != want {
			t.Errorf("item %d SQN %v, want %v", i, got, want)
		}
	}
	if storedSQN(t, e) != aka.NewSQN(502, 0) {
		t.Errorf("stored SQN %v", storedSQN(t, e))
	}
	// The S6a side goes on from there.
	if v := newMME(t, e.hss, mme1).air(t, imsi, 1, nil).Vectors[0]; vectorSQN(t, v) != aka.NewSQN(503, 0) {
		t.Errorf("AIR after an IMS resync: SQN %v", vectorSQN(t, v))
	}
	if !metric(t, e.hss, `corebox_hss_resyncs_total{result="ok"} 1`) {
		t.Error("resync not counted")
	}
}

// TestCxIdentityErrors: unknown identities, identities of two
// subscribers, a scheme the HSS does not offer.
func TestCxIdentityErrors(t *testing.T) {
	e, c := cxSetup(t, nil)
	const other = "001010000000002"
	udrtest.Provision(t, e.udr, udr.Provision{IMSI: other, K: testK, OPc: testOPc, MSISDN: "33699999999",
		DNNs: []udr.DNN{{DNN: "ims", SST: 1, Default: true}}})
	otherIMPU := "sip:" + other + "@" + imsRealm
	unknownIMPU := "sip:001010000009999@" + imsRealm
	unknown := diameter.Experimental(diameter.ExpErrorUserUnknown)
	mismatch := diameter.Experimental(diameter.ExpErrorIdentitiesDontMatch)
	tests := []struct {
		name      string
		user, pub string
		want      diameter.Result
	}{
		{"unknown IMPU", "001010000009999@" + imsRealm, unknownIMPU, unknown},
		{"IMPU of another domain", impi, "sip:" + imsi + "@ims.example.org", unknown},
		{"IMPI of another domain", imsi + "@ims.example.org", impu, unknown},
		{"IMPU of another subscriber", impi, otherIMPU, mismatch},
		{"tel URI of another subscriber", impi, "tel:+33699999999", mismatch},
		{"tel URI of nobody", impi, "tel:+33600000000", unknown},
		{"own tel URI", impi, telURI, diameter.Experimental(diameter.ExpFirstRegistration)},
	}
	// The other subscriber's MSISDN is learnt once the HSS has read it.
	if uaa := c.uar(t, other+"@"+imsRealm, otherIMPU, diameter.AuthTypeRegistration); !uaa.Result.OK() {
		t.Fatalf("UAR of the other subscriber: %+v", uaa)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if uaa := c.uar(t, tt.user, tt.pub, diameter.AuthTypeRegistration); uaa.Result != tt.want {
				t.Errorf("UAR: %v, want %v", uaa.Result, tt.want)
			}
		})
	}
	if maa := c.mar(t, impi, unknownIMPU, diameter.SchemeDigestAKAv1MD5, 1, nil); maa.Result != unknown || len(maa.Items) != 0 {
		t.Errorf("MAR unknown: %+v", maa)
	}
	if maa := c.mar(t, impi, impu, "SIP Digest", 1, nil); maa.Result != diameter.Experimental(diameter.ExpErrorAuthSchemeNotSupported) {
		t.Errorf("MAR SIP Digest: %+v", maa)
	}
	if lia := c.lir(t, unknownIMPU); lia.Result != unknown {
		t.Errorf("LIR unknown: %+v", lia)
	}
	if saa := c.sar(t, scscf1, diameter.AssignPGWUpdate, impu); saa.Result != diameter.Experimental(diameter.ExpErrorInAssignmentType) {
		t.Errorf("SAR PGW_UPDATE: %+v", saa)
	}
	if storedSQN(t, e) != aka.NewSQN(1, 0) {
		t.Errorf("refused MARs moved the SQN to %v", storedSQN(t, e))
	}
}

// TestCxUnregisteredServices: with services in the unregistered state a
// LIR for a user not registered gets the capabilities to assign an
// S-CSCF; SAR UNREGISTERED_USER then makes LIR name it.
func TestCxUnregisteredServices(t *testing.T) {
	e, c := cxSetup(t, func(cfg *hss.Config) { cfg.Cx.UnregisteredServices = true })
	lia := c.lir(t, telURI) // the tel URI is not known before the subscriber is read
	if lia.Result != diameter.Experimental(diameter.ExpErrorUserUnknown) {
		t.Errorf("LIR for an unread tel URI: %+v", lia)
	}
	lia = c.lir(t, impu)
	if lia.Result != diameter.Experimental(diameter.ExpUnregisteredService) || lia.Capabilities == nil ||
		!slices.Equal(lia.Capabilities.ServerNames, caps) {
		t.Fatalf("LIA %+v", lia)
	}
	if saa := c.sar(t, scscf2, diameter.AssignUnregisteredUser, telURI); saa.Result != diameter.Success || saa.UserData == nil {
		t.Fatalf("SAA %+v", saa)
	}
	if lia := c.lir(t, telURI); lia.Result != diameter.Success || lia.ServerName != scscf2 {
		t.Errorf("LIA after UNREGISTERED_USER %+v", lia)
	}
	if reg, _ := e.hss.IMSRegistration(imsi); reg.State != hss.IMSUnregistered {
		t.Errorf("state %+v", reg)
	}
	if uaa := c.uar(t, impi, impu, diameter.AuthTypeRegistration); uaa.Result != diameter.Experimental(diameter.ExpSubsequentRegistration) ||
		uaa.ServerName != scscf2 {
		t.Errorf("UAA while unregistered %+v", uaa)
	}
}

// TestCxNotServed: an HSS configured for S6a only refuses Cx requests
// (DIAMETER_APPLICATION_UNSUPPORTED).
func TestCxNotServed(t *testing.T) {
	e := setup(t, func(c *hss.Config) { c.Diameter.Applications = []uint32{diameter.AppS6a} })
	c, err := diameter.NewClient(diameter.PeerConfig{OriginHost: icscf, OriginRealm: realm,
		Applications: []uint32{diameter.AppS6a, diameter.AppCx}}, e.hss.DiameterAddr().String(), diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	a := cscf{&mme{host: icscf, c: c}}.lir(t, impu)
	if a.Result != (diameter.Result{Code: diameter.ResultApplicationUnsupported}) {
		t.Errorf("LIR to an S6a-only HSS: %+v", a)
	}
}
