package mme

import (
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// detach sends a Detach Request (from ECM-IDLE in an Initial UE Message)
// and checks what follows: Detach Accept unless switched off, then the
// release.
func (u *testUE) detach(switchOff bool) {
	u.t.Helper()
	req := &naseps.DetachRequest{SwitchOff: switchOff, Type: naseps.DetachEPS, KSI: naseps.KSI{Value: u.ksi},
		Identity: naseps.GUTIIdentity(*u.guti)}
	if u.ch == nil {
		u.connect(u.e)
		u.sendInitial(u.protect(req, naseps.IntegrityProtected), nil)
	} else {
		u.sendNAS(req)
	}
	if !switchOff {
		if _, ok := u.expectNAS().(*naseps.DetachAccept); !ok {
			u.t.Fatal("want Detach Accept")
		}
	}
	if rc := u.expectRelease(); rc.Cause != s1ap.CauseDetach {
		u.t.Errorf("release cause %v, want detach", rc.Cause)
	}
	u.pdns = map[string]*uePDN{}
}

// releaseByENB has the eNB ask for the UE's release (user inactivity).
func (u *testUE) releaseByENB() {
	u.t.Helper()
	if err := u.e.send(&s1ap.UEContextReleaseRequest{UEIDs: u.ids(), Cause: s1ap.CauseUserInactivity}); err != nil {
		u.t.Fatal(err)
	}
	u.expectRelease()
}

// serviceRequest brings the UE back from ECM-IDLE through eNB e and
// answers the Initial Context Setup.
func (u *testUE) serviceRequest(e *testENB) *s1ap.InitialContextSetupRequest {
	u.t.Helper()
	u.connect(e)
	sr, err := u.sec.NewServiceRequest(u.ksi)
	if err != nil {
		u.t.Fatal(err)
	}
	u.kenbCount = uint32(u.sec.ULCount - 1)
	pdu, err := sr.Marshal()
	if err != nil {
		u.t.Fatal(err)
	}
	u.sendInitial(pdu, &s1ap.STMSI{MMEC: u.guti.MMECode, MTMSI: u.guti.MTMSI})
	ics, ok := u.recv().(*s1ap.InitialContextSetupRequest)
	if !ok {
		u.t.Fatal("Service Request: want Initial Context Setup Request")
	}
	u.checkKeNB(ics.SecurityKey)
	u.answerICS(ics)
	return ics
}

// pdnConnect asks for another PDN connection; it returns the PCO the
// network sent, or the reject cause.
func (u *testUE) pdnConnect(apn string, pco *naseps.PCO) (*uePDN, naseps.ESMCause) {
	u.t.Helper()
	pti := u.pti()
	u.sendNAS(&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: pti}, RequestType: naseps.RequestInitial,
		PDNType: naseps.PDNTypeIPv4, APN: naseps.APN(apn), PCO: pco})
	switch m := u.recv().(type) {
	case *s1ap.DownlinkNASTransport:
		rej, ok := u.readNAS(m.NASPDU).(*naseps.PDNConnectivityReject)
		if !ok || rej.PTI != pti {
			u.t.Fatalf("PDN connectivity: want a reject for PTI %d", pti)
		}
		return nil, rej.Cause
	case *s1ap.ERABSetupRequest:
		req, ok := u.readNAS(m.ERABs[0].NASPDU).(*naseps.ActivateDefaultBearerRequest)
		if !ok || req.PTI != pti {
			u.t.Fatalf("PDN connectivity: want Activate Default EPS Bearer Context Request for PTI %d", pti)
		}
		p := &uePDN{ebi: req.EBI, addr: req.PDNAddress.IPv4, pco: req.PCO, bearers: map[uint8]*ueBearer{}}
		u.pdns[apn] = p
		p.bearers[req.EBI] = &ueBearer{sgwU: m.ERABs[0].Tunnel, qci: m.ERABs[0].QoS.QCI}
		u.answerERABSetup(m)
		u.sendNAS(&naseps.ActivateDefaultBearerAccept{ESMHeader: naseps.ESMHeader{EBI: req.EBI, PTI: pti}})
		return p, 0
	default:
		u.t.Fatalf("PDN connectivity: unexpected %T", m)
		return nil, 0
	}
}

// answerERABSetup sets up every E-RAB of the request at the eNB.
func (u *testUE) answerERABSetup(req *s1ap.ERABSetupRequest) {
	u.t.Helper()
	resp := &s1ap.ERABSetupResponse{UEIDs: u.ids()}
	for _, erab := range req.ERABs {
		tn := u.e.tunnel()
		resp.ERABs = append(resp.ERABs, s1ap.ERABSetupItem{ID: erab.ID, Tunnel: tn})
		if b := u.bearer(erab.ID); b != nil {
			b.enbU = tn
		}
	}
	if err := u.e.send(resp); err != nil {
		u.t.Fatal(err)
	}
}

