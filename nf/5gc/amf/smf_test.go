package amf

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// fakeSMF stands in for the SMF (nf/5gc/smf is being written): it accepts
// DNN "internet", rejects others with a PDU Session Establishment Reject,
// answers CreateSMContext and then sends the accept and the N2 setup
// transfer through N1N2MessageTransfer, as TS 23.502 4.3.2.2.1 has it.
type fakeSMF struct {
	url     string
	amf     atomic.Pointer[string]
	client  *sbi.Client
	mu      sync.Mutex
	ctxs    map[string]*smCtx
	next    int
	updates chan smcontext.UpdateRequest
	n1n2    chan int // status of each N1N2MessageTransfer after a create
	// ul is the UPF tunnel of the setup transfers answering ACTIVATING
	// (nil: upfTunnel), as an SMF that moved its sessions would have it.
	ul atomic.Pointer[n2.GTPTunnel]
}

type smCtx struct {
	supi  string
	psi   uint8
	slice models.Snssai
	dl    *n2.GTPTunnel
	mods  []smcontext.UpdateRequest // PDU_RES_MOD_RSP and PDU_RES_MOD_FAIL received
}

func startFakeSMF(t testing.TB) *fakeSMF {
	t.Helper()
	c, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	s := &fakeSMF{client: c, ctxs: map[string]*smCtx{}, updates: make(chan smcontext.UpdateRequest, 64), n1n2: make(chan int, 64)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+smcontext.PathSMContexts, s.create)
	mux.HandleFunc("POST "+smcontext.PathSMContexts+"/{ref}/modify", s.modify)
	mux.HandleFunc("POST "+smcontext.PathSMContexts+"/{ref}/release", s.release)
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, mux) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake smf: %v", err)
		}
	})
	s.url = "http://" + ln.Addr().String()
	return s
}

var upfTunnel = n2.GTPTunnel{Addr: netip.MustParseAddr("10.100.0.1"), TEID: 0x100}

func setupTransfer() []byte { return setupTransferTo(upfTunnel) }

func setupTransferTo(ul n2.GTPTunnel) []byte {
	b, err := (&n2.SetupRequestTransfer{SessionAMBR: n2.AMBR{Uplink: 1e8, Downlink: 1e8}, ULTunnel: ul,
		PDUSessionType: n2.SessionTypeIPv4, QoSFlows: []n2.QoSFlowRequest{{QFI: 1, FiveQI: 9, ARP: n2.ARP{Level: 8}}}}).Encode()
	if err != nil {
		panic(err) // fixed input: a failure is a bug of the test
	}
	return b
}

func (s *fakeSMF) create(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := smcontext.ParseCreateRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	est, err := nas5g.ParsePDUSessionEstablishmentRequest(req.N1SM)
	if err != nil || req.Data.SNssai == nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, fmt.Sprint("n1SmMsg or sNssai: ", err))
		return
	}
	hdr := est.SessionHeader
	if req.Data.Dnn != "internet" {
		rej, _ := (&nas5g.PDUSessionEstablishmentReject{SessionHeader: hdr, Cause: nas5g.SMCauseMissingOrUnknownDNN}).Encode()
		smcontext.Write(w, http.StatusForbidden, &smcontext.CreateError{N1SM: rej, Data: models.Smf_PDUSess_SmContextCreateError{
			Error: &models.Smf_PDUSess_ExtProblemDetails{Status: 403, Cause: "DNN_DENIED"}}})
		return
	}
	s.mu.Lock()
	s.next++
	ref := fmt.Sprintf("ctx-%d", s.next)
	s.ctxs[ref] = &smCtx{supi: req.Data.Supi, psi: uint8(req.Data.PduSessionId), slice: *req.Data.SNssai}
	s.mu.Unlock()
	w.Header().Set("Location", "http://"+r.Host+smcontext.PathSMContexts+"/"+ref)
	smcontext.Write(w, http.StatusCreated, &smcontext.CreateResponse{Data: models.Smf_PDUSess_SmContextCreatedData{
		PduSessionId: req.Data.PduSessionId, SNssai: req.Data.SNssai}})
	if err := http.NewResponseController(w).Flush(); err != nil {
		return
	}
	sl, _ := fromModelSlice(*req.Data.SNssai)
	acc, _ := (&nas5g.PDUSessionEstablishmentAccept{SessionHeader: hdr, PDUSessionType: nas5g.SessionIPv4, SSCMode: 1,
		QoSRules:    []nas5g.QoSRule{{ID: 1, Precedence: 255, QFI: 1, Default: true}},
		SessionAMBR: nas5g.AMBR{Uplink: 1e8, Downlink: 1e8}, Address: netip.MustParseAddr("10.45.0.2"),
		SNSSAI: &sl, DNN: req.Data.Dnn}).Encode()
	res, err := smcontext.TransferN1N2(r.Context(), s.client, *s.amf.Load(), req.Data.Supi,
		smcontext.NewN1N2Request(hdr.PDUSessionID, req.Data.SNssai, acc, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, setupTransfer()))
	status := 0
	if res != nil {
		status = res.Status
	}
	if err != nil && status == 0 {
		status = -1
	}
	s.n1n2 <- status
}

