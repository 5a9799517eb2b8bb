package hss

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// maxSQNAttempts bounds the read/claim rounds of one AIR when other HSSs
// or UDMs keep moving the SQN (as nf/5gc/udm does).
const maxSQNAttempts = 12

func (h *HSS) serveAIR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	air, err := diameter.ParseAIR(m)
	if err != nil {
		return nil, err
	}
	imsi, err := checkIMSI("AIR", air.UserName)
	if err != nil {
		return nil, err
	}
	mcc, mnc, err := air.VisitedPLMN.Split()
	if err != nil {
		return nil, &diameter.InvalidAVPError{Command: "AIR", AVP: "Visited-PLMN-Id", Reason: err.Error()}
	}
	n := min(max(air.Vectors, 1), h.cfg.MaxVectors)
	vectors, res := h.vectors(ctx, imsi, n, mcc, mnc, air.Resync)
	a := &diameter.AIA{AnswerHeader: h.answer(air.SessionID, res), Vectors: vectors}
	return a.Build()
}

// vectors claims n SQNs on the UDR and builds as many EPS vectors for
// the serving network mcc/mnc; res is the result to answer.
func (h *HSS) vectors(ctx context.Context, imsi string, n uint32, mcc, mnc string, rs *diameter.Resync) (
	[]diameter.EUTRANVector, diameter.Result) {
	supi := "imsi-" + imsi
	unlock := h.locks.lock(supi)
	defer unlock()
	first, amf, mil, err := h.claimSQNs(ctx, supi, n, rs)
	if err != nil {
		return nil, h.failure("AIR", imsi, err)
	}
	out := make([]diameter.EUTRANVector, 0, n)
	sqn := first
	for range n {
		rand, err := aka.NewRAND()
		if err != nil {
			return nil, h.failure("AIR", imsi, err)
		}
		v, err := mil.GenerateEPSVector(sqn, amf, mcc, mnc, rand)
		if err != nil {
			return nil, h.failure("AIR", imsi, err)
		}
		out = append(out, diameter.EUTRANVector{RAND: v.RAND, XRES: v.XRES[:], AUTN: v.AUTN, KASME: v.KASME})
		sqn = sqn.Next()
	}
	h.metrics.vectors.Add(float64(n))
	return out, diameter.Success
}

// claimSQNs moves the SQN on the UDR past n fresh values and returns the
// first, with the subscriber's AMF and Milenage. On resynchronisation the
// values follow the UE's SQNms (TS 33.102 6.3.5). The claim is a
// conditional update: losing it to another writer means reading again.
func (h *HSS) claimSQNs(ctx context.Context, supi string, n uint32, rs *diameter.Resync) (
	aka.SQN, aka.AMF, *aka.Milenage, error) {
	for attempt := 1; ; attempt++ {
		sub, err := h.udr.AuthSubscription(ctx, supi)
		if err != nil {
			return 0, 0, nil, err
		}
		mil, amf, cur, err := subscriptionKeys(sub)
		if err != nil {
			return 0, 0, nil, err
		}
		first := cur.Next()
		if rs != nil {
			first = h.resyncSQN(mil, rs, first)
		}
		last := first
		for range n - 1 {
			last = last.Next()
		}
		err = h.udr.UpdateSQN(ctx, supi, cur.String(), last.String())
		switch {
		case errors.Is(err, udr.ErrSQNConflict) && attempt < maxSQNAttempts:
			h.metrics.sqnConflicts.Inc()
			pause(ctx, attempt)
			continue
		case errors.Is(err, udr.ErrSQNConflict):
			return 0, 0, nil, fmt.Errorf("sqn of %s still contended after %d attempts: %w", supi, attempt, err)
		case err != nil:
			return 0, 0, nil, err
		}
		// EPS AKA needs the AMF separation bit (TS 33.401 6.1.2).
		return first, amf | aka.AMF5G, mil, nil
	}
}

