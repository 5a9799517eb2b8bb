package mme

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// testUE drives one UE through an eNB: its USIM, NAS security context,
// GUTI and PDN connections, as the tests see them.
type testUE struct {
	t        testing.TB
	imsi     string
	usim     *aka.USIM
	netCap   naseps.UENetworkCapability
	wrongRES bool // answer challenges with a RES that cannot match

	e         *testENB
	enbID     uint32
	mmeID     uint32
	ch        chan s1ap.Message
	sec       *naseps.SecurityContext
	ksi       uint8
	kasme     aka.Key256
	kenbCount uint32
	guti      *naseps.GUTI
	pdns      map[string]*uePDN // by APN
	nextPTI   uint8
}

// uePDN is a PDN connection as the UE and its eNB hold it.
type uePDN struct {
	ebi     uint8
	addr    netip.Addr
	pco     *naseps.PCO
	bearers map[uint8]*ueBearer
}

// ueBearer is an E-RAB: the SGW's uplink end and the eNB's downlink one.
type ueBearer struct {
	sgwU, enbU s1ap.GTPTunnel
	qci        uint8
}

// newUE builds UE i with the test subscribers' keys (k: its USIM's K).
func newUE(t testing.TB, e *testENB, imsi, k string, highest aka.SQN) *testUE {
	t.Helper()
	usim, err := aka.NewUSIM(aka.USIMConfig{K: unhex(t, k), OPc: unhex(t, testOPc), SUPI: "imsi-" + imsi, HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	return &testUE{t: t, imsi: imsi, usim: usim, e: e, ksi: naseps.KSINoKey, pdns: map[string]*uePDN{}, nextPTI: 1,
		netCap: naseps.UENetworkCapability{EEA: naseps.CapEEA0 | naseps.CapEEA1 | naseps.CapEEA2,
			EIA: naseps.CapEIA1 | naseps.CapEIA2}}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// connect opens a new S1 connection for the UE at eNB e.
func (u *testUE) connect(e *testENB) {
	if u.ch != nil {
		u.e.disconnect(u.enbID)
	}
	u.e = e
	u.enbID, u.ch = e.connect()
	u.mmeID = 0
}

// sendInitial sends an Initial UE Message with pdu.
func (u *testUE) sendInitial(pdu []byte, stmsi *s1ap.STMSI) {
	u.t.Helper()
	im := &s1ap.InitialUEMessage{ENBUES1APID: u.enbID, NASPDU: pdu, TAI: u.e.tai(), ECGI: u.e.ecgi(),
		RRCCause: s1ap.RRCMOSignalling, STMSI: stmsi}
	if err := u.e.send(im); err != nil {
		u.t.Fatal(err)
	}
}

// sendUL sends pdu in an Uplink NAS Transport.
func (u *testUE) sendUL(pdu []byte) {
	u.t.Helper()
	ul := &s1ap.UplinkNASTransport{UEIDs: u.ids(), NASPDU: pdu, TAI: u.e.tai(), ECGI: u.e.ecgi()}
	if err := u.e.send(ul); err != nil {
		u.t.Fatal(err)
	}
}

func (u *testUE) ids() s1ap.UEIDs { return s1ap.UEIDs{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID} }

// recv is the next downlink message of the UE's connection.
func (u *testUE) recv() s1ap.Message {
	u.t.Helper()
	select {
	case m := <-u.ch:
		if id, ok := mmeIDOf(m); ok {
			u.mmeID = id
		}
		return m
	case <-time.After(waitFor):
		u.t.Fatalf("UE %s: %v", u.imsi, errTimeout)
		return nil
	}
}

func mmeIDOf(m s1ap.Message) (uint32, bool) {
	switch v := m.(type) {
	case *s1ap.DownlinkNASTransport:
		return v.MMEUES1APID, true
	case *s1ap.InitialContextSetupRequest:
		return v.MMEUES1APID, true
	case *s1ap.ERABSetupRequest:
		return v.MMEUES1APID, true
	case *s1ap.ERABReleaseCommand:
		return v.MMEUES1APID, true
	case *s1ap.UEContextReleaseCommand:
		return v.MMEUES1APID, true
	}
	return 0, false
}

// protect wraps msg with the UE's context (ciphered), or leaves it plain.
func (u *testUE) protect(msg naseps.Message, ht naseps.HeaderType) []byte {
	u.t.Helper()
	if u.sec == nil {
		b, err := msg.Marshal()
		if err != nil {
			u.t.Fatal(err)
		}
		return b
	}
	b, err := u.sec.ProtectMessage(msg, ht)
	if err != nil {
		u.t.Fatal(err)
	}
	return b
}

// sendNAS sends msg protected in an Uplink NAS Transport.
func (u *testUE) sendNAS(msg naseps.Message) {
	u.t.Helper()
	u.sendUL(u.protect(msg, naseps.IntegrityProtectedAndCiphered))
}

// readNAS unprotects and parses a downlink NAS PDU; a Security Mode
// Command (new context) is answered here.
func (u *testUE) readNAS(pdu []byte) naseps.Message {
	u.t.Helper()
	ht, err := naseps.HeaderTypeOf(pdu)
	if err != nil {
		u.t.Fatalf("downlink NAS header: %v", err)
	}
	switch ht {
	case naseps.Plain:
		m, err := naseps.Parse(pdu)
		if err != nil {
			u.t.Fatalf("downlink NAS: %v", err)
		}
		if _, ok := m.(*naseps.AuthenticationRequest); ok {
			u.sec = nil // the network lost our context: answer plain until the new one
		}
		return m
	case naseps.IntegrityProtectedNewContext:
		return u.securityModeCommand(pdu)
	}
	if u.sec == nil {
		u.t.Fatalf("protected downlink NAS without a security context")
	}
	m, _, err := u.sec.UnprotectMessage(pdu)
	if err != nil {
		u.t.Fatalf("downlink NAS did not unprotect: %v", err)
	}
	return m
}

// securityModeCommand takes the new context from the command and
// verifies the command with it.
func (u *testUE) securityModeCommand(pdu []byte) naseps.Message {
	u.t.Helper()
	_, inner, err := naseps.ParseSecurityHeader(pdu)
	if err != nil {
		u.t.Fatal(err)
	}
	cmd, err := naseps.ParseAs[*naseps.SecurityModeCommand](inner)
	if err != nil {
		u.t.Fatal(err)
	}
	sec, err := naseps.NewSecurityContext(u.kasme, cmd.EncAlg, cmd.IntAlg, naseps.Uplink)
	if err != nil {
		u.t.Fatal(err)
	}
	sec.AllowNull = cmd.EncAlg == naseps.EEA0 || cmd.IntAlg == naseps.EIA0
	if _, _, err := sec.Unprotect(pdu); err != nil {
		u.t.Fatalf("Security Mode Command did not verify: %v", err)
	}
	u.sec, u.ksi = sec, cmd.KSI.Value
	return cmd
}

// attachOpts shape an Attach Request.
type attachOpts struct {
	byGUTI  bool
	apn     string
	esmInfo bool // set the ESM information transfer flag
	pco     *naseps.PCO
}

// attachResult is what an attach came to, and what was seen on the way.
type attachResult struct {
	accepted, authRejected bool
	emmCause               naseps.EMMCause
	esmCause               naseps.ESMCause
	identityRequested      bool
	authRequests           int
	esmInfoRequested       bool
	smc                    *naseps.SecurityModeCommand
	ics                    *s1ap.InitialContextSetupRequest
	accept                 *naseps.AttachAccept
	bearer                 *naseps.ActivateDefaultBearerRequest
}

// attach runs an attach from a new connection at the UE's eNB until it
// is accepted (Attach Complete sent) or refused.
func (u *testUE) attach(o attachOpts) *attachResult {
	u.t.Helper()
	u.connect(u.e)
	pti := u.pti()
	esm, err := (&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: pti}, RequestType: naseps.RequestInitial,
		PDNType: naseps.PDNTypeIPv4, ESMInfoTransfer: o.esmInfo, APN: naseps.APN(o.apn), PCO: o.pco}).Marshal()
	if err != nil {
		u.t.Fatal(err)
	}
	if o.esmInfo {
		esm, _ = (&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: pti}, RequestType: naseps.RequestInitial,
			PDNType: naseps.PDNTypeIPv4, ESMInfoTransfer: true}).Marshal()
	}
	req := &naseps.AttachRequest{AttachType: naseps.AttachEPS, KSI: naseps.NoKey, Identity: naseps.IMSIIdentity(u.imsi),
		UENetworkCapability: u.netCap, ESMContainer: esm}
	if o.byGUTI && u.guti != nil {
		req.Identity = naseps.GUTIIdentity(*u.guti)
		req.KSI = naseps.KSI{Value: u.ksi}
	}
	u.sendInitial(u.protect(req, naseps.IntegrityProtected), nil)
	if u.sec != nil { // KeNB comes from this COUNT unless security mode control follows
		u.kenbCount = uint32(u.sec.ULCount - 1)
	}
	r := &attachResult{}
	for {
		switch m := u.recv().(type) {
		case *s1ap.DownlinkNASTransport:
			if u.attachNAS(m.NASPDU, r, o) {
				return r
			}
		case *s1ap.InitialContextSetupRequest:
			u.attachAccepted(m, r)
			return r
		case *s1ap.UEContextReleaseCommand:
			u.completeRelease(m)
			return r
		default:
			u.t.Fatalf("attach: unexpected %T", m)
		}
	}
}

