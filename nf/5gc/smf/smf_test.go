package smf

import (
	"net/http"
	"net/netip"
	"reflect"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// TestSessionLifecycle walks one session through establishment, the gNB's
// answer, idle, service request and release, checking what reaches the
// UP node and the AMF at each step.
func TestSessionLifecycle(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 1)

	// The AMF got an Accept with an address from the pool, for our UE.
	pool := netip.MustParsePrefix(testPool)
	if s.n1n2.ueContextID != testSUPI || s.n1n2.SessionID() != 1 ||
		s.n1n2.NgapIEType() != models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ {
		t.Errorf("transfer to %q for session %d, NGAP IE %q", s.n1n2.ueContextID, s.n1n2.SessionID(), s.n1n2.NgapIEType())
	}
	a := s.accept
	if !pool.Contains(a.Address) || a.Address == pool.Addr() || a.PDUSessionID != 1 || a.PTI != 1 ||
		a.DNN != testDNN || a.SNSSAI == nil || a.SNSSAI.SST != testSST || a.PDUSessionType != nas5g.SessionIPv4 ||
		a.SSCMode != nas5g.SSCMode1 {
		t.Errorf("accept %+v", a)
	}
	// The real PCF's default policy: 1 Gbps / 2 Gbps, 5QI 9, ARP 8.
	wantAMBR := nas5g.AMBR{Uplink: 1e9, Downlink: 2e9}
	if a.SessionAMBR != wantAMBR || len(a.QoSRules) != 1 || a.QoSRules[0].QFI != defaultQFI || !a.QoSRules[0].Default {
		t.Errorf("accept AMBR %+v, QoS rules %+v", a.SessionAMBR, a.QoSRules)
	}

	// The PFCP session: uplink on a chosen F-TEID with QFI 1, downlink on
	// the UE address, buffered until the gNB answers.
	upSEID, sess := e.up.only(t)
	checkRules(t, sess, a.Address)
	if s.setup.ULTunnel.Addr != fakeN3 || s.setup.ULTunnel.TEID == 0 {
		t.Errorf("setup transfer UL tunnel %+v, want the UP's F-TEID at %v", s.setup.ULTunnel, fakeN3)
	}
	wantFlow := n2.QoSFlowRequest{QFI: defaultQFI, FiveQI: 9, ARP: n2.ARP{Level: 8, Preemptable: true}}
	if len(s.setup.QoSFlows) != 1 || s.setup.QoSFlows[0] != wantFlow || s.setup.SessionAMBR != wantAMBR ||
		s.setup.PDUSessionType != n2.SessionTypeIPv4 {
		t.Errorf("setup transfer %+v", s.setup)
	}

	// The gNB's tunnel: downlink FAR to FORW with outer header creation.
	gnb := n2.GTPTunnel{Addr: netip.MustParseAddr("192.0.2.77"), TEID: gnbTEID}
	res := e.update(t, s.ref, setupResponse(t, gnb))
	if res.Status != http.StatusOK || res.Updated.Data.UpCnxState != models.Smf_PDUSess_UpCnxState_ACTIVATED {
		t.Fatalf("setup response update: %d %+v", res.Status, res.Updated)
	}
	wantFwd := pfcp.UpdateFAR{ID: farDL, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
		DestinationInterface: pfcp.InterfaceAccess, OuterHeaderCreation: &pfcp.OuterHeaderCreation{TEID: gnbTEID, IPv4: gnb.Addr}}}
	checkFARUpdate(t, e.up.lastMod(t), upSEID, wantFwd)

	// The UE goes idle: buffer and notify.
	res = e.update(t, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_DEACTIVATED))
	if res.Updated.Data.UpCnxState != models.Smf_PDUSess_UpCnxState_DEACTIVATED {
		t.Fatalf("deactivate: %+v", res.Updated.Data)
	}
	checkFARUpdate(t, e.up.lastMod(t), upSEID, pfcp.UpdateFAR{ID: farDL, ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP})

	// Service request: the N2 setup request again, then forwarding again.
	res = e.update(t, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_ACTIVATING))
	if res.Updated.Data.UpCnxState != models.Smf_PDUSess_UpCnxState_ACTIVATING ||
		res.Updated.Data.N2SmInfoType != models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_REQ {
		t.Fatalf("activate: %+v", res.Updated.Data)
	}
	again, err := n2.DecodeSetupRequestTransfer(res.Updated.N2SM)
	if err != nil || !reflect.DeepEqual(again, s.setup) {
		t.Fatalf("activation setup transfer %+v (%v), want %+v", again, err, s.setup)
	}
	e.update(t, s.ref, setupResponse(t, gnb))
	checkFARUpdate(t, e.up.lastMod(t), upSEID, wantFwd)

	// Release: PFCP deletion (usage collected), address and policy gone.
	if got := metric(t, e.smf, "corebox_smf_pool_addresses_in_use", "dnn", testDNN); got != 1 || e.pcf.Policies() != 1 {
		t.Errorf("before release: pool in use %v, PCF policies %d; want 1 and 1", got, e.pcf.Policies())
	}
	e.release(t, s.ref)
	if got := metric(t, e.smf, "corebox_smf_pool_addresses_in_use", "dnn", testDNN); got != 0 {
		t.Errorf("pool in use %v after release", got)
	}
	if e.pcf.Policies() != 0 {
		t.Errorf("PCF still holds %d policies", e.pcf.Policies())
	}
	if e.smf.Sessions() != 0 || !reflect.DeepEqual(e.up.deletedSEIDs(), []uint64{upSEID}) {
		t.Errorf("after release: %d sessions, UP deleted %v", e.smf.Sessions(), e.up.deletedSEIDs())
	}
	for series, want := range map[string]float64{
		"corebox_smf_sessions": 0, "corebox_smf_pfcp_associations": 1,
		"corebox_smf_session_establishments_total": 1, "corebox_smf_session_establishment_duration_seconds": 1,
		"corebox_smf_upf_selections_total": 1,
	} {
		if got := metric(t, e.smf, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if got := metric(t, e.smf, "corebox_smf_usage_octets_total", "direction", "downlink"); got != 3000 {
		t.Errorf("downlink usage %v, want the 3000 the UP reported", got)
	}
	if got := metric(t, e.smf, "corebox_smf_session_releases_total", "reason", "amf_release"); got != 1 {
		t.Errorf("releases = %v", got)
	}
	// The context is gone.
	res2, err := smcontext.Update(t.Context(), e.client, e.url, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_DEACTIVATED))
	if err == nil || res2 == nil || res2.Status != http.StatusNotFound {
		t.Errorf("update after release: %+v %v", res2, err)
	}
}