func (s *fakeSMF) modify(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := smcontext.ParseUpdateRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	s.mu.Lock()
	c := s.ctxs[r.PathValue("ref")]
	s.mu.Unlock()
	if c == nil {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", r.PathValue("ref"))
		return
	}
	select {
	case s.updates <- *req:
	default:
	}
	d := req.Data
	if mt, _, _ := nas5g.PeekType(req.N1SM); mt == nas5g.MsgPDUSessionReleaseRequest {
		s.releaseCommand(w, req.N1SM)
		return
	}
	switch {
	case d.N2SmInfoType == models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP:
		t, err := n2.DecodeSetupResponseTransfer(req.N2SM)
		if err != nil {
			sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, err.Error())
			return
		}
		s.mu.Lock()
		c.dl = &t.DLTunnel
		s.mu.Unlock()
		smcontext.Write(w, http.StatusOK, &smcontext.UpdateResponse{Data: models.Smf_PDUSess_SmContextUpdatedData{
			UpCnxState: models.Smf_PDUSess_UpCnxState_ACTIVATED}})
	case d.N2SmInfoType == models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP,
		d.N2SmInfoType == models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_FAIL:
		s.mu.Lock()
		c.mods = append(c.mods, *req)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case d.UpCnxState == models.Smf_PDUSess_UpCnxState_ACTIVATING:
		ul := upfTunnel
		if p := s.ul.Load(); p != nil {
			ul = *p
		}
		smcontext.Write(w, http.StatusOK, &smcontext.UpdateResponse{N2SM: setupTransferTo(ul), Data: models.Smf_PDUSess_SmContextUpdatedData{
			UpCnxState: models.Smf_PDUSess_UpCnxState_ACTIVATING, N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_REQ}})
	case d.UpCnxState == models.Smf_PDUSess_UpCnxState_DEACTIVATED:
		s.mu.Lock()
		c.dl = nil
		s.mu.Unlock()
		smcontext.Write(w, http.StatusOK, &smcontext.UpdateResponse{Data: models.Smf_PDUSess_SmContextUpdatedData{
			UpCnxState: models.Smf_PDUSess_UpCnxState_DEACTIVATED}})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// releaseCommand answers a PDU Session Release Request with the Release
// Command (N1) and the Release Command Transfer (N2).
func (s *fakeSMF) releaseCommand(w http.ResponseWriter, n1 []byte) {
	rr, err := nas5g.ParsePDUSessionReleaseRequest(n1)
	if err != nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, err.Error())
		return
	}
	cmd, _ := (&nas5g.PDUSessionReleaseCommand{SessionHeader: rr.SessionHeader, Cause: nas5g.SMCauseRegularDeactivation}).Encode()
	tr, _ := (&n2.ReleaseCommandTransfer{Cause: n2.CauseNormalRelease}).Encode()
	smcontext.Write(w, http.StatusOK, &smcontext.UpdateResponse{N1SM: cmd, N2SM: tr, Data: models.Smf_PDUSess_SmContextUpdatedData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_CMD}})
}

func (s *fakeSMF) release(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delete(s.ctxs, r.PathValue("ref"))
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// context finds the SM context of a UE's session.
func (s *fakeSMF) context(supi string, psi uint8) (string, *smCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ref, c := range s.ctxs {
		if c.supi == supi && c.psi == psi {
			cc := *c
			cc.mods = append([]smcontext.UpdateRequest(nil), c.mods...)
			return ref, &cc
		}
	}
	return "", nil
}

// downlinkData is what the SMF does when data arrives for an idle UE: an
// N1N2MessageTransfer with the N2 setup transfer only.
func (s *fakeSMF) downlinkData(t testing.TB, supi string, psi uint8) *smcontext.N1N2Result {
	t.Helper()
	_, c := s.context(supi, psi)
	if c == nil {
		t.Fatalf("no SM context for %s/%d", supi, psi)
	}
	res, err := smcontext.TransferN1N2(context.Background(), s.client, *s.amf.Load(), supi,
		smcontext.NewN1N2Request(psi, &c.slice, nil, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, setupTransfer()))
	if err != nil {
		t.Fatalf("n1n2 transfer: %v", err)
	}
	return res
}

// moveUplink is what the SMF does to move a session to the UPF at ul: an
// N2-only N1N2MessageTransfer of a Modify Request Transfer, with the
// gNB's downlink tunnel it holds. n1, when set, goes with it.
func (s *fakeSMF) moveUplink(t testing.TB, supi string, psi uint8, ul n2.GTPTunnel, n1 []byte) (*smcontext.N1N2Result, error) {
	t.Helper()
	_, c := s.context(supi, psi)
	if c == nil {
		t.Fatalf("no SM context for %s/%d", supi, psi)
	}
	dl := n2.GTPTunnel{Addr: netip.MustParseAddr("10.200.0.1"), TEID: uint32(psi)} // gnbTransfer's
	if c.dl != nil {
		dl = *c.dl
	}
	tr, err := (&n2.ModifyRequestTransfer{ULTunnelModify: []n2.ULTunnelModifyItem{{UL: ul, DL: dl}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	// No sNssai: the AMF takes the session's.
	return smcontext.TransferN1N2(context.Background(), s.client, *s.amf.Load(), supi,
		smcontext.NewN1N2Request(psi, nil, n1, models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ, tr))
}
