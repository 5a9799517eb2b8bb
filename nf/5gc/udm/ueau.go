package udm

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi"
)

const (
	pathGenerateAuthData = "/nudm-ueau/v1/{supiOrSuci}/security-information/generate-auth-data"
	// maxSQNAttempts bounds the read/patch rounds one request makes when
	// other UDMs keep moving the SQN.
	maxSQNAttempts = 12
)

// Resync is the RAND and AUTS of a synchronisation failure.
type Resync struct {
	RAND aka.RAND
	AUTS aka.AUTS
}

// CheckAuthInfoRequest validates a generate-auth-data body and returns its
// resynchronisation info, if any. Errors are 400 *sbi.ProblemError.
func CheckAuthInfoRequest(req models.Udm_UEAU_AuthenticationInfoRequest) (*Resync, error) {
	if err := CheckServingNetworkName(req.ServingNetworkName); err != nil {
		return nil, err
	}
	ri := req.ResynchronizationInfo
	if ri == nil {
		return nil, nil
	}
	r, err1 := hex.DecodeString(ri.Rand)
	a, err2 := hex.DecodeString(ri.Auts)
	if err1 != nil || len(r) != aka.RANDLen || err2 != nil || len(a) != aka.AUTSLen {
		p := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			"resynchronizationInfo: rand must be 32 and auts 28 hex digits")
		p.Problem.InvalidParams = []models.InvalidParam{{Param: "/resynchronizationInfo", Reason: "rand: 32 hex, auts: 28 hex"}}
		return nil, p
	}
	return &Resync{RAND: aka.RAND(r), AUTS: aka.AUTS(a)}, nil
}

// CheckServingNetworkName accepts "5G:<SN Id>" (TS 24.501 9.12.1).
func CheckServingNetworkName(snn string) error {
	switch {
	case snn == "":
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "servingNetworkName is missing")
	case !strings.HasPrefix(snn, "5G:") || len(snn) == 3 || len(snn) > 1024:
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			fmt.Sprintf("servingNetworkName %q: want 5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org", snn))
	}
	return nil
}

func (n *NF) generateAuthData(w http.ResponseWriter, r *http.Request) {
	var req models.Udm_UEAU_AuthenticationInfoRequest
	if err := sbi.ReadJSON(w, r, &req); err != nil {
		n.metrics.vectors.WithLabelValues(resultBadRequest).Inc()
		return
	}
	res, result, err := n.authData(r.Context(), r.PathValue("supiOrSuci"), req)
	n.metrics.vectors.WithLabelValues(result).Inc()
	if err != nil {
		if result == resultBadRequest {
			sbi.Malformed(r, err)
		}
		if result == resultError {
			n.log.Warn("generate-auth-data failed", "err", err)
		}
		sbi.WriteError(w, err)
		return
	}
	sbi.WriteJSON(w, http.StatusOK, res)
}

// authData is generate-auth-data: result is the metric label.
func (n *NF) authData(ctx context.Context, id string, req models.Udm_UEAU_AuthenticationInfoRequest) (
	models.Udm_UEAU_AuthenticationInfoResult, string, error) {
	var none models.Udm_UEAU_AuthenticationInfoResult
	rs, err := CheckAuthInfoRequest(req)
	if err != nil {
		return none, resultBadRequest, err
	}
	supi, scheme, err := n.suci.resolve(id)
	if scheme != "" {
		n.metrics.deconceal.WithLabelValues(scheme, map[bool]string{true: "ok", false: "failed"}[err == nil]).Inc()
	}
	if err != nil {
		if sbi.StatusOf(err) == http.StatusBadRequest {
			return none, resultBadRequest, err
		}
		return none, resultRejected, err
	}
	unlock := n.locks.lock(supi)
	defer unlock()
	v, err := n.vector(ctx, supi, req.ServingNetworkName, rs)
	if err != nil {
		switch sbi.CauseOf(err) {
		case CauseUserNotFound:
			return none, resultUserNotFound, err
		case CauseAuthenticationRejected:
			return none, resultRejected, err
		}
		return none, resultError, err
	}
	result := resultOK
	if rs != nil {
		result = resultResync
	}
	return models.Udm_UEAU_AuthenticationInfoResult{
		AuthType: models.Udm_UEAU_AuthType_5_G_AKA,
		Supi:     supi,
		AuthenticationVector: &models.Udm_UEAU_AuthenticationVector{
			AvType: models.Udm_UEAU_AvType_5_G_HE_AKA,
			Rand:   v.RAND.String(), Autn: v.AUTN.String(), XresStar: v.XRESStar.String(), Kausf: v.KAUSF.String(),
		},
	}, result, nil
}

