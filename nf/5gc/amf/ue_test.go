package amf

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// testUE is a UE driven through a testGNB, built from nas5g and aka.
type testUE struct {
	g      *testGNB
	i      int
	supi   string
	usim   *aka.USIM
	secCap nas5g.UESecurityCapability
	slices []nas5g.SNSSAI

	ranID uint32
	amfID uint64
	in    chan n2.Message
	sec   *nas5g.SecurityContext
	kamf  aka.Key256
	guti  *nas5g.GUTI
	kgnb  [32]byte

	allowedNSSAI []nas5g.SNSSAI // of the last Registration Accept
}

// errRejected is a Registration/Service/Authentication Reject the UE got.
type errRejected struct {
	what  nas5g.MessageType
	cause uint8
}

func (e *errRejected) Error() string { return fmt.Sprintf("%s, cause %d", e.what, e.cause) }

func newTestUE(t testing.TB, g *testGNB, i int, k string, highest aka.SQN) *testUE {
	t.Helper()
	u, err := aka.NewUSIM(aka.USIMConfig{K: unhex(t, k), OPc: unhex(t, testOPc), SUPI: "imsi-" + imsi(i), HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	return &testUE{g: g, i: i, supi: "imsi-" + imsi(i), usim: u, secCap: nas5g.UESecurityCapability{EA: 0xF0, IA: 0x70},
		slices: []nas5g.SNSSAI{sliceSD}}
}

// connect starts a new UE-associated connection.
func (u *testUE) connect() {
	if u.in != nil {
		u.g.detach(u.ranID)
	}
	u.ranID, u.in = u.g.attach()
	u.amfID = 0
}

func (u *testUE) recv() (n2.Message, error) {
	select {
	case m := <-u.in:
		if ids, ok := ueIDs2(m); ok {
			u.amfID = ids.AMFUENGAPID
		}
		return m, nil
	case <-time.After(waitFor):
		return nil, errTimeout
	}
}

// ueIDs2 reads the ID pair of a downlink message.
func ueIDs2(m n2.Message) (n2.UEIDs, bool) {
	switch v := m.(type) {
	case *n2.DownlinkNASTransport:
		return v.UEIDs, true
	case *n2.InitialContextSetupRequest:
		return v.UEIDs, true
	case *n2.PDUSessionResourceSetupRequest:
		return v.UEIDs, true
	case *n2.PDUSessionResourceReleaseCommand:
		return v.UEIDs, true
	case *n2.PDUSessionResourceModifyRequest:
		return v.UEIDs, true
	case *n2.UEContextReleaseCommand:
		return v.UEIDs, true
	}
	return n2.UEIDs{}, false
}

func (u *testUE) ids() n2.UEIDs { return n2.UEIDs{AMFUENGAPID: u.amfID, RANUENGAPID: u.ranID} }

// protect wraps plain for the uplink (plain without a context).
func (u *testUE) protect(plain []byte, ht nas5g.HeaderType) ([]byte, error) {
	if u.sec == nil {
		return plain, nil
	}
	return u.sec.Protect(plain, ht)
}

// sendInitial sends an Initial UE Message on a new connection.
func (u *testUE) sendInitial(m nas5g.Message, protected bool, stmsi *nas5g.STMSI) error {
	plain, err := m.Encode()
	if err != nil {
		return err
	}
	pdu := plain
	if protected {
		if pdu, err = u.protect(plain, nas5g.IntegrityProtected); err != nil {
			return err
		}
	}
	u.connect()
	return u.g.send(&n2.InitialUEMessage{RANUENGAPID: u.ranID, NASPDU: pdu, Location: u.g.location(),
		RRCCause: n2.RRCMOSignalling, STMSI: stmsi})
}

// sendUL sends a NAS message (protected and ciphered with a context).
func (u *testUE) sendUL(m nas5g.Message) error {
	plain, err := m.Encode()
	if err != nil {
		return err
	}
	pdu, err := u.protect(plain, nas5g.IntegrityProtectedAndCiphered)
	if err != nil {
		return err
	}
	return u.sendULRaw(pdu)
}

func (u *testUE) sendULRaw(pdu []byte) error {
	return u.g.send(&n2.UplinkNASTransport{UEIDs: u.ids(), NASPDU: pdu, Location: u.g.location()})
}

// nasOf extracts the NAS PDU a downlink message carries.
func nasOf(m n2.Message) []byte {
	switch v := m.(type) {
	case *n2.DownlinkNASTransport:
		return v.NASPDU
	case *n2.InitialContextSetupRequest:
		return v.NASPDU
	case *n2.PDUSessionResourceSetupRequest:
		if len(v.Sessions) > 0 {
			return v.Sessions[0].NASPDU
		}
		return v.NASPDU
	case *n2.PDUSessionResourceReleaseCommand:
		return v.NASPDU
	case *n2.PDUSessionResourceModifyRequest:
		if len(v.Sessions) > 0 {
			return v.Sessions[0].NASPDU
		}
	}
	return nil
}

// open verifies and deciphers a downlink PDU.
func (u *testUE) open(pdu []byte) ([]byte, error) {
	ht, err := nas5g.HeaderTypeOf(pdu)
	if err != nil {
		return nil, err
	}
	if ht == nas5g.Plain {
		return pdu, nil
	}
	if u.sec == nil {
		return nil, errors.New("protected downlink NAS without a context")
	}
	plain, _, err := u.sec.Unprotect(pdu)
	return plain, err
}

// recvNAS waits for a message carrying NAS and returns both, the NAS plain.
func (u *testUE) recvNAS() (n2.Message, []byte, nas5g.MessageType, error) {
	m, err := u.recv()
	if err != nil {
		return nil, nil, 0, err
	}
	pdu := nasOf(m)
	if pdu == nil {
		return m, nil, 0, fmt.Errorf("%T carries no NAS", m)
	}
	if ht, _ := nas5g.HeaderTypeOf(pdu); ht == nas5g.IntegrityProtectedNewContext {
		_, inner, err := nas5g.ParseSecurityHeader(pdu) // the SMC: read first, verify once keyed
		if err != nil {
			return m, nil, 0, err
		}
		return m, pdu, nas5g.MsgSecurityModeCommand, checkType(inner)
	}
	plain, err := u.open(pdu)
	if err != nil {
		return m, nil, 0, err
	}
	mt, _, err := nas5g.PeekType(plain)
	return m, plain, mt, err
}

func checkType(plain []byte) error {
	mt, _, err := nas5g.PeekType(plain)
	if err == nil && mt != nas5g.MsgSecurityModeCommand {
		err = fmt.Errorf("new-context PDU holds %s", mt)
	}
	return err
}

// rejection turns a reject message into an *errRejected.
func rejection(mt nas5g.MessageType, plain []byte) error {
	switch mt {
	case nas5g.MsgRegistrationReject:
		r, err := nas5g.ParseRegistrationReject(plain)
		if err != nil {
			return err
		}
		return &errRejected{mt, r.Cause}
	case nas5g.MsgAuthenticationReject:
		return &errRejected{mt, 0}
	case nas5g.MsgServiceReject:
		r, err := nas5g.ParseServiceReject(plain)
		if err != nil {
			return err
		}
		return &errRejected{mt, r.Cause}
	}
	return fmt.Errorf("unexpected %s", mt)
}

func (u *testUE) suci() *nas5g.SUCI {
	out, _ := nas5g.NullSchemeOutput(imsi(u.i)[5:])
	return &nas5g.SUCI{PLMN: homePLMN, RoutingIndicator: "0", SchemeOutput: out}
}

// register runs an initial registration with the SUCI to Registration
// Complete, answering authentication and SMC, and returns the accept.
func (u *testUE) register() (*nas5g.RegistrationAccept, error) {
	u.sec = nil
	rr := &nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationInitial, NgKSI: nas5g.NoKey,
		Identity: nas5g.UEIdentity{SUCI: u.suci()}, SecurityCapability: &u.secCap, RequestedNSSAI: u.slices}
	if err := u.sendInitial(rr, false, nil); err != nil {
		return nil, err
	}
	return u.completeRegistration()
}

// completeRegistration answers whatever the AMF sends until Registration
// Complete is sent (or a reject arrives).
func (u *testUE) completeRegistration() (*nas5g.RegistrationAccept, error) {
	for {
		m, plain, mt, err := u.recvNAS()
		if err != nil {
			return nil, err
		}
		switch mt {
		case msgIdentityRequest:
			if err := u.sendIdentityResponse(); err != nil {
				return nil, err
			}
		case nas5g.MsgAuthenticationRequest:
			if err := u.answerAuth(plain); err != nil {
				return nil, err
			}
		case nas5g.MsgSecurityModeCommand:
			if err := u.answerSMC(plain); err != nil {
				return nil, err
			}
		case nas5g.MsgRegistrationAccept:
			return u.accepted(m, plain)
		default:
			return nil, rejection(mt, plain)
		}
	}
}

// sendIdentityResponse answers an Identity Request with the SUCI, encoded
// by hand (nas5g has no builder for it): the mobile identity IE of a
// Registration Request behind the Identity Response header.
func (u *testUE) sendIdentityResponse() error {
	rr, err := (&nas5g.RegistrationRequest{RegistrationType: 1, NgKSI: nas5g.NoKey, Identity: nas5g.UEIdentity{SUCI: u.suci()}}).Encode()
	if err != nil {
		return err
	}
	ir := append([]byte{0x7E, 0x00, byte(msgIdentityResponse)}, rr[4:]...)
	return u.sendULRaw(ir)
}

func (u *testUE) answerAuth(plain []byte) error {
	req, err := nas5g.ParseAuthenticationRequest(plain)
	if err != nil {
		return err
	}
	snn, _ := aka.ServingNetworkName(homePLMN.MCC, homePLMN.MNC)
	res, err := u.usim.Authenticate(aka.RAND(req.RAND), aka.AUTN(req.AUTN), snn, req.ABBA)
	if err != nil {
		cause, ok := aka.CauseOf(err)
		if !ok {
			return err
		}
		f := &nas5g.AuthenticationFailure{Cause: cause}
		var sf *aka.SynchFailureError
		if errors.As(err, &sf) {
			f.AUTS = sf.AUTS[:]
		}
		return u.sendUL(f)
	}
	u.kamf = res.KAMF
	return u.sendUL(&nas5g.AuthenticationResponse{RESStar: res.RESStar})
}

func (u *testUE) answerSMC(pdu []byte) error {
	_, inner, err := nas5g.ParseSecurityHeader(pdu)
	if err != nil {
		return err
	}
	cmd, err := nas5g.ParseSecurityModeCommand(inner)
	if err != nil {
		return err
	}
	enc, integ, err := aka.DeriveNASKeys(u.kamf, cmd.EncAlg, cmd.IntAlg)
	if err != nil {
		return err
	}
	sec := &nas5g.SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: cmd.EncAlg, IntAlg: cmd.IntAlg, Direction: nas5g.Uplink}
	if _, _, err := sec.Unprotect(pdu); err != nil {
		return fmt.Errorf("verify Security Mode Command: %w", err)
	}
	if cmd.ReplayedCapability != u.secCap {
		return fmt.Errorf("replayed capability %+v, sent %+v", cmd.ReplayedCapability, u.secCap)
	}
	u.sec = sec
	plain, err := (&nas5g.SecurityModeComplete{}).Encode()
	if err != nil {
		return err
	}
	out, err := sec.Protect(plain, nas5g.IntegrityProtectedAndCipheredNewContext)
	if err != nil {
		return err
	}
	return u.sendULRaw(out)
}

