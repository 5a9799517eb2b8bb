package ausf

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Nausf-UEAU resources served.
const (
	PathAuthentications = "/nausf-auth/v1/ue-authentications"
	pathConfirmation    = PathAuthentications + "/{authCtxId}/5g-aka-confirmation"
	// LinkConfirmation names the confirmation link in UeAuthenticationCtx.
	LinkConfirmation = "5g-aka"
	serviceName      = "nausf-auth"
	causeCtxNotFound = "CONTEXT_NOT_FOUND"
)

func (n *NF) sbiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+PathAuthentications, n.metrics.Wrap(serviceName, n.gate.Wrap(http.HandlerFunc(n.postAuthentication))))
	// Confirmations finish contexts we hold, so they pass while draining.
	mux.Handle("PUT "+pathConfirmation, n.metrics.Wrap(serviceName, n.gate.WrapAlways(http.HandlerFunc(n.putConfirmation))))
	mux.Handle("/", n.metrics.Wrap("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, "no resource "+r.URL.Path)
	})))
	return mux
}

// CheckAuthenticationInfo validates the body of POST ue-authentications.
// Errors are 400 *sbi.ProblemError.
func CheckAuthenticationInfo(info models.Ausf_UEAU_AuthenticationInfo) error {
	if info.SupiOrSuci == "" {
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "supiOrSuci is missing")
	}
	if len(info.SupiOrSuci) > 1024 {
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, "supiOrSuci is over 1024 characters")
	}
	return udm.CheckServingNetworkName(info.ServingNetworkName)
}