// vector claims the next SQN on the UDR (or the one after SQNms on
// resynchronisation) and builds the 5G HE AV with it.
func (n *NF) vector(ctx context.Context, supi, snn string, rs *Resync) (aka.Vector, error) {
	for attempt := 1; ; attempt++ {
		sub, err := n.udr.AuthSubscription(ctx, supi)
		if err != nil {
			return aka.Vector{}, upstream(err)
		}
		mil, amf, cur, err := subscriptionKeys(sub)
		if err != nil {
			return aka.Vector{}, sbi.NewProblem(http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
		}
		next := cur.Next()
		if rs != nil {
			sqnMS, err := mil.VerifyAUTS(rs.RAND, rs.AUTS)
			if err != nil {
				return aka.Vector{}, sbi.NewProblem(http.StatusForbidden, CauseAuthenticationRejected,
					"resynchronisation: AUTS does not verify (MAC-S)")
			}
			next = aka.ResyncSQN(sqnMS)
		}
		err = n.udr.UpdateSQN(ctx, supi, cur.String(), next.String())
		if errors.Is(err, udr.ErrSQNConflict) && attempt < maxSQNAttempts {
			n.metrics.sqnConflicts.Inc()
			pause(ctx, attempt)
			continue
		}
		if errors.Is(err, udr.ErrSQNConflict) {
			return aka.Vector{}, sbi.NewProblem(http.StatusServiceUnavailable, sbi.CauseNFCongestion,
				fmt.Sprintf("sqn of %s still contended after %d attempts", supi, attempt))
		}
		if err != nil {
			return aka.Vector{}, upstream(err)
		}
		rand, err := aka.NewRAND()
		if err != nil {
			return aka.Vector{}, err
		}
		return mil.GenerateVector(next, amf, snn, rand)
	}
}

// pause backs off a random 0..attempt ms so contending UDMs spread out.
func pause(ctx context.Context, attempt int) {
	// Exponential with jitter: a UDM that keeps losing the conditional
	// update to another one backs off further each time (up to about 1 s).
	limit := int64(time.Millisecond) << min(attempt, 10)
	t := time.NewTimer(time.Duration(rand.Int64N(limit) + 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// subscriptionKeys reads K, OPc, AMF and SQN of a 5G AKA subscription.
func subscriptionKeys(s models.Udr_DR_AuthenticationSubscription) (*aka.Milenage, aka.AMF, aka.SQN, error) {
	if s.AuthenticationMethod != models.Udr_DR_AuthMethod_5_G_AKA || s.SequenceNumber == nil {
		return nil, 0, 0, fmt.Errorf("subscription of %s: method %q without 5G AKA data", s.Supi, s.AuthenticationMethod)
	}
	k, err1 := hex.DecodeString(s.EncPermanentKey)
	opc, err2 := hex.DecodeString(s.EncOpcKey)
	amf, err3 := strconv.ParseUint(s.AuthenticationManagementField, 16, 16)
	sqn, err4 := strconv.ParseUint(s.SequenceNumber.Sqn, 16, 48)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, 0, 0, fmt.Errorf("subscription of %s is corrupt: %w", s.Supi, err)
	}
	mil, err := aka.NewMilenage(k, opc)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("subscription of %s: %w", s.Supi, err)
	}
	return mil, aka.AMF(amf), aka.SQN(sqn), nil
}

// upstream turns a UDR failure into our answer: an unknown user stays
// 404 USER_NOT_FOUND, an unreachable UDR is 504, the rest 500.
func upstream(err error) error {
	switch st := sbi.StatusOf(err); {
	case st == http.StatusNotFound && sbi.CauseOf(err) == udr.CauseUserNotFound:
		return sbi.NewProblem(http.StatusNotFound, CauseUserNotFound, "no such subscriber")
	case st == http.StatusNotFound:
		return sbi.NewProblem(http.StatusNotFound, sbi.CauseOf(err), err.Error())
	case st == 0 || st == http.StatusServiceUnavailable:
		return sbi.NewProblem(http.StatusGatewayTimeout, sbi.CauseTargetNFNotReachable, err.Error())
	}
	return sbi.NewProblem(http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
}