// accepted checks the accept (and, in an Initial Context Setup Request,
// KgNB from the last uplink COUNT), answers the gNB part, and sends
// Registration Complete.
func (u *testUE) accepted(m n2.Message, plain []byte) (*nas5g.RegistrationAccept, error) {
	acc, err := nas5g.ParseRegistrationAccept(plain)
	if err != nil {
		return nil, err
	}
	if err := u.contextSetup(m); err != nil {
		return nil, err
	}
	u.guti, u.allowedNSSAI = acc.GUTI, acc.AllowedNSSAI
	return acc, u.sendUL(&nas5g.RegistrationComplete{})
}

// contextSetup answers an Initial Context Setup Request after checking
// its KgNB; other messages need no answer.
func (u *testUE) contextSetup(m n2.Message, sessions ...n2.SessionTransfer) error {
	ics, ok := m.(*n2.InitialContextSetupRequest)
	if !ok {
		return nil
	}
	want, err := aka.DeriveKgNB(u.kamf, uint32(u.sec.ULCount-1), aka.Access3GPP)
	if err != nil {
		return err
	}
	if ics.SecurityKey != want {
		return fmt.Errorf("KgNB %s, want %s", hex.EncodeToString(ics.SecurityKey[:]), want)
	}
	u.kgnb = ics.SecurityKey
	return u.g.send(&n2.InitialContextSetupResponse{UEIDs: u.ids(), Sessions: sessions})
}

