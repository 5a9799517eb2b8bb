package smf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// readBody reads a request body of at most smcontext.MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, smcontext.MaxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

// postSMContexts is CreateSMContext (TS 29.502 §5.2.2.2.1).
func (n *NF) postSMContexts(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if n.draining.Load() {
		n.metrics.establishments.WithLabelValues("draining").Inc()
		sbi.WriteProblem(w, http.StatusServiceUnavailable, "NF_SERVICE_FAILOVER", "this SMF is draining; select another")
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		n.writeCreateError(w, r, reject(http.StatusRequestEntityTooLarge, sbi.CauseInvalidMsgFormat, 0, "bad_request", "%v", err), 0, 0)
		return
	}
	req, err := smcontext.ParseCreateRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		n.writeCreateError(w, r, rejBadRequest(sbi.CauseInvalidMsgFormat, "%v", err), 0, 0)
		return
	}
	est, rej := n.checkCreate(req)
	if rej != nil {
		var psi, pti uint8
		if est != nil {
			psi, pti = est.PDUSessionID, est.PTI
		}
		n.writeCreateError(w, r, rej, psi, pti)
		return
	}
	if old := n.store.byUEKey(req.Data.Supi, est.PDUSessionID); old != nil {
		// TS 29.502: a new context for the same SUPI and PDU session ID
		// replaces the old one, released locally.
		n.releaseLocal(r.Context(), old, "replaced")
	}
	c, rej := n.establish(r.Context(), req, est)
	if rej != nil {
		n.writeCreateError(w, r, rej, est.PDUSessionID, est.PTI)
		return
	}
	n1, n2, err := acceptMessages(c)
	if err != nil {
		n.teardown(r.Context(), c, "encode_failure")
		n.writeCreateError(w, r, reject(http.StatusInternalServerError, sbi.CauseSystemFailure, nas5g.SMCauseNetworkFailure,
			"internal", "%v", err), est.PDUSessionID, est.PTI)
		return
	}
	n.store.add(c)
	n.log.Debug("PDU session established", "supi", c.supi, "psi", c.psi, "dnn", c.entry.name, "ue", c.ueAddr,
		"upf", c.upf.key, "qos_from", c.qos.source, "5qi", c.qos.fiveQI, "ambr_ul", c.qos.ambr.UL, "ambr_dl", c.qos.ambr.DL)
	n.metrics.establishments.WithLabelValues("accepted").Inc()
	n.metrics.estDuration.Observe(time.Since(start).Seconds())
	w.Header().Set("Location", n.locationOf(r, c.ref))
	smcontext.Write(w, http.StatusCreated, &smcontext.CreateResponse{Data: models.Smf_PDUSess_SmContextCreatedData{
		PduSessionId: int32(c.psi), SNssai: &c.entry.snssai, UpCnxState: models.Smf_PDUSess_UpCnxState_ACTIVATING}})
	n.goBG(func(ctx context.Context) { n.sendAccept(ctx, c, n1, n2) })
}

// locationOf is the URI of a new context: under our apiRoot, else under
// the authority the request used.
func (n *NF) locationOf(r *http.Request, ref string) string {
	root := n.apiRoot()
	if root == "" {
		root = "http://" + r.Host
	}
	return root + smcontext.PathSMContexts + "/" + ref
}