func (u *testUE) pti() uint8 {
	p := u.nextPTI
	u.nextPTI++
	return p
}

// attachNAS answers one downlink NAS message of an attach; true when the
// attach ended (refused).
func (u *testUE) attachNAS(pdu []byte, r *attachResult, o attachOpts) bool {
	u.t.Helper()
	switch m := u.readNAS(pdu).(type) {
	case *naseps.IdentityRequest:
		r.identityRequested = true
		u.sendUL(u.protect(&naseps.IdentityResponse{Identity: naseps.MobileIdentity{Type: naseps.IdentityIMSI, Digits: u.imsi}},
			naseps.IntegrityProtectedAndCiphered))
	case *naseps.AuthenticationRequest:
		r.authRequests++
		u.sendUL(u.protect(u.challenge(m), naseps.IntegrityProtectedAndCiphered))
	case *naseps.SecurityModeCommand:
		r.smc = m
		pdu, err := u.sec.ProtectMessage(&naseps.SecurityModeComplete{}, naseps.IntegrityProtectedAndCipheredNewContext)
		if err != nil {
			u.t.Fatal(err)
		}
		u.kenbCount = uint32(u.sec.ULCount - 1)
		u.sendUL(pdu)
	case *naseps.ESMInformationRequest:
		r.esmInfoRequested = true
		u.sendNAS(&naseps.ESMInformationResponse{ESMHeader: m.ESMHeader, APN: naseps.APN(o.apn), PCO: o.pco})
	case *naseps.AuthenticationReject:
		r.authRejected = true
		u.sec = nil
	case *naseps.AttachReject:
		r.emmCause = m.Cause
		if len(m.ESMContainer) > 0 {
			if rej, err := naseps.ParseAs[*naseps.PDNConnectivityReject](m.ESMContainer); err == nil {
				r.esmCause = rej.Cause
			}
		}
	default:
		u.t.Fatalf("attach: unexpected NAS %T", m)
	}
	return false
}

