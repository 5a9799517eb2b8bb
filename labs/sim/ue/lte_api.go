package ue

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit"
)

// Control API paths lte mode adds.
const (
	// PathPDNs lists every UE's PDN connections, bearers, and the P-CSCF
	// and DNS addresses the network gave (GET, []UEPDNs).
	PathPDNs = "/ues/pdns"
	// PathTAU runs a tracking area update (POST TAURequest, simapi.Results).
	PathTAU = "/ues/tau"
)

// TAURequest asks UEs for a tracking area update.
type TAURequest struct {
	simapi.Selector
	// Periodic sends update type "periodic updating" (else "TA updating").
	Periodic bool `json:"periodic,omitempty"`
}

func (n *NF) lteRoutes() {
	n.ops.Handle("GET "+PathPDNs, http.HandlerFunc(n.listPDNs))
	n.ops.Handle("POST "+PathTAU, handle(n, "tau", n.planTAU))
	n.imsRoutes()
}

func (n *NF) listPDNs(w http.ResponseWriter, _ *http.Request) {
	out := make([]UEPDNs, len(n.ues))
	for i, u := range n.ues {
		out[i] = u.PDNs()
	}
	nfkit.WriteJSON(w, http.StatusOK, out)
}

// PDNs is the UE as GET /ues/pdns reports it (lte mode).
func (u *UE) PDNs() UEPDNs {
	st := u.State()
	pdns := u.snapshot().pdns
	if pdns == nil {
		pdns = []PDNState{}
	}
	return UEPDNs{SUPI: st.SUPI, State: st.State, GUTI: st.GUTI, PDNs: pdns}
}

// planPDN is the sessions step in lte mode: a PDN connection to dnn (the
// APN; default session.dnn). The network picks the EBI, so id must be 0.
func (n *NF) planPDN(r *simapi.SessionRequest) (plan, error) {
	apn := r.DNN
	if apn == "" {
		apn = n.cfg.Session.DNN
	}
	if r.ID != 0 {
		return plan{}, fmt.Errorf("id %d: in lte mode the network assigns the EPS bearer identity; leave id out", r.ID)
	}
	if err := checkAPN(apn); err != nil {
		return plan{}, fmt.Errorf("dnn: %w", err)
	}
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		d, err := u.run(ctx, func(ctx context.Context) (string, error) { return u.pdnConnect(ctx, apn) })
		return d, nil, err
	}}, nil
}

func (n *NF) planTAU(r *TAURequest) (plan, error) {
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		_, err := u.run(ctx, func(ctx context.Context) (string, error) { return "", u.trackingAreaUpdate(ctx, r.Periodic) })
		return "", nil, err
	}}, nil
}

// registerStep is the register step: a 5GS registration, or an EPS attach.
func (u *UE) registerStep(ctx context.Context) (string, error) {
	if u.eps != nil {
		return u.attach(ctx)
	}
	return u.register(ctx)
}

// deregisterStep is the deregister step: deregistration, or detach.
func (u *UE) deregisterStep(ctx context.Context, switchOff bool) error {
	if u.eps != nil {
		return u.detach(ctx, switchOff)
	}
	return u.deregister(ctx, switchOff)
}

// activeStep is where the traffic step sends from.
func (u *UE) activeStep(ctx context.Context) (uint8, netip.Addr, error) {
	if u.eps != nil {
		return u.activeBearerEPS(ctx)
	}
	return u.activeSession(ctx)
}