// pdnDisconnect closes the PDN connection to apn; it returns the reject
// cause, 0 when done.
func (u *testUE) pdnDisconnect(apn string) naseps.ESMCause {
	u.t.Helper()
	p := u.pdns[apn]
	pti := u.pti()
	u.sendNAS(&naseps.PDNDisconnectRequest{ESMHeader: naseps.ESMHeader{PTI: pti}, LinkedEBI: p.ebi})
	switch m := u.recv().(type) {
	case *s1ap.DownlinkNASTransport:
		pdu := m.NASPDU
		plain, _, err := u.sec.Unprotect(pdu)
		if err != nil || len(plain) < 4 || plain[2] != msgPDNDisconnectReject || plain[1] != pti {
			u.t.Fatalf("PDN disconnect: want PDN Disconnect Reject for PTI %d (%x, %v)", pti, plain, err)
		}
		return naseps.ESMCause(plain[3])
	case *s1ap.ERABReleaseCommand:
		req, ok := u.readNAS(m.NASPDU).(*naseps.DeactivateBearerRequest)
		if !ok || req.EBI != p.ebi {
			u.t.Fatalf("PDN disconnect: want Deactivate EPS Bearer Context Request for EBI %d", p.ebi)
		}
		var released []uint8
		for _, it := range m.ERABs {
			released = append(released, it.ID)
		}
		if err := u.e.send(&s1ap.ERABReleaseResponse{UEIDs: u.ids(), Released: released}); err != nil {
			u.t.Fatal(err)
		}
		u.sendNAS(&naseps.DeactivateBearerAccept{ESMHeader: naseps.ESMHeader{EBI: p.ebi, PTI: pti}})
		delete(u.pdns, apn)
		return 0
	default:
		u.t.Fatalf("PDN disconnect: unexpected %T", m)
		return 0
	}
}

// acceptDedicated takes an E-RAB Setup Request carrying an Activate
// Dedicated EPS Bearer Context Request and accepts it.
func (u *testUE) acceptDedicated() *naseps.ActivateDedicatedBearerRequest {
	u.t.Helper()
	m, ok := u.recv().(*s1ap.ERABSetupRequest)
	if !ok {
		u.t.Fatal("want E-RAB Setup Request")
	}
	req, ok := u.readNAS(m.ERABs[0].NASPDU).(*naseps.ActivateDedicatedBearerRequest)
	if !ok {
		u.t.Fatal("want Activate Dedicated EPS Bearer Context Request")
	}
	for _, p := range u.pdns {
		if p.ebi == req.LinkedEBI {
			p.bearers[req.EBI] = &ueBearer{sgwU: m.ERABs[0].Tunnel, qci: m.ERABs[0].QoS.QCI}
		}
	}
	u.answerERABSetup(m)
	u.sendNAS(&naseps.ActivateDedicatedBearerAccept{ESMHeader: naseps.ESMHeader{EBI: req.EBI, PTI: req.PTI}})
	return req
}

// tau runs a tracking area update from ECM-IDLE through eNB e and
// returns the accept (nil with the reject cause).
func (u *testUE) tau(e *testENB, periodic, active bool) (*naseps.TAUAccept, naseps.EMMCause) {
	u.t.Helper()
	u.connect(e)
	typ := naseps.UpdateTA
	if periodic {
		typ = naseps.UpdatePeriodic
	}
	req := &naseps.TAURequest{UpdateType: typ, Active: active, KSI: naseps.KSI{Value: u.ksi},
		OldGUTI: naseps.GUTIIdentity(*u.guti), UENetworkCapability: &u.netCap}
	u.sendInitial(u.protect(req, naseps.IntegrityProtected), nil)
	u.kenbCount = uint32(u.sec.ULCount - 1)
	switch m := u.expectNAS().(type) {
	case *naseps.TAUAccept:
		return m, 0
	case *naseps.TAUReject:
		u.expectRelease()
		return nil, m.Cause
	default:
		u.t.Fatalf("TAU: unexpected %T", m)
		return nil, 0
	}
}

// pdn is the UE's PDN connection to apn, failing the test without one.
func (u *testUE) pdn(apn string) *uePDN {
	u.t.Helper()
	p := u.pdns[apn]
	if p == nil {
		u.t.Fatalf("UE %s has no PDN connection to %s", u.imsi, apn)
	}
	return p
}

// acceptDeactivation takes the E-RAB Release Command carrying the
// Deactivate EPS Bearer Context Request for ebi and accepts it.
func (u *testUE) acceptDeactivation(ebi uint8) {
	u.t.Helper()
	m, ok := u.recv().(*s1ap.ERABReleaseCommand)
	if !ok {
		u.t.Fatal("want E-RAB Release Command")
	}
	req, ok := u.readNAS(m.NASPDU).(*naseps.DeactivateBearerRequest)
	if !ok || req.EBI != ebi || len(m.ERABs) != 1 || m.ERABs[0].ID != ebi {
		u.t.Fatalf("want the deactivation of EBI %d, got %+v", ebi, req)
	}
	if err := u.e.send(&s1ap.ERABReleaseResponse{UEIDs: u.ids(), Released: []uint8{ebi}}); err != nil {
		u.t.Fatal(err)
	}
	u.sendNAS(&naseps.DeactivateBearerAccept{ESMHeader: naseps.ESMHeader{EBI: ebi, PTI: req.PTI}})
	for _, p := range u.pdns {
		delete(p.bearers, ebi)
	}
}