// gnbTransfer is the gNB's side of a session's N3 tunnel.
func gnbTransfer(psi uint8) n2.SessionTransfer {
	b, err := (&n2.SetupResponseTransfer{DLTunnel: n2.GTPTunnel{Addr: netip.MustParseAddr("10.200.0.1"), TEID: uint32(psi)},
		QFIs: []uint8{1}}).Encode()
	if err != nil {
		panic(err)
	}
	return n2.SessionTransfer{PDUSessionID: psi, Transfer: b}
}

// establish runs a PDU session establishment; the accept, or the reject's
// cause as an error.
func (u *testUE) establish(psi uint8, dnn string) (*nas5g.PDUSessionEstablishmentAccept, error) {
	est, err := (&nas5g.PDUSessionEstablishmentRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: psi, PTI: 1},
		MaxIntegrityRateUL: nas5g.FullDataRate, MaxIntegrityRateDL: nas5g.FullDataRate, PDUSessionType: nas5g.SessionIPv4}).Encode()
	if err != nil {
		return nil, err
	}
	slice := sliceNoSD
	if err := u.sendUL(&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: est, PDUSessionID: psi,
		RequestType: nas5g.RequestInitial, SNSSAI: &slice, DNN: dnn}); err != nil {
		return nil, err
	}
	m, plain, mt, err := u.recvNAS()
	if err != nil {
		return nil, err
	}
	if mt != nas5g.MsgDLNASTransport {
		return nil, fmt.Errorf("got %s", mt)
	}
	dl, err := nas5g.ParseDLNASTransport(plain)
	if err != nil {
		return nil, err
	}
	smt, _, err := nas5g.PeekType(dl.Payload)
	if err != nil {
		return nil, err
	}
	if smt == nas5g.MsgPDUSessionEstablishmentReject {
		rej, err := nas5g.ParsePDUSessionEstablishmentReject(dl.Payload)
		if err != nil {
			return nil, err
		}
		return nil, &errRejected{smt, rej.Cause}
	}
	acc, err := nas5g.ParsePDUSessionEstablishmentAccept(dl.Payload)
	if err != nil {
		return nil, err
	}
	if _, ok := m.(*n2.PDUSessionResourceSetupRequest); !ok {
		return nil, fmt.Errorf("accept came in %T", m)
	}
	return acc, u.g.send(&n2.PDUSessionResourceSetupResponse{UEIDs: u.ids(), Sessions: []n2.SessionTransfer{gnbTransfer(psi)}})
}