// resyncSQN is the first SQN after a synchronisation failure: SQNms's
// successor when MAC-S verifies. When it does not, TS 33.102 6.3.5 has the
// HE send fresh vectors without resetting its SQN: next stays.
func (h *HSS) resyncSQN(mil *aka.Milenage, rs *diameter.Resync, next aka.SQN) aka.SQN {
	sqnMS, err := mil.VerifyAUTS(aka.RAND(rs.RAND), aka.AUTS(rs.AUTS))
	if err != nil {
		h.metrics.resyncs.WithLabelValues(resyncMACFailure).Inc()
		h.log.Warn("resynchronisation refused: AUTS does not verify (MAC-S); keeping the SQN", "err", err)
		return next
	}
	h.metrics.resyncs.WithLabelValues(resyncOK).Inc()
	return aka.ResyncSQN(sqnMS)
}

// pause backs off a random 0..2^attempt ms (up to about 1 s), so
// contending writers spread out, as nf/5gc/udm does.
func pause(ctx context.Context, attempt int) {
	limit := int64(time.Millisecond) << min(attempt, 10)
	t := time.NewTimer(time.Duration(rand.Int64N(limit) + 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// subscriptionKeys reads K, OPc, AMF and SQN of an authentication
// subscription (the UDR keeps 5G AKA data, which EPS AKA uses alike).
func subscriptionKeys(s models.Udr_DR_AuthenticationSubscription) (*aka.Milenage, aka.AMF, aka.SQN, error) {
	if s.SequenceNumber == nil {
		return nil, 0, 0, fmt.Errorf("%w: subscription of %s has no sequence number", errCorrupt, s.Supi)
	}
	k, err1 := hex.DecodeString(s.EncPermanentKey)
	opc, err2 := hex.DecodeString(s.EncOpcKey)
	amf, err3 := strconv.ParseUint(s.AuthenticationManagementField, 16, 16)
	sqn, err4 := strconv.ParseUint(s.SequenceNumber.Sqn, 16, 48)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: subscription of %s: %w", errCorrupt, s.Supi, err)
	}
	mil, err := aka.NewMilenage(k, opc)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: subscription of %s: %w", errCorrupt, s.Supi, err)
	}
	return mil, aka.AMF(amf), aka.SQN(sqn), nil
}

// failure maps an error on the way to an answer: an unknown subscriber is
// DIAMETER_ERROR_USER_UNKNOWN; a UDR that cannot be reached, or an SQN
// that stays contended, is transient (AIR:
// DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE, which the MME may retry);
// anything else is DIAMETER_UNABLE_TO_COMPLY.
func (h *HSS) failure(cmd, imsi string, err error) diameter.Result {
	st := sbi.StatusOf(err)
	switch {
	case st == http.StatusNotFound && sbi.CauseOf(err) == udr.CauseUserNotFound:
		return diameter.Experimental(diameter.ExpErrorUserUnknown)
	case errors.Is(err, errCorrupt):
	case errors.Is(err, udr.ErrSQNConflict), st == 0, st == http.StatusServiceUnavailable, st == http.StatusGatewayTimeout:
		h.log.Warn("subscriber data unavailable", "cmd", cmd, "imsi", imsi, "err", err)
		if cmd == "AIR" {
			return diameter.Experimental(diameter.ExpAuthenticationDataUnavailable)
		}
		return diameter.Result{Code: diameter.ResultUnableToComply}
	}
	h.log.Error("request failed", "cmd", cmd, "imsi", imsi, "err", err)
	return diameter.Result{Code: diameter.ResultUnableToComply}
}

// errCorrupt marks subscriber data the HSS cannot use.
var errCorrupt = errors.New("unusable subscriber data")

// answer is the header of our answers.
func (h *HSS) answer(session string, res diameter.Result) diameter.AnswerHeader {
	return diameter.AnswerHeader{SessionID: session, OriginHost: h.cfg.Diameter.OriginHost,
		OriginRealm: h.cfg.Diameter.OriginRealm, Result: res}
}

// checkIMSI accepts the User-Name of S6a: the IMSI, 6 to 15 digits.
func checkIMSI(cmd, user string) (string, error) {
	ok := len(user) >= 6 && len(user) <= 15
	for i := 0; ok && i < len(user); i++ {
		ok = user[i] >= '0' && user[i] <= '9'
	}
	if !ok {
		return "", &diameter.InvalidAVPError{Command: cmd, AVP: "User-Name", Reason: fmt.Sprintf("%q is not an IMSI", user)}
	}
	return user, nil
}
