package ue

import (
	"context"
	"errors"
	"fmt"

	"github.com/corebox/corebox/nf/proto/naseps"
)

// activateDefault takes an Activate Default EPS Bearer Context Request:
// a new PDN connection whose IPv4 address goes on the data plane.
// requested is the APN we asked for ("" when the network chose).
func (u *UE) activateDefault(m *naseps.ActivateDefaultBearerRequest, requested string) error {
	if m.EBI < minEBI || m.EBI > maxEBI || u.eps.bearers[m.EBI] != nil {
		return fmt.Errorf("default bearer with EBI %d, which is invalid or in use", m.EBI)
	}
	if !m.PDNAddress.IPv4.Is4() {
		return fmt.Errorf("default bearer %d without an IPv4 address", m.EBI)
	}
	p := &pdnConn{apn: string(m.APN), ebi: m.EBI, addr: m.PDNAddress.IPv4}
	if p.apn == "" {
		p.apn = requested
	}
	if m.PCO != nil {
		p.pcscf, p.dns = m.PCO.IPv4s(naseps.PCOPCSCFIPv4), m.PCO.IPv4s(naseps.PCODNSServerIPv4)
	}
	if err := u.sim.dp.add(u, m.EBI, p.addr); err != nil {
		return fmt.Errorf("data plane: %w", err)
	}
	u.eps.pdns[m.EBI] = p
	u.eps.bearers[m.EBI] = &epsBearer{ebi: m.EBI, linked: m.EBI, qci: m.QoS.QCI}
	if u.eps.ready(m.EBI) {
		u.sim.dp.setReady(p.addr, true)
	}
	return nil
}

// pdnConnect runs a UE-requested PDN connectivity procedure (TS 24.301
// 6.5.1) to apn: PDN Connectivity Request, then the network's Activate
// Default EPS Bearer Context Request (Accept) or PDN Connectivity Reject.
// The detail is the new address.
func (u *UE) pdnConnect(ctx context.Context, apn string) (string, error) {
	if !u.registered {
		return "", errNotReg
	}
	if p := u.eps.pdnByAPN(apn); p != nil {
		return "", fmt.Errorf("PDN connection to %s already established", apn)
	}
	if err := u.serviceRequestEPS(ctx); err != nil {
		return "", err
	}
	addr, err := u.pdnConnectSteps(ctx, apn)
	u.sim.m.lte.pdnConnectivity.WithLabelValues(outcome(err)).Inc()
	return addr, err
}

func (u *UE) pdnConnectSteps(ctx context.Context, apn string) (string, error) {
	pti := u.eps.nextPTI()
	req := &naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: pti}, RequestType: naseps.RequestInitial,
		PDNType: naseps.PDNTypeIPv4, APN: naseps.APN(apn), PCO: pcoRequest()}
	if err := u.sendEPSSecured(req); err != nil {
		return "", err
	}
	var got *pdnConn
	for {
		if got != nil && u.eps.pdns[got.ebi] != got {
			return "", errors.New("the network deactivated the new PDN connection")
		}
		if got != nil && u.eps.ready(got.ebi) {
			u.sim.dp.setReady(got.addr, true)
			return got.addr.String(), nil
		}
		ev, err := u.next(ctx)
		if err != nil {
			return "", err
		}
		switch ev.kind {
		case evRelease:
			u.released()
			return "", errReleased
		case evNAS:
		default:
			u.unsolicitedEPS(ctx, ev)
			continue
		}
		dl, err := u.openEPS(ev.nas)
		if err != nil {
			continue
		}
		switch m := dl.msg.(type) {
		case *naseps.ActivateDefaultBearerRequest:
			if m.PTI != pti || got != nil {
				u.networkInitiatedEPS(dl)
				continue
			}
			if got, err = u.acceptDefault(m, apn); err != nil {
				return "", err
			}
		case *naseps.PDNConnectivityReject:
			if m.PTI == pti {
				return "", fmt.Errorf("pdn connectivity %w: %s", errRejected, esmCause(m.Cause))
			}
		default:
			u.networkInitiatedEPS(dl)
		}
	}
}

