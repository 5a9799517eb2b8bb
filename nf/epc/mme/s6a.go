package mme

import (
	"context"
	"errors"
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// s6aError is an answer other than success, with the EMM cause a UE is
// refused with (TS 29.272 Annex A, Table A.1).
type s6aError struct {
	cmd    string
	result diameter.Result
}

func (e *s6aError) Error() string { return fmt.Sprintf("S6a %s answered %s", e.cmd, e.result) }

// emmCauseOf maps an S6a failure to the EMM cause of TS 29.272 Annex A
// Table A.1; anything without a mapping (no answer, garbage, a base
// protocol error) is #17 network failure.
func emmCauseOf(err error) naseps.EMMCause {
	var se *s6aError
	if !errors.As(err, &se) || !se.result.Experimental {
		return naseps.EMMCauseNetworkFailure
	}
	switch se.result.Code {
	case diameter.ExpErrorUserUnknown:
		return naseps.EMMCauseEPSAndNonEPSNotAllowed // #8
	case diameter.ExpErrorUnknownEPSSubscription:
		return naseps.EMMCauseNoSuitableCellsInTA // #15
	case diameter.ExpErrorRATNotAllowed:
		return naseps.EMMCauseRoamingNotAllowedInTA // #13
	case diameter.ExpErrorRoamingNotAllowed:
		return naseps.EMMCausePLMNNotAllowed // #11
	}
	return naseps.EMMCauseNetworkFailure
}

// requestHeader is the header of our S6a requests.
func (m *MME) requestHeader() diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: diameter.NewSessionID(m.cfg.Diameter.OriginHost),
		OriginHost: m.cfg.Diameter.OriginHost, OriginRealm: m.cfg.Diameter.OriginRealm,
		DestinationHost: m.cfg.HSS.DestinationHost, DestinationRealm: m.cfg.HSS.DestinationRealm}
}

func (m *MME) visitedPLMN() diameter.PLMNID {
	id, _ := diameter.NewPLMNID(m.plmn.MCC, m.plmn.MNC) // validated
	return id
}

// s6aRequest sends req to the HSS within the request timeout (which also
// bounds waiting for a connection) and returns the answer.
func (m *MME) s6aRequest(ctx context.Context, cmd string, req *diam.Message) (*diam.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, m.s6a.Config().WithDefaults().RequestTimeout)
	defer cancel()
	m.countMsg(ifS6a, dirTx, cmd+"R")
	ans, err := m.s6a.Request(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("S6a %sR: %w", cmd, err)
	}
	m.countMsg(ifS6a, dirRx, cmd+"A")
	return ans, nil
}

// authInfo asks the HSS for one EPS vector (AIR/AIA), with resync
// information after a synch failure.
func (m *MME) authInfo(ctx context.Context, imsi string, resync *diameter.Resync) (diameter.EUTRANVector, error) {
	air := &diameter.AIR{RequestHeader: m.requestHeader(), UserName: imsi, VisitedPLMN: m.visitedPLMN(),
		Vectors: 1, ImmediateResponsePreferred: true, Resync: resync}
	req, err := air.Build()
	if err != nil {
		return diameter.EUTRANVector{}, err
	}
	ans, err := m.s6aRequest(ctx, "AI", req)
	if err != nil {
		return diameter.EUTRANVector{}, err
	}
	aia, err := diameter.ParseAIA(ans)
	if err != nil {
		m.m.malformed.s6a.Add(1)
		return diameter.EUTRANVector{}, fmt.Errorf("AIA: %w", err)
	}
	if !aia.Result.OK() {
		return diameter.EUTRANVector{}, &s6aError{cmd: "AIR", result: aia.Result}
	}
	if len(aia.Vectors) == 0 {
		return diameter.EUTRANVector{}, fmt.Errorf("AIA: success without an E-UTRAN vector")
	}
	return aia.Vectors[0], nil
}

// updateLocation registers us as the UE's MME (ULR/ULA) and returns the
// subscription.
func (m *MME) updateLocation(ctx context.Context, imsi string) (*diameter.SubscriptionData, error) {
	ulr := &diameter.ULR{RequestHeader: m.requestHeader(), UserName: imsi, RATType: diameter.RATTypeEUTRAN,
		Flags: diameter.ULRS6aS6dIndicator | diameter.ULRInitialAttachIndicator, VisitedPLMN: m.visitedPLMN()}
	req, err := ulr.Build()
	if err != nil {
		return nil, err
	}
	ans, err := m.s6aRequest(ctx, "UL", req)
	if err != nil {
		return nil, err
	}
	ula, err := diameter.ParseULA(ans)
	if err != nil {
		m.m.malformed.s6a.Add(1)
		return nil, fmt.Errorf("ULA: %w", err)
	}
	if !ula.Result.OK() {
		return nil, &s6aError{cmd: "ULR", result: ula.Result}
	}
	if ula.Subscription == nil || ula.Subscription.APNProfile == nil {
		return nil, &s6aError{cmd: "ULR", result: diameter.Experimental(diameter.ExpErrorUnknownEPSSubscription)}
	}
	return ula.Subscription, nil
}

// purge tells the HSS the UE's context here is gone (PUR/PUA).
func (m *MME) purge(ctx context.Context, imsi string) error {
	pur := &diameter.PUR{RequestHeader: m.requestHeader(), UserName: imsi}
	req, err := pur.Build()
	if err != nil {
		return err
	}
	ans, err := m.s6aRequest(ctx, "PU", req)
	if err != nil {
		return err
	}
	pua, err := diameter.ParsePUA(ans)
	if err != nil {
		m.m.malformed.s6a.Add(1)
		return fmt.Errorf("PUA: %w", err)
	}
	if !pua.Result.OK() {
		return &s6aError{cmd: "PUR", result: pua.Result}
	}
	return nil
}

// serveCLR answers the HSS's Cancel-Location-Request: the UE is detached
// here (TS 29.272 5.2.1.2). An IMSI we do not know is answered success.
func (m *MME) serveCLR(_ context.Context, _ *diameter.Peer, req *diam.Message) (*diam.Message, error) {
	m.countMsg(ifS6a, dirRx, "CLR")
	clr, err := diameter.ParseCLR(req)
	if err != nil {
		return nil, err // the Diameter layer answers and counts it
	}
	if u := m.byIMSI(clr.UserName); u != nil {
		u.do(func() { u.cancelLocation(clr.CancellationType) })
	}
	cla := &diameter.CLA{AnswerHeader: diameter.AnswerHeader{SessionID: clr.SessionID,
		OriginHost: m.cfg.Diameter.OriginHost, OriginRealm: m.cfg.Diameter.OriginRealm, Result: diameter.Success}}
	return cla.Build()
}