// checkRules compares the installed session with what TS 29.244 asks for
// a default-flow IPv4 session.
func checkRules(t *testing.T, s *pfcp.Session, ue netip.Addr) {
	t.Helper()
	removal := pfcp.RemoveGTPUUDPIPv4
	want := &pfcp.Session{CPSEID: s.CPSEID, UPSEID: s.UPSEID,
		PDRs: []pfcp.PDR{
			{ID: pdrUL, Precedence: 255, PDI: pfcp.PDI{SourceInterface: pfcp.InterfaceAccess,
				LocalFTEID: &pfcp.FTEID{Choose: true}, UEIPAddress: &pfcp.UEIPAddress{IPv4: ue},
				NetworkInstance: testDNN, QFI: defaultQFI},
				OuterHeaderRemoval: &removal, FARID: farUL, QERIDs: []uint32{qerSession}, URRIDs: []uint32{urrSession}},
			{ID: pdrDL, Precedence: 255, PDI: pfcp.PDI{SourceInterface: pfcp.InterfaceCore,
				UEIPAddress: &pfcp.UEIPAddress{IPv4: ue, Destination: true}, NetworkInstance: testDNN},
				FARID: farDL, QERIDs: []uint32{qerSession}, URRIDs: []uint32{urrSession}},
		},
		FARs: []pfcp.FAR{
			{ID: farUL, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
				DestinationInterface: pfcp.InterfaceCore, NetworkInstance: testDNN}},
			{ID: farDL, ApplyAction: pfcp.ActionBuffer},
		},
		QERs: []pfcp.QER{{ID: qerSession, QFI: defaultQFI, MBR: &pfcp.Bitrate{UL: 1e6, DL: 2e6}}},
		URRs: []pfcp.URR{{ID: urrSession, MeasurementMethod: pfcp.MeasureVolume}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("installed session\n got %s\nwant %s", dump(s), dump(want))
	}
}

func checkFARUpdate(t *testing.T, m *pfcp.Modification, upSEID uint64, want pfcp.UpdateFAR) {
	t.Helper()
	if m.UPSEID != upSEID || len(m.UpdateFARs) != 1 || !reflect.DeepEqual(m.UpdateFARs[0], want) ||
		len(m.UpdatePDRs)+len(m.CreatePDRs)+len(m.RemovePDRs) != 0 {
		t.Errorf("modification of %#x: %s\nwant FAR update %s", upSEID, dump(m), dump(want))
	}
}

