package hss

import (
	"context"
	"errors"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// RAT types an EPS subscription may attach over: E-UTRAN, NB-IoT, LTE-M.
func ratAllowed(rat uint32) bool {
	return rat >= diameter.RATTypeEUTRAN && rat <= diameter.RATTypeEUTRAN+2
}

func (h *HSS) serveULR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	u, err := diameter.ParseULR(m)
	if err != nil {
		return nil, err
	}
	imsi, err := checkIMSI("ULR", u.UserName)
	if err != nil {
		return nil, err
	}
	if !ratAllowed(u.RATType) {
		return h.ula(u, diameter.Experimental(diameter.ExpErrorRATNotAllowed), nil)
	}
	sd, err := h.subscription(ctx, "imsi-"+imsi)
	switch {
	case errors.Is(err, errNoEPSSubscription):
		h.log.Info("ULR for a subscriber without APNs", "imsi", imsi)
		return h.ula(u, diameter.Experimental(diameter.ExpErrorUnknownEPSSubscription), nil)
	case err != nil:
		return h.ula(u, h.failure("ULR", imsi, err), nil)
	}
	h.register(imsi, u)
	if u.Flags&diameter.ULRSkipSubscriberData != 0 {
		sd = nil
	}
	return h.ula(u, diameter.Success, sd)
}

func (h *HSS) ula(u *diameter.ULR, res diameter.Result, sd *diameter.SubscriptionData) (*diam.Message, error) {
	a := &diameter.ULA{AnswerHeader: h.answer(u.SessionID, res), Subscription: sd}
	return a.Build()
}

// register records the MME of u as the serving one and, when another MME
// served the IMSI, cancels the location there (TS 29.272 5.2.1.1.3).
func (h *HSS) register(imsi string, u *diameter.ULR) {
	prev, had := h.mmes.set(imsi, Registration{MMEHost: u.OriginHost, MMERealm: u.OriginRealm, Updated: time.Now()})
	if !had || prev.MMEHost == u.OriginHost || prev.Purged {
		return
	}
	cause := diameter.CancelMMEUpdateProcedure
	if u.Flags&diameter.ULRInitialAttachIndicator != 0 {
		cause = diameter.CancelInitialAttachProcedure
	}
	h.clrCount.Add(1)
	h.cancels.Go(func() {
		defer h.clrCount.Add(-1)
		h.cancelLocation(imsi, prev, cause)
	})
}

// cancelLocation sends CLR to the previous MME. It runs on its own: the
// ULA does not wait for it, and the MME that sent the ULR leaving does
// not stop it (the request timeout and the old MME's connection do).
func (h *HSS) cancelLocation(imsi string, prev Registration, cause uint32) {
	log := h.log.With("imsi", imsi, "mme", prev.MMEHost)
	p, ok := h.dia.Peer(prev.MMEHost)
	if !ok {
		h.metrics.cancels.WithLabelValues(clrNoPeer).Inc()
		log.Warn("previous MME not connected: no Cancel-Location sent")
		return
	}
	clr := &diameter.CLR{RequestHeader: diameter.RequestHeader{SessionID: diameter.NewSessionID(h.cfg.Diameter.OriginHost),
		OriginHost: h.cfg.Diameter.OriginHost, OriginRealm: h.cfg.Diameter.OriginRealm,
		DestinationHost: prev.MMEHost, DestinationRealm: prev.MMERealm},
		UserName: imsi, CancellationType: cause, Flags: clrS6aIndicator}
	m, err := clr.Build()
	if err == nil {
		var ans *diam.Message
		if ans, err = p.Request(context.Background(), m); err == nil {
			err = parseCLAResult(ans)
		}
	}
	if err != nil {
		h.metrics.cancels.WithLabelValues(clrFailed).Inc()
		log.Warn("Cancel-Location failed", "err", err)
		return
	}
	h.metrics.cancels.WithLabelValues(clrOK).Inc()
	log.Info("location cancelled at the previous MME", "cancellation_type", cause)
}

// clrS6aIndicator is CLR-Flags bit 0: the request goes over S6a.
const clrS6aIndicator = 1

func parseCLAResult(m *diam.Message) error {
	cla, err := diameter.ParseCLA(m)
	if err != nil {
		return err
	}
	return cla.Result.Err("CLA")
}

func (h *HSS) servePUR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	pur, err := diameter.ParsePUR(m)
	if err != nil {
		return nil, err
	}
	imsi, err := checkIMSI("PUR", pur.UserName)
	if err != nil {
		return nil, err
	}
	if _, err := h.udr.AMData(ctx, "imsi-"+imsi, h.cfg.HomePLMN.ID()); err != nil {
		a := &diameter.PUA{AnswerHeader: h.answer(pur.SessionID, h.failure("PUR", imsi, err))}
		return a.Build()
	}
	// Only the serving MME purges; it may then freeze the M-TMSI (TS
	// 29.272 5.2.1.3.3).
	var flags uint32
	if h.mmes.purge(imsi, pur.OriginHost) {
		flags = diameter.PUAFreezeMTMSI
		h.log.Info("UE purged", "imsi", imsi, "mme", pur.OriginHost)
	}
	a := &diameter.PUA{AnswerHeader: h.answer(pur.SessionID, diameter.Success), Flags: flags}
	return a.Build()
}