// release has the gNB ask for a UE context release (user inactivity) and
// completes it: the UE is CM-IDLE.
func (u *testUE) release() error {
	if err := u.g.send(&n2.UEContextReleaseRequest{UEIDs: u.ids(), Cause: n2.CauseUserInactivity}); err != nil {
		return err
	}
	return u.expectRelease()
}

// expectRelease waits for UE Context Release Command and completes it.
func (u *testUE) expectRelease() error {
	m, err := u.recv()
	if err != nil {
		return err
	}
	if _, ok := m.(*n2.UEContextReleaseCommand); !ok {
		return fmt.Errorf("got %T, want UE Context Release Command", m)
	}
	return u.g.send(&n2.UEContextReleaseComplete{UEIDs: u.ids()})
}

// serviceRequest comes back from CM-IDLE; uplink names the sessions with
// uplink data. It returns the Initial Context Setup Request, answered.
func (u *testUE) serviceRequest(serviceType uint8, uplink uint16) (*n2.InitialContextSetupRequest, error) {
	st := u.guti.STMSI()
	sr := &nas5g.ServiceRequest{NgKSI: nas5g.KSI{Value: 1}, ServiceType: serviceType, STMSI: st, UplinkDataStatus: uplink}
	if err := u.sendInitial(sr, true, &st); err != nil {
		return nil, err
	}
	m, plain, mt, err := u.recvNAS()
	if err != nil {
		return nil, err
	}
	if mt != nas5g.MsgServiceAccept {
		return nil, rejection(mt, plain)
	}
	ics, ok := m.(*n2.InitialContextSetupRequest)
	if !ok {
		return nil, fmt.Errorf("service accept in %T", m)
	}
	var done []n2.SessionTransfer
	for _, s := range ics.Sessions {
		done = append(done, gnbTransfer(s.PDUSessionID))
	}
	return ics, u.contextSetup(ics, done...)
}

// deregister sends a UE-originating Deregistration Request.
func (u *testUE) deregister(switchOff bool) error {
	if err := u.sendUL(&nas5g.DeregistrationRequest{SwitchOff: switchOff, AccessType: nas5g.Access3GPP,
		NgKSI: nas5g.KSI{Value: 1}, Identity: nas5g.UEIdentity{GUTI: u.guti}}); err != nil {
		return err
	}
	if !switchOff {
		_, _, mt, err := u.recvNAS()
		if err != nil {
			return err
		}
		if mt != nas5g.MsgDeregistrationAcceptUEOriginating {
			return fmt.Errorf("got %s, want Deregistration Accept", mt)
		}
	}
	return u.expectRelease()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