// acceptDefault activates the default bearer of a PDN connection we
// asked for and accepts it; a bearer we cannot take is rejected.
func (u *UE) acceptDefault(m *naseps.ActivateDefaultBearerRequest, apn string) (*pdnConn, error) {
	if err := u.activateDefault(m, apn); err != nil {
		rej := &naseps.ActivateDefaultBearerReject{ESMHeader: m.ESMHeader, Cause: naseps.ESMCauseProtocolErrorUnspecified}
		if serr := u.sendEPSSecured(rej); serr != nil {
			u.sim.log.Debug("default bearer reject", "supi", u.supi, "err", serr)
		}
		return nil, err
	}
	if err := u.sendEPSSecured(&naseps.ActivateDefaultBearerAccept{ESMHeader: m.ESMHeader}); err != nil {
		return nil, err
	}
	u.publish()
	return u.eps.pdns[m.EBI], nil
}

// networkInitiatedEPS handles a NAS message outside any UE procedure, or
// one a procedure does not wait for.
func (u *UE) networkInitiatedEPS(dl epsDownlink) {
	var err error
	switch m := dl.msg.(type) {
	case *naseps.ActivateDedicatedBearerRequest:
		err = u.activateDedicated(m)
	case *naseps.DeactivateBearerRequest:
		err = u.deactivateBearer(m)
	case *naseps.NetworkDetachRequest:
		err = u.networkDetach(m)
	case *naseps.IdentityRequest:
		err = u.identityResponse(m, false)
	case *naseps.AuthenticationRequest:
		err = u.authenticateEPS(m, false)
	case *naseps.SecurityModeCommand:
		err = u.securityModeEPS(m, dl.raw)
	case *naseps.AuthenticationReject:
		u.forgetEPS(true)
	case *naseps.EMMInformation:
	default:
		u.sim.m.nasDropped.WithLabelValues("unexpected").Inc()
		u.sim.log.Debug("nas message outside a procedure ignored", "supi", u.supi, "type", dl.msg.MessageType())
	}
	if err != nil {
		u.sim.log.Warn("network-initiated procedure", "supi", u.supi, "type", dl.msg.MessageType(), "err", err)
	}
}

// activateDedicated takes a dedicated bearer (TS 24.301 6.4.2): its TFT
// steers matching uplink packets of the linked PDN connection onto it.
func (u *UE) activateDedicated(m *naseps.ActivateDedicatedBearerRequest) error {
	var cause naseps.ESMCause
	switch {
	case u.eps.pdns[m.LinkedEBI] == nil:
		cause = naseps.ESMCauseInvalidEBI
	case m.EBI < minEBI || m.EBI > maxEBI || u.eps.bearers[m.EBI] != nil:
		cause = naseps.ESMCauseInvalidEBI
	case m.TFT.Op != naseps.TFTCreate || len(m.TFT.Filters) == 0:
		cause = naseps.ESMCauseSemanticErrorInTFT
	}
	if cause != 0 {
		u.sim.m.lte.dedicated.WithLabelValues("rejected").Inc()
		return u.sendEPSSecured(&naseps.ActivateDedicatedBearerReject{ESMHeader: m.ESMHeader, Cause: cause})
	}
	b := &epsBearer{ebi: m.EBI, linked: m.LinkedEBI, qci: m.QoS.QCI, filters: m.TFT.Filters}
	u.eps.bearers[m.EBI] = b
	u.eps.rebuildFilters()
	u.sim.m.lte.dedicated.WithLabelValues("activated").Inc()
	u.publish()
	err := u.sendEPSSecured(&naseps.ActivateDedicatedBearerAccept{ESMHeader: m.ESMHeader})
	u.bearerChanged(b, true)
	return err
}

// deactivateBearer takes a Deactivate EPS Bearer Context Request: a
// dedicated bearer goes alone, a default bearer with its whole PDN
// connection (TS 24.301 6.4.4).
func (u *UE) deactivateBearer(m *naseps.DeactivateBearerRequest) error {
	if b := u.eps.bearers[m.EBI]; b != nil {
		if b.dedicated() {
			u.sim.m.lte.dedicated.WithLabelValues("deactivated").Inc()
		}
		u.dropBearer(b)
		u.publish()
	}
	return u.sendEPSSecured(&naseps.DeactivateBearerAccept{ESMHeader: m.ESMHeader})
}