// challenge runs the USIM on an Authentication Request.
func (u *testUE) challenge(m *naseps.AuthenticationRequest) naseps.Message {
	u.t.Helper()
	res, err := u.usim.AuthenticateEPS(aka.RAND(m.RAND), aka.AUTN(m.AUTN), "001", "01")
	var sf *aka.SynchFailureError
	switch {
	case errors.As(err, &sf):
		auts := [naseps.AUTSLen]byte(sf.AUTS)
		return &naseps.AuthenticationFailure{Cause: naseps.EMMCauseSynchFailure, AUTS: &auts}
	case errors.Is(err, aka.ErrMACFailure):
		return &naseps.AuthenticationFailure{Cause: naseps.EMMCauseMACFailure}
	case err != nil:
		u.t.Fatalf("USIM: %v", err)
	}
	u.kasme = res.KASME
	if u.wrongRES {
		res.RES[0] ^= 0xFF
	}
	return &naseps.AuthenticationResponse{RES: res.RES[:]}
}

// attachAccepted takes the Attach Accept out of the Initial Context
// Setup Request, checks KeNB, answers the eNB and sends Attach Complete.
func (u *testUE) attachAccepted(ics *s1ap.InitialContextSetupRequest, r *attachResult) {
	u.t.Helper()
	r.ics = ics
	if len(ics.ERABs) != 1 {
		u.t.Fatalf("attach: %d E-RABs in Initial Context Setup, want 1", len(ics.ERABs))
	}
	acc, ok := u.readNAS(ics.ERABs[0].NASPDU).(*naseps.AttachAccept)
	if !ok {
		u.t.Fatal("attach: the E-RAB's NAS PDU is not an Attach Accept")
	}
	r.accept = acc
	bearer, err := naseps.ParseAs[*naseps.ActivateDefaultBearerRequest](acc.ESMContainer)
	if err != nil {
		u.t.Fatal(err)
	}
	r.bearer = bearer
	u.checkKeNB(ics.SecurityKey)
	u.guti = acc.GUTI
	u.pdns = map[string]*uePDN{}
	u.pdns[string(bearer.APN)] = &uePDN{ebi: bearer.EBI, addr: bearer.PDNAddress.IPv4, pco: bearer.PCO,
		bearers: map[uint8]*ueBearer{bearer.EBI: {sgwU: ics.ERABs[0].Tunnel, qci: ics.ERABs[0].QoS.QCI}}}
	u.answerICS(ics)
	esm, err := (&naseps.ActivateDefaultBearerAccept{ESMHeader: naseps.ESMHeader{EBI: bearer.EBI}}).Marshal()
	if err != nil {
		u.t.Fatal(err)
	}
	u.sendNAS(&naseps.AttachComplete{ESMContainer: esm})
	r.accepted = true
}