func (n *NF) postAuthentication(w http.ResponseWriter, r *http.Request) {
	var info models.Ausf_UEAU_AuthenticationInfo
	if err := sbi.ReadJSON(w, r, &info); err != nil {
		return
	}
	if err := CheckAuthenticationInfo(info); err != nil {
		sbi.Malformed(r, err)
		sbi.WriteError(w, err)
		return
	}
	res, err := n.udm.GenerateAuthData(r.Context(), info.SupiOrSuci, models.Udm_UEAU_AuthenticationInfoRequest{
		ServingNetworkName:    info.ServingNetworkName,
		ResynchronizationInfo: info.ResynchronizationInfo,
		AusfInstanceId:        n.cfg.NRF.InstanceIDOrDefault(),
	})
	if err != nil {
		n.udmFailed(w, err)
		return
	}
	a, v, err := contextFrom(res, info.ServingNetworkName)
	if err != nil {
		n.auths.WithLabelValues(resultError).Inc()
		n.log.Warn("unusable vector from the UDM", "err", err)
		sbi.WriteProblem(w, http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
		return
	}
	a.expires = n.now().Add(n.cfg.AuthContextTTL)
	id, ok := n.ctxs.add(a)
	if !ok {
		n.auths.WithLabelValues(resultError).Inc()
		sbi.WriteProblem(w, http.StatusServiceUnavailable, sbi.CauseNFCongestion,
			fmt.Sprintf("%d authentications are already waiting for confirmation", n.cfg.MaxAuthContexts))
		return
	}
	self := nfsbi.RequestRoot(n.cfg.AdvertiseURI, n.cfg.SBI.Scheme(), r) + PathAuthentications + "/" + url.PathEscape(id)
	w.Header().Set("Location", self)
	sbi.WriteJSON(w, http.StatusCreated, models.Ausf_UEAU_UEAuthenticationCtx{
		AuthType:           models.Ausf_UEAU_AuthType_5_G_AKA,
		Var5gAuthData:      models.Ausf_UEAU_Av5gAka{Rand: v.RAND.String(), Autn: v.AUTN.String(), HxresStar: v.HXRESStar.String()},
		Links:              map[string][]models.Link{LinkConfirmation: {{Href: self + "/5g-aka-confirmation"}}},
		ServingNetworkName: info.ServingNetworkName,
	})
}

// udmFailed answers a failed generate-auth-data: the UDM's problem as it
// is (404 USER_NOT_FOUND, 403 ...), or 504 when it could not be reached.
func (n *NF) udmFailed(w http.ResponseWriter, err error) {
	st := sbi.StatusOf(err)
	switch {
	case st == 0:
		n.auths.WithLabelValues(resultError).Inc()
		n.log.Warn("udm unreachable", "err", err)
		sbi.WriteProblem(w, http.StatusGatewayTimeout, sbi.CauseTargetNFNotReachable, err.Error())
		return
	case st >= 500:
		n.auths.WithLabelValues(resultError).Inc()
	default:
		n.auths.WithLabelValues(resultRejected).Inc()
	}
	sbi.WriteError(w, err)
}

// contextFrom checks the UDM's 5G HE AV and derives HXRES* and KSEAF.
func contextFrom(res models.Udm_UEAU_AuthenticationInfoResult, snn string) (*authCtx, aka.Vector, error) {
	av := res.AuthenticationVector
	if res.AuthType != models.Udm_UEAU_AuthType_5_G_AKA || av == nil || av.AvType != models.Udm_UEAU_AvType_5_G_HE_AKA {
		return nil, aka.Vector{}, fmt.Errorf("auth type %q: only 5G AKA vectors are handled", res.AuthType)
	}
	if res.Supi == "" {
		return nil, aka.Vector{}, fmt.Errorf("the result carries no supi")
	}
	var v aka.Vector
	fields := []struct {
		name, hex string
		dst       []byte
	}{
		{"rand", av.Rand, v.RAND[:]}, {"autn", av.Autn, v.AUTN[:]},
		{"xresStar", av.XresStar, v.XRESStar[:]}, {"kausf", av.Kausf, v.KAUSF[:]},
	}
	for _, f := range fields {
		b, err := hex.DecodeString(f.hex)
		if err != nil || len(b) != len(f.dst) {
			return nil, aka.Vector{}, fmt.Errorf("vector %s: want %d hex digits", f.name, 2*len(f.dst))
		}
		copy(f.dst, b)
	}
	v.ServingNetworkName = snn
	v.HXRESStar = aka.DeriveHXRESStar(v.RAND, v.XRESStar)
	kseaf, err := v.KSEAF()
	if err != nil {
		return nil, aka.Vector{}, fmt.Errorf("derive KSEAF: %w", err)
	}
	return &authCtx{supi: res.Supi, snn: snn, xresStar: v.XRESStar, kseaf: kseaf}, v, nil
}

// ParseResStar reads the RES* of a confirmation (32 hex digits).
func ParseResStar(c models.Ausf_UEAU_ConfirmationData) (aka.RESStar, error) {
	var rs aka.RESStar
	if c.ResStar == nil {
		return rs, sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "resStar is missing")
	}
	b, err := hex.DecodeString(*c.ResStar)
	if err != nil || len(b) != len(rs) {
		return rs, sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, "resStar: want 32 hex digits")
	}
	copy(rs[:], b)
	return rs, nil
}

func (n *NF) putConfirmation(w http.ResponseWriter, r *http.Request) {
	var c models.Ausf_UEAU_ConfirmationData
	if err := sbi.ReadJSON(w, r, &c); err != nil {
		return
	}
	resStar, err := ParseResStar(c)
	if err != nil {
		sbi.Malformed(r, err)
		sbi.WriteError(w, err)
		return
	}
	a, expired := n.ctxs.take(r.PathValue("authCtxId"), n.now())
	if expired {
		n.auths.WithLabelValues(resultExpired).Inc()
	}
	if a == nil {
		sbi.WriteProblem(w, http.StatusNotFound, causeCtxNotFound, "no such authentication context (unknown, used or expired)")
		return
	}
	if !a.verify(resStar) {
		n.auths.WithLabelValues(resultFailure).Inc()
		n.log.Info("5G AKA failed: RES* does not match", "supi", a.supi)
		sbi.WriteJSON(w, http.StatusOK, models.Ausf_UEAU_ConfirmationDataResponse{AuthResult: models.Ausf_UEAU_AuthResult_FAILURE})
		return
	}
	n.auths.WithLabelValues(resultSuccess).Inc()
	n.log.Debug("5G AKA succeeded", "supi", a.supi)
	sbi.WriteJSON(w, http.StatusOK, models.Ausf_UEAU_ConfirmationDataResponse{
		AuthResult: models.Ausf_UEAU_AuthResult_SUCCESS, Supi: a.supi, Kseaf: a.kseaf.String()})
}