// dropBearer removes a bearer; a default one takes its PDN connection and
// dedicated bearers along.
func (u *UE) dropBearer(b *epsBearer) {
	delete(u.eps.bearers, b.ebi)
	if b.dedicated() {
		u.bearerChanged(b, false)
	} else {
		for ebi, d := range u.eps.bearers {
			if d.linked == b.ebi {
				delete(u.eps.bearers, ebi)
				u.bearerChanged(d, false)
			}
		}
		if p := u.eps.pdns[b.ebi]; p != nil {
			delete(u.eps.pdns, b.ebi)
			u.sim.dp.remove(p.addr)
		}
	}
	u.eps.rebuildFilters()
}

// networkDetach answers a network-initiated detach: Detach Accept, then
// local detach; some causes also void the GUTI and security context
// (TS 24.301 5.5.2.3.2). A re-attach is left to the control API.
func (u *UE) networkDetach(m *naseps.NetworkDetachRequest) error {
	err := u.sendEPSSecured(&naseps.DetachAccept{})
	u.sim.m.lte.networkDetaches.Inc()
	u.forgetEPS(m.Cause != nil && voidsGUTI(*m.Cause))
	return err
}

// voidsGUTI tells the EMM causes after which the UE deletes its GUTI and
// security context (TS 24.301 5.5.1.2.5, 5.5.3.2.5): the network no
// longer knows them, so the next attach is by IMSI.
func voidsGUTI(c naseps.EMMCause) bool {
	switch c {
	case naseps.EMMCauseIllegalUE, naseps.EMMCauseIllegalME, naseps.EMMCauseEPSServicesNotAllowed,
		naseps.EMMCauseEPSAndNonEPSNotAllowed, naseps.EMMCauseUEIdentityCannotBeDerived:
		return true
	}
	return false
}

// forgetEPS ends the registration locally: bearers, PDN connections and
// their addresses go. full also drops the GUTI and security context (the
// network no longer knows them).
func (u *UE) forgetEPS(full bool) {
	for _, b := range u.eps.bearers {
		if !b.dedicated() {
			u.dropBearer(b)
		}
	}
	u.eps.bearers = map[uint8]*epsBearer{}
	u.eps.rebuildFilters()
	u.registered, u.eps.pending = false, nil
	u.stopT3412()
	if full {
		u.eps.guti, u.eps.sec, u.eps.ksi = nil, nil, naseps.NoKey
	}
	u.publish()
}

var errNoPDN = errors.New("no PDN connection")

// esmCause names an ESM cause for reports.
func esmCause(c naseps.ESMCause) string {
	if n, ok := esmCauses[c]; ok {
		return fmt.Sprintf("#%d %s", c, n)
	}
	return fmt.Sprintf("#%d", c)
}

var esmCauses = map[naseps.ESMCause]string{
	naseps.ESMCauseOperatorDeterminedBarring: "operator determined barring", naseps.ESMCauseInsufficientResources: "insufficient resources",
	naseps.ESMCauseUnknownAPN: "missing or unknown APN", naseps.ESMCauseUnknownPDNType: "unknown PDN type",
	naseps.ESMCauseUserAuthenticationFailed: "user authentication failed", naseps.ESMCauseRejectedByGateway: "request rejected by serving GW or PDN GW",
	naseps.ESMCauseRequestRejectedUnspecified: "request rejected, unspecified", naseps.ESMCauseServiceOptionNotSupported: "service option not supported",
	naseps.ESMCauseServiceOptionNotSubscribed: "requested service option not subscribed", naseps.ESMCausePTIAlreadyInUse: "PTI already in use",
	naseps.ESMCauseRegularDeactivation: "regular deactivation", naseps.ESMCauseNetworkFailure: "network failure",
	naseps.ESMCauseInvalidEBI: "invalid EPS bearer identity", naseps.ESMCausePDNTypeIPv4OnlyAllowed: "PDN type IPv4 only allowed",
	naseps.ESMCauseProtocolErrorUnspecified: "protocol error",
}