// TestUERequestedRelease runs TS 23.502 §4.3.4.2: Release Request over
// N1, the Release Command back, the RAN's answer, the Release Complete.
func TestUERequestedRelease(t *testing.T) {
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 5)
	upSEID, _ := e.up.only(t)
	rel, err := (&nas5g.PDUSessionReleaseRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: 5, PTI: 7}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	res := e.update(t, s.ref, &smcontext.UpdateRequest{N1SM: rel})
	if res.Status != http.StatusOK || res.Updated.Data.N2SmInfoType != models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_CMD {
		t.Fatalf("release request: %d %+v", res.Status, res.Updated)
	}
	cmd, err := nas5g.ParsePDUSessionReleaseCommand(res.Updated.N1SM)
	if err != nil || cmd.PDUSessionID != 5 || cmd.PTI != 7 || cmd.Cause != nas5g.SMCauseRegularDeactivation {
		t.Fatalf("release command %+v %v", cmd, err)
	}
	if _, err := n2.DecodeReleaseCommandTransfer(res.Updated.N2SM); err != nil {
		t.Fatalf("release command transfer: %v", err)
	}
	if !reflect.DeepEqual(e.up.deletedSEIDs(), []uint64{upSEID}) {
		t.Fatalf("PFCP deletions %v, want %#x", e.up.deletedSEIDs(), upSEID)
	}
	relRsp, err := (&n2.ReleaseResponseTransfer{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if r := e.update(t, s.ref, &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP}, N2SM: relRsp}); r.Status != http.StatusNoContent {
		t.Fatalf("release response: %d", r.Status)
	}
	done, err := (&nas5g.PDUSessionReleaseComplete{SessionHeader: nas5g.SessionHeader{PDUSessionID: 5, PTI: 7}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if r := e.update(t, s.ref, &smcontext.UpdateRequest{N1SM: done}); r.Status != http.StatusNoContent {
		t.Fatalf("release complete: %d", r.Status)
	}
	n := recv(t, e.amf.status, "SM context status notification")
	if n.StatusInfo == nil || n.StatusInfo.ResourceStatus != models.Smf_PDUSess_ResourceStatus_RELEASED {
		t.Errorf("status notification %+v", n.StatusInfo)
	}
	if e.smf.Sessions() != 0 || metric(t, e.smf, "corebox_smf_pool_addresses_in_use", "dnn", testDNN) != 0 {
		t.Errorf("after release complete: %d sessions", e.smf.Sessions())
	}
}

// TestRejections: each refusal carries the 5GSM cause it should.
func TestRejections(t *testing.T) {
	e := startEnv(t, envOpts{})
	tests := []struct {
		name   string
		mod    func(*smcontext.CreateRequest)
		status int
		cause  string
		sm     uint8
	}{
		{"unsubscribed DNN", func(r *smcontext.CreateRequest) { r.Data.Dnn = otherDNN },
			http.StatusForbidden, "DNN_DENIED", nas5g.SMCauseMissingOrUnknownDNN},
		{"DNN unknown to the SMF", func(r *smcontext.CreateRequest) { r.Data.Dnn = "nosuch" },
			http.StatusForbidden, "DNN_NOT_SUPPORTED", nas5g.SMCauseMissingOrUnknownDNN},
		{"DNN not in the slice", func(r *smcontext.CreateRequest) { r.Data.SNssai = &models.Snssai{Sst: 2} },
			http.StatusForbidden, "DNN_NOT_SUPPORTED", nas5g.SMCauseMissingOrUnknownDNNInSlice},
		{"unknown subscriber", func(r *smcontext.CreateRequest) { r.Data.Supi = "imsi-001010000009999" },
			http.StatusForbidden, "SUBSCRIPTION_DENIED", smCauseUserAuthFailed},
		{"IPv6 only", func(r *smcontext.CreateRequest) { r.N1SM = estRequest(t, 3, nas5g.SessionIPv6) },
			http.StatusForbidden, "PDUTYPE_NOT_SUPPORTED", smCauseIPv4OnlyAllowed},
		{"Ethernet", func(r *smcontext.CreateRequest) { r.N1SM = estRequest(t, 3, nas5g.SessionEthernet) },
			http.StatusForbidden, "PDUTYPE_NOT_SUPPORTED", nas5g.SMCauseUnknownPDUSessionType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := e.createRequest(t, testSUPI, 3, testDNN)
			tc.mod(req)
			res, err := e.create(t, req)
			if err == nil || res == nil || res.Status != tc.status || res.Error == nil {
				t.Fatalf("create = %+v, %v; want %d", res, err, tc.status)
			}
			if res.Error.Data.Error == nil || res.Error.Data.Error.Cause != tc.cause {
				t.Errorf("error %+v, want cause %s", res.Error.Data.Error, tc.cause)
			}
			rej, err := nas5g.ParsePDUSessionEstablishmentReject(res.Error.N1SM)
			if err != nil || rej.Cause != tc.sm || rej.PDUSessionID != 3 || rej.PTI != 1 {
				t.Errorf("reject %+v (%v), want cause #%d for session 3", rej, err, tc.sm)
			}
		})
	}
	if e.smf.Sessions() != 0 || e.up.count() != 0 {
		t.Errorf("rejections left %d sessions, UP %d", e.smf.Sessions(), e.up.count())
	}
	if got := metric(t, e.smf, "corebox_smf_session_establishments_total", "result", "not_subscribed"); got != 1 {
		t.Errorf("not_subscribed = %v", got)
	}
}