// checkCreate checks the mandatory IEs and decodes the N1 message.
func (n *NF) checkCreate(req *smcontext.CreateRequest) (*nas5g.PDUSessionEstablishmentRequest, *rejection) {
	d := req.Data
	var missing []string
	for name, absent := range map[string]bool{"supi": d.Supi == "", "pduSessionId": d.PduSessionId == 0,
		"dnn": d.Dnn == "", "sNssai": d.SNssai == nil, "n1SmMsg": len(req.N1SM) == 0} {
		if absent {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, rejBadRequest(sbi.CauseMandatoryIEMissing, "missing %v", sortedStrings(missing))
	}
	if d.PduSessionId < 1 || d.PduSessionId > 15 {
		return nil, rejBadRequest(sbi.CauseMandatoryIEIncorrect, "pduSessionId %d: want 1..15", d.PduSessionId)
	}
	est, err := nas5g.ParsePDUSessionEstablishmentRequest(req.N1SM)
	if err != nil {
		n.metrics.malformed.Inc()
		return nil, rejBadRequest("N1_SM_ERROR", "n1SmMsg: %v", err)
	}
	if int32(est.PDUSessionID) != d.PduSessionId {
		return nil, rejBadRequest("N1_SM_ERROR", "n1SmMsg is for PDU session %d, the request for %d",
			est.PDUSessionID, d.PduSessionId)
	}
	switch est.PDUSessionType {
	case 0, nas5g.SessionIPv4, nas5g.SessionIPv4v6:
	default:
		return est, rejPDUType(est.PDUSessionType)
	}
	if est.SSCMode != 0 && est.SSCMode != nas5g.SSCMode1 {
		return est, rejSSC(est.SSCMode)
	}
	return est, nil
}

// establish runs the procedure up to the PFCP session: DNN, subscription,
// UPF and address, policy, N4. On failure nothing is left held.
func (n *NF) establish(ctx context.Context, req *smcontext.CreateRequest, est *nas5g.PDUSessionEstablishmentRequest) (
	*smContext, *rejection) {
	d := req.Data
	e, known := n.dnns.lookup(d.Dnn, *d.SNssai)
	if e == nil {
		if known {
			return nil, rejDNNNotInSlice(d.Dnn, *d.SNssai)
		}
		return nil, rejUnknownDNN(d.Dnn)
	}
	sub, rej := n.subscription(ctx, d.Supi, e)
	if rej != nil {
		return nil, rej
	}
	c := &smContext{ref: n.refs.next(), supi: d.Supi, psi: est.PDUSessionID, pti: est.PTI, entry: e,
		created: time.Now(), servingNfID: d.ServingNfId, statusURI: d.SmContextStatusUri, anType: d.AnType,
		ratType: d.RatType, network: d.ServingNetwork, upState: models.Smf_PDUSess_UpCnxState_ACTIVATING, initial: true}
	if rej := n.anchor(c); rej != nil {
		return nil, rej
	}
	if rej := n.policy(ctx, c, sub); rej != nil {
		n.teardown(ctx, c, "failed")
		return nil, rej
	}
	if rej := n.installSession(ctx, c); rej != nil {
		n.teardown(ctx, c, "failed")
		return nil, rej
	}
	return c, nil
}

// subscription finds the subscriber's configuration of the DNN in the
// slice (sm-data from the UDM).
func (n *NF) subscription(ctx context.Context, supi string, e *dnnEntry) (*models.Udm_SDM_DnnConfiguration, *rejection) {
	data, err := n.peers.smData(ctx, supi, e.name, e.snssai)
	switch {
	case sbi.StatusOf(err) == http.StatusNotFound:
		return nil, rejUnknownSubscriber(supi, err)
	case err != nil:
		return nil, rejUDM(err)
	}
	for _, sm := range data {
		if sm.SingleNssai != nil && !snssaiEqual(*sm.SingleNssai, e.snssai) {
			continue
		}
		for dnn, conf := range sm.DnnConfigurations {
			if dnn != "*" && !strings.EqualFold(dnn, e.name) {
				continue
			}
			if !allowsIPv4(conf.PduSessionTypes) {
				return nil, rejTypeNotSubscribed(e.name)
			}
			return &conf, nil
		}
	}
	return nil, rejNotSubscribed(supi, e.name)
}

func allowsIPv4(t *models.Udm_SDM_PduSessionTypes) bool {
	if t == nil {
		return true
	}
	ok := func(p models.PduSessionType) bool {
		return p == models.PduSessionType_IPV4 || p == models.PduSessionType_IPV4_V6
	}
	if ok(t.DefaultSessionType) {
		return true
	}
	for _, p := range t.AllowedSessionTypes {
		if ok(p) {
			return true
		}
	}
	return false
}

// anchor picks the UPF with the fewest sessions among those that can take
// one, and an address from its slice of the pool.
func (n *NF) anchor(c *smContext) *rejection {
	cands := n.upfs.candidates(c.entry)
	if len(cands) == 0 {
		return rejNoUPF(fmt.Sprintf("no associated UPF serves DNN %q in slice %s", c.entry.name, c.entry.nas))
	}
	var exhausted, noSlice error
	for _, u := range cands {
		s, err := c.entry.pool.sliceFor(u.key, u.rangesFor(c.entry.name))
		if err != nil {
			noSlice = err
			continue
		}
		addr, err := s.alloc()
		if err != nil {
			exhausted = err
			continue
		}
		u.sessions.Add(1)
		c.upf, c.slice, c.ueAddr = u, s, addr
		n.metrics.selections.WithLabelValues(u.key).Inc()
		return nil
	}
	if exhausted != nil {
		return rejPoolExhausted(exhausted)
	}
	return rejNoUPF(noSlice.Error())
}

// installSession establishes the PFCP session on the chosen UPF.
func (n *NF) installSession(ctx context.Context, c *smContext) *rejection {
	node := n.node.Load()
	if node == nil {
		return rejUPF(http.StatusServiceUnavailable, "NF_SERVICE_FAILOVER", errStopped)
	}
	res, err := node.EstablishSession(ctx, c.upf.addr, sessionRules(c))
	if err != nil {
		if errors.Is(err, pfcp.ErrTimeout) {
			return rejUPF(http.StatusGatewayTimeout, "UPF_NOT_RESPONDING", err)
		}
		return rejUPF(http.StatusInternalServerError, sbi.CauseSystemFailure, err)
	}
	c.cpSEID = res.CPSEID
	if c.ulTunnel, err = ulTunnelOf(res.CreatedPDRs); err != nil {
		return rejUPF(http.StatusInternalServerError, sbi.CauseSystemFailure, err)
	}
	return nil
}

// acceptMessages are the N1 Accept and the N2 setup transfer.
func acceptMessages(c *smContext) (n1, n2 []byte, err error) {
	if n1, err = establishmentAccept(c); err != nil {
		return nil, nil, err
	}
	if n2, err = setupTransfer(c); err != nil {
		return nil, nil, err
	}
	return n1, n2, nil
}

// sendAccept hands the AMF the Accept and the N2 setup request
// (N1N2MessageTransfer). Without it the UE never learns of the session,
// so a failed transfer releases it.
func (n *NF) sendAccept(ctx context.Context, c *smContext, n1, n2 []byte) {
	req := smcontext.NewN1N2Request(c.psi, &c.entry.snssai, n1, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, n2)
	req.Data.N1n2FailureTxfNotifURI = n.callbackURI(c.ref, suffixN1N2Fail)
	c.mu.Lock()
	amf := c.amf()
	c.mu.Unlock()
	if err := n.transferN1N2(ctx, amf, "establishment", req); err != nil {
		n.log.Warn("PDU session accept not delivered to the AMF; releasing the session",
			"supi", c.supi, "psi", c.psi, "err", err)
		n.releaseLocal(ctx, c, "n1n2_failed")
	}
}

// amfRef is what finds a session's AMF, read under the context's lock.
type amfRef struct{ supi, servingNfID, statusURI string }

func (c *smContext) amf() amfRef { return amfRef{c.supi, c.servingNfID, c.statusURI} }

// transferN1N2 sends req to the session's AMF. The caller does not hold
// the context's lock: the AMF may call us back before it answers.
func (n *NF) transferN1N2(ctx context.Context, a amfRef, purpose string, req *smcontext.N1N2Request) error {
	root, err := n.peers.amfRoot(ctx, a.servingNfID, a.statusURI)
	if err != nil {
		n.metrics.transfers.WithLabelValues(purpose, "no_amf").Inc()
		return err
	}
	res, err := n.peers.transfer(ctx, root, a.supi, req)
	if err != nil {
		n.metrics.transfers.WithLabelValues(purpose, "failed").Inc()
		return err
	}
	n.metrics.transfers.WithLabelValues(purpose, transferResult(res)).Inc()
	return nil
}

// transferResult names an accepted transfer: 200 sent, 202 paging.
func transferResult(res *smcontext.N1N2Result) string {
	if res.Status == http.StatusAccepted {
		return "attempting_to_reach_ue"
	}
	return "ok"
}
