package smf

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// stubUDM answers sm-data with the DNNs given, for any subscriber.
func stubUDM(dnns ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conf := map[string]models.Udm_SDM_DnnConfiguration{}
		for _, d := range dnns {
			conf[d] = models.Udm_SDM_DnnConfiguration{
				SessionAmbr:     &models.Ambr{Uplink: "100 Mbps", Downlink: "200 Mbps"},
				Var5gQosProfile: &models.SubscribedDefaultQos{Var5qi: 9, Arp: &models.Arp{PriorityLevel: 8}}}
		}
		sbi.WriteJSON(w, http.StatusOK, []models.Udm_SDM_SessionManagementSubscriptionData{
			{SingleNssai: &testSlice, DnnConfigurations: conf}})
	})
}

// stubPCF grants every session the same policy.
func stubPCF() http.Handler {
	var n sync.Mutex
	id := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /npcf-smpolicycontrol/v1/sm-policies", func(w http.ResponseWriter, r *http.Request) {
		n.Lock()
		id++
		loc := fmt.Sprintf("http://%s/npcf-smpolicycontrol/v1/sm-policies/%d", r.Host, id)
		n.Unlock()
		w.Header().Set("Location", loc)
		sbi.WriteJSON(w, http.StatusCreated, models.Pcf_SMPolCtrl_SmPolicyDecision{SessRules: map[string]*models.Pcf_SMPolCtrl_SessionRule{
			"s": {AuthSessAmbr: &models.Ambr{Uplink: "50 Mbps", Downlink: "150 Mbps"},
				AuthDefQos: &models.Pcf_SMPolCtrl_AuthorizedDefaultQos{Var5qi: 8, Arp: &models.Arp{PriorityLevel: 7}}}}})
	})
	mux.HandleFunc("POST /npcf-smpolicycontrol/v1/sm-policies/{id}/delete", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// stubAMF records N1N2MessageTransfers and SM context status
// notifications, answering transfers with status (200 by default).
type stubAMF struct {
	url    string
	n1n2   chan amfTransfer
	status chan models.Smf_PDUSess_SmContextStatusNotification
	mu     sync.Mutex
	answer int
}

func startAMF(t testing.TB) *stubAMF {
	t.Helper()
	a := &stubAMF{n1n2: make(chan amfTransfer, 4096),
		status: make(chan models.Smf_PDUSess_SmContextStatusNotification, 64), answer: http.StatusOK}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+smcontext.PathUEContexts+"/{id}/n1-n2-messages", a.transfer)
	mux.HandleFunc("POST /namf-callback/v1/smContextStatus/{supi}/{psi}", func(w http.ResponseWriter, r *http.Request) {
		var n models.Smf_PDUSess_SmContextStatusNotification
		if err := sbi.ReadJSON(w, r, &n); err != nil {
			return
		}
		a.status <- n
		w.WriteHeader(http.StatusNoContent)
	})
	a.url = serveSBI(t, mux)
	return a
}

func (a *stubAMF) setAnswer(status int) {
	a.mu.Lock()
	a.answer = status
	a.mu.Unlock()
}

func (a *stubAMF) transfer(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	m, err := smcontext.ParseN1N2Request(r.Header.Get("Content-Type"), body)
	if err != nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	a.mu.Lock()
	status := a.answer
	a.mu.Unlock()
	if status >= 400 {
		sbi.WriteProblem(w, status, "UE_NOT_REACHABLE", "stub says no")
		return
	}
	a.n1n2 <- amfTransfer{ueContextID: r.PathValue("id"), N1N2Request: m}
	cause := models.Amf_Comm_N1N2MessageTransferCause_N1_N2_TRANSFER_INITIATED
	if status == http.StatusAccepted {
		cause = models.Amf_Comm_N1N2MessageTransferCause_ATTEMPTING_TO_REACH_UE
	}
	sbi.WriteJSON(w, status, models.Amf_Comm_N1N2MessageTransferRspData{Cause: cause})
}

func (a *stubAMF) statusURI(psi int) string {
	return fmt.Sprintf("%s/namf-callback/v1/smContextStatus/%s/%d", a.url, testSUPI, psi)
}

// amfTransfer is an N1N2MessageTransfer the stub AMF took.
type amfTransfer struct {
	ueContextID string
	*smcontext.N1N2Request
}

// next waits for the next N1N2MessageTransfer.
func (a *stubAMF) next(t testing.TB) amfTransfer {
	t.Helper()
	select {
	case m := <-a.n1n2:
		return m
	case <-time.After(wait):
		t.Fatal("no N1N2MessageTransfer reached the AMF")
		return amfTransfer{}
	}
}