// TestPoolExhaustionAndReuse: a /30 has two addresses for UEs.
func TestPoolExhaustionAndReuse(t *testing.T) {
	e := startEnv(t, envOpts{pool: "10.45.0.0/30"})
	a := e.establish(t, testSUPI, 1)
	b := e.establish(t, testSUPI, 2)
	got := []netip.Addr{a.accept.Address, b.accept.Address}
	want := []netip.Addr{netip.MustParseAddr("10.45.0.1"), netip.MustParseAddr("10.45.0.2")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("addresses %v, want %v (network and broadcast never handed out)", got, want)
	}
	res, err := e.create(t, e.createRequest(t, testSUPI, 3, testDNN))
	if err == nil || res.Status != http.StatusInternalServerError || res.Error.Data.Error.Cause != "INSUFFICIENT_RESOURCES_SLICE_DNN" {
		t.Fatalf("third session: %+v %v", res, err)
	}
	rej, err := nas5g.ParsePDUSessionEstablishmentReject(res.Error.N1SM)
	if err != nil || rej.Cause != nas5g.SMCauseInsufficientResources {
		t.Fatalf("reject %+v %v, want #26", rej, err)
	}
	if got := metric(t, e.smf, "corebox_smf_pool_addresses_in_use", "dnn", testDNN); got != 2 {
		t.Errorf("pool in use %v", got)
	}
	e.release(t, a.ref)
	c := e.establish(t, testSUPI, 3)
	if c.accept.Address != a.accept.Address {
		t.Errorf("after a release the pool gave %v, want the freed %v", c.accept.Address, a.accept.Address)
	}
}

// TestBadCreateRequests get 400 without a reject for the UE.
func TestBadCreateRequests(t *testing.T) {
	e := startEnv(t, envOpts{})
	tests := map[string]func(*smcontext.CreateRequest){
		"no supi":      func(r *smcontext.CreateRequest) { r.Data.Supi = "" },
		"no N1":        func(r *smcontext.CreateRequest) { r.N1SM = nil },
		"garbage N1":   func(r *smcontext.CreateRequest) { r.N1SM = []byte{0x2e, 0x01} },
		"psi mismatch": func(r *smcontext.CreateRequest) { r.Data.PduSessionId = 2 },
		"psi range":    func(r *smcontext.CreateRequest) { r.Data.PduSessionId = 16 },
		"not 5GSM":     func(r *smcontext.CreateRequest) { r.N1SM = []byte{0x7e, 0x00, 0x41, 0x01} },
	}
	for name, mod := range tests {
		req := e.createRequest(t, testSUPI, 1, testDNN)
		mod(req)
		res, err := e.create(t, req)
		if err == nil || res == nil || res.Status != http.StatusBadRequest {
			t.Errorf("%s: %+v %v, want 400", name, res, err)
			continue
		}
		if res.Error != nil && len(res.Error.N1SM) != 0 {
			t.Errorf("%s: a reject was sent for a malformed request", name)
		}
	}
	if got := metric(t, e.smf, "corebox_smf_malformed_requests_total"); got != float64(len(tests)) {
		t.Errorf("malformed requests counted %v, want %d", got, len(tests))
	}
}

func TestDrainRefusesNewSessions(t *testing.T) {
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 1)
	e.smf.Ops().StartDrain()
	if st := e.smf.Ops().DrainStatus(); st.Remaining != 1 {
		t.Errorf("drain remaining %d, want the 1 session", st.Remaining)
	}
	res, err := e.create(t, e.createRequest(t, testSUPI, 2, testDNN))
	if err == nil || res.Status != http.StatusServiceUnavailable {
		t.Errorf("create while draining: %+v %v", res, err)
	}
	e.release(t, s.ref)
	if !e.smf.Ops().DrainStatus().Drained() {
		t.Errorf("not drained after the last release: %+v", e.smf.Ops().DrainStatus())
	}
}