// checkKeNB compares the eNB's key with ours from KASME and the COUNT.
func (u *testUE) checkKeNB(got [32]byte) {
	u.t.Helper()
	want, err := aka.DeriveKeNB(u.kasme, u.kenbCount)
	if err != nil {
		u.t.Fatal(err)
	}
	if got != [32]byte(want) {
		u.t.Errorf("KeNB in Initial Context Setup does not match KDF(KASME, UL COUNT %d)", u.kenbCount)
	}
}

// answerICS answers an Initial Context Setup with a new downlink tunnel
// for every E-RAB.
func (u *testUE) answerICS(ics *s1ap.InitialContextSetupRequest) {
	u.t.Helper()
	resp := &s1ap.InitialContextSetupResponse{UEIDs: u.ids()}
	for _, erab := range ics.ERABs {
		tn := u.e.tunnel()
		resp.ERABs = append(resp.ERABs, s1ap.ERABSetupItem{ID: erab.ID, Tunnel: tn})
		if b := u.bearer(erab.ID); b != nil {
			b.sgwU, b.enbU = erab.Tunnel, tn
		}
	}
	if err := u.e.send(resp); err != nil {
		u.t.Fatal(err)
	}
}

// bearer finds a bearer of the UE by EBI.
func (u *testUE) bearer(ebi uint8) *ueBearer {
	for _, p := range u.pdns {
		if b := p.bearers[ebi]; b != nil {
			return b
		}
	}
	return nil
}

// completeRelease answers a UE Context Release Command.
func (u *testUE) completeRelease(rc *s1ap.UEContextReleaseCommand) {
	u.t.Helper()
	if err := u.e.send(&s1ap.UEContextReleaseComplete{UEIDs: rc.UEIDs}); err != nil {
		u.t.Fatal(err)
	}
	u.e.disconnect(u.enbID)
	u.ch = nil
}

// expectRelease waits for the UE Context Release Command and completes it.
func (u *testUE) expectRelease() *s1ap.UEContextReleaseCommand {
	u.t.Helper()
	rc, ok := u.recv().(*s1ap.UEContextReleaseCommand)
	if !ok {
		u.t.Fatal("want a UE Context Release Command")
	}
	u.completeRelease(rc)
	return rc
}

// expectNAS waits for a Downlink NAS Transport and reads it.
func (u *testUE) expectNAS() naseps.Message {
	u.t.Helper()
	dl, ok := u.recv().(*s1ap.DownlinkNASTransport)
	if !ok {
		u.t.Fatal("want a Downlink NAS Transport")
	}
	return u.readNAS(dl.NASPDU)
}

func (r *attachResult) String() string {
	return fmt.Sprintf("accepted %v auth-rejected %v emm #%d esm #%d identity %v auth %d",
		r.accepted, r.authRejected, r.emmCause, r.esmCause, r.identityRequested, r.authRequests)
}
