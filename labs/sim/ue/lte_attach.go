package ue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// attach runs an EPS attach (TS 24.301 5.5.1.2) with a PDN connection to
// lte.apn (or the subscription's default), then connects lte.pdns. The
// detail is the GUTI.
func (u *UE) attach(ctx context.Context) (string, error) {
	if u.registered {
		return epsGUTIString(*u.eps.guti), nil
	}
	start := time.Now()
	err := u.attachSteps(ctx)
	u.sim.m.lte.attach(err, time.Since(start))
	if err != nil {
		// Start over next time, by GUTI when one is kept.
		u.forgetEPS(false)
		u.leave(!isReject(err))
		return "", err
	}
	detail := epsGUTIString(*u.eps.guti)
	for _, apn := range u.sim.res.eps.pdns {
		if _, err := u.pdnConnect(ctx, apn); err != nil {
			return detail, fmt.Errorf("attached, but the PDN connection to %s failed: %w", apn, err)
		}
	}
	return detail, nil
}

// attachRun is what one attach waits for.
type attachRun struct {
	pti      uint8 // of the PDN Connectivity Request inside
	accepted uint8 // default EBI once the Attach Accept is taken
}

func (u *UE) attachSteps(ctx context.Context) error {
	run := &attachRun{pti: u.eps.nextPTI()}
	pdu, err := u.attachRequest(run.pti)
	if err != nil {
		return err
	}
	if err := u.sendEPS(pdu); err != nil {
		return err
	}
	for {
		if run.accepted != 0 {
			p := u.eps.pdns[run.accepted]
			if p == nil {
				return errors.New("the network deactivated the default bearer during the attach")
			}
			if u.eps.ready(p.ebi) {
				u.sim.dp.setReady(p.addr, true)
				u.publish()
				return nil
			}
		}
		ev, err := u.next(ctx)
		if err != nil {
			return err
		}
		switch ev.kind {
		case evRelease:
			u.released()
			return errReleased
		case evNAS:
		default:
			u.unsolicitedEPS(ctx, ev)
			continue
		}
		dl, err := u.openEPS(ev.nas)
		if err != nil {
			continue
		}
		if err := u.attachMessage(run, dl); err != nil {
			return err
		}
	}
}

// attachMessage takes one downlink message during an attach.
func (u *UE) attachMessage(run *attachRun, dl epsDownlink) error {
	switch m := dl.msg.(type) {
	case *naseps.IdentityRequest:
		return u.identityResponse(m, true)
	case *naseps.AuthenticationRequest:
		return u.authenticateEPS(m, true)
	case *naseps.AuthenticationReject:
		u.forgetEPS(true)
		return errAuthRejected
	case *naseps.SecurityModeCommand:
		return u.securityModeEPS(m, dl.raw)
	case *naseps.ESMInformationRequest:
		return u.esmInformation(m)
	case *naseps.AttachReject:
		u.forgetEPS(voidsGUTI(m.Cause))
		return fmt.Errorf("attach %w: %s%s", errRejected, emmCause(m.Cause), esmRejectOf(m.ESMContainer))
	case *naseps.AttachAccept:
		if run.accepted != 0 {
			return nil // a duplicate: the first one counts
		}
		ebi, err := u.attachAccept(m, run.pti)
		run.accepted = ebi
		return err
	default:
		u.networkInitiatedEPS(dl)
	}
	return nil
}

// attachRequest builds the Attach Request: by GUTI when one is kept
// (integrity protected with the kept security context), else by IMSI.
func (u *UE) attachRequest(pti uint8) ([]byte, error) {
	r := u.sim.res.eps
	esm, err := (&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: pti}, RequestType: naseps.RequestInitial,
		PDNType: naseps.PDNTypeIPv4, ESMInfoTransfer: r.apn != "", PCO: pcoRequest()}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode pdn connectivity request: %w", err)
	}
	req := &naseps.AttachRequest{AttachType: naseps.AttachEPS, KSI: naseps.NoKey, Identity: naseps.IMSIIdentity(u.imsi.Digits()),
		UENetworkCapability: r.caps, ESMContainer: esm}
	if u.eps.guti != nil {
		req.Identity = naseps.GUTIIdentity(*u.eps.guti)
	}
	if u.eps.sec == nil || u.eps.guti == nil {
		b, err := req.Marshal()
		if err != nil {
			return nil, fmt.Errorf("encode attach request: %w", err)
		}
		return b, nil
	}
	req.KSI = u.eps.ksi
	pdu, err := u.eps.sec.ProtectMessage(req, naseps.IntegrityProtected)
	if err != nil {
		return nil, fmt.Errorf("protect attach request: %w", err)
	}
	return pdu, nil
}

// pcoRequest asks for the P-CSCF and DNS server addresses and for the
// address by NAS signalling (TS 24.008 10.5.6.3).
func pcoRequest() *naseps.PCO {
	p := &naseps.PCO{}
	for _, id := range []uint16{naseps.PCOPCSCFIPv4, naseps.PCODNSServerIPv4, naseps.PCOIPAddressViaNAS} {
		p.Add(id, nil)
	}
	return p
}

// identityResponse answers an Identity Request with the IMSI or IMEISV;
// during an attach it goes unprotected, as the network may not share our
// kept context (TS 24.301 4.4.4.3 lets the MME take it so).
func (u *UE) identityResponse(m *naseps.IdentityRequest, plain bool) error {
	id := naseps.MobileIdentity{Type: naseps.IdentityIMSI, Digits: u.imsi.Digits()}
	switch m.Type {
	case naseps.IdentityIMSI:
	case naseps.IdentityIMEISV:
		id = naseps.MobileIdentity{Type: naseps.IdentityIMEISV, Digits: u.imeisv}
	default:
		id = naseps.MobileIdentity{Type: naseps.IdentityNone}
	}
	resp := &naseps.IdentityResponse{Identity: id}
	if plain {
		return u.sendEPSPlain(resp)
	}
	return u.sendEPSAuto(resp)
}

// authenticateEPS checks a challenge with the USIM (EPS AKA, TS 33.401
// 6.1.1) and answers RES, or an Authentication Failure: #20 MAC failure,
// #21 synch failure with AUTS, #26 non-EPS authentication unacceptable.
func (u *UE) authenticateEPS(m *naseps.AuthenticationRequest, plain bool) error {
	p := u.sim.res.eps.plmn
	res, err := u.usim.AuthenticateEPS(aka.RAND(m.RAND), aka.AUTN(m.AUTN), p.MCC, p.MNC)
	var reply naseps.Message
	if err != nil {
		cause, ok := aka.CauseOf(err)
		if !ok {
			return fmt.Errorf("usim: %w", err)
		}
		fail := &naseps.AuthenticationFailure{Cause: naseps.EMMCause(cause)}
		var sf *aka.SynchFailureError
		if errors.As(err, &sf) {
			auts := [naseps.AUTSLen]byte(sf.AUTS)
			fail.AUTS = &auts
		}
		u.sim.m.authFailures.WithLabelValues(strconv.Itoa(int(cause))).Inc()
		reply = fail
	} else {
		u.eps.pending = &epsKeys{kasme: res.KASME, ksi: m.KSI}
		reply = &naseps.AuthenticationResponse{RES: res.RES[:]}
	}
	if plain {
		return u.sendEPSPlain(reply)
	}
	return u.sendEPSAuto(reply)
}

// securityModeEPS takes a Security Mode Command: it names the key set of
// our last authentication (or the context in use), replays our
// capabilities and selects algorithms we support (EIA0 never); it must
// verify under the keys it selects. EEA0 is honoured.
func (u *UE) securityModeEPS(m *naseps.SecurityModeCommand, raw []byte) error {
	caps := u.sim.res.eps.caps
	var kasme aka.Key256
	switch {
	case u.eps.pending != nil && m.KSI.Value == u.eps.pending.ksi.Value:
		kasme = u.eps.pending.kasme
	case u.eps.pending == nil && u.eps.sec != nil && m.KSI == u.eps.ksi:
		kasme = u.eps.kasme
	default:
		return u.rejectSecurityModeEPS(naseps.EMMCauseSecurityModeRejected, "no key set with that KSI")
	}
	switch {
	case m.ReplayedCapability.EEA != caps.EEA || m.ReplayedCapability.EIA != caps.EIA:
		return u.rejectSecurityModeEPS(naseps.EMMCauseUESecurityCapMismatch, "replayed capabilities differ")
	case m.IntAlg == naseps.EIA0 || m.IntAlg > 7 || caps.EIA&(0x80>>m.IntAlg) == 0 || caps.EEA&(0x80>>m.EncAlg) == 0:
		return u.rejectSecurityModeEPS(naseps.EMMCauseUESecurityCapMismatch, "algorithms not offered")
	}
	sc, err := naseps.NewSecurityContext(kasme, m.EncAlg, m.IntAlg, naseps.Uplink)
	if err != nil {
		return fmt.Errorf("derive nas keys: %w", err)
	}
	sc.AllowNull = m.EncAlg == naseps.EEA0 // EIA0 was refused above
	if _, _, err := sc.Unprotect(raw); err != nil {
		u.sim.m.nasDropped.WithLabelValues("integrity").Inc()
		return u.rejectSecurityModeEPS(naseps.EMMCauseSecurityModeRejected, "security mode command does not verify")
	}
	u.eps.sec, u.eps.ksi, u.eps.kasme, u.eps.pending = sc, m.KSI, kasme, nil
	complete := &naseps.SecurityModeComplete{}
	if m.IMEISVRequest {
		complete.IMEISV = u.imeisv
	}
	return u.sendEPSAs(complete, naseps.IntegrityProtectedAndCipheredNewContext)
}

func (u *UE) rejectSecurityModeEPS(cause naseps.EMMCause, why string) error {
	u.sim.log.Info("security mode command rejected", "supi", u.supi, "why", why)
	return u.sendEPSPlain(&naseps.SecurityModeReject{Cause: cause})
}

// esmInformation answers the network's ESM Information Request with the
// APN (and PCO) held back from the Attach Request until ciphering is on.
func (u *UE) esmInformation(m *naseps.ESMInformationRequest) error {
	resp := &naseps.ESMInformationResponse{ESMHeader: m.ESMHeader, PCO: pcoRequest()}
	resp.APN = naseps.APN(u.sim.res.eps.apn)
	return u.sendEPSAuto(resp)
}

// attachAccept takes the Attach Accept: GUTI, T3412, and the default
// bearer of the Activate Default EPS Bearer Context Request it carries,
// whose PDN address goes on the data plane; then Attach Complete with the
// Activate Default EPS Bearer Context Accept.
func (u *UE) attachAccept(m *naseps.AttachAccept, pti uint8) (uint8, error) {
	act, err := naseps.ParseAs[*naseps.ActivateDefaultBearerRequest](m.ESMContainer)
	if err != nil {
		return 0, fmt.Errorf("attach accept: esm container: %w", err)
	}
	if act.PTI != pti {
		return 0, fmt.Errorf("attach accept: default bearer for PTI %d, we asked with %d", act.PTI, pti)
	}
	switch {
	case m.GUTI != nil:
		g := *m.GUTI
		u.eps.guti = &g
	case u.eps.guti == nil:
		return 0, errors.New("attach accept without a GUTI")
	}
	u.eps.t3412, _ = m.T3412.Duration()
	if err := u.activateDefault(act, u.sim.res.eps.apn); err != nil {
		return 0, fmt.Errorf("attach accept: %w", err)
	}
	accept, err := (&naseps.ActivateDefaultBearerAccept{ESMHeader: act.ESMHeader}).Marshal()
	if err != nil {
		return 0, fmt.Errorf("encode default bearer accept: %w", err)
	}
	if err := u.sendEPSSecured(&naseps.AttachComplete{ESMContainer: accept}); err != nil {
		return 0, err
	}
	u.registered = true
	u.publish()
	return act.EBI, nil
}

// emmCause names an EMM cause for reports.
func emmCause(c naseps.EMMCause) string {
	if n, ok := emmCauses[c]; ok {
		return fmt.Sprintf("#%d %s", c, n)
	}
	return fmt.Sprintf("#%d", c)
}

var emmCauses = map[naseps.EMMCause]string{
	naseps.EMMCauseIllegalUE: "illegal UE", naseps.EMMCauseIllegalME: "illegal ME",
	naseps.EMMCauseEPSServicesNotAllowed: "EPS services not allowed", naseps.EMMCauseEPSAndNonEPSNotAllowed: "EPS and non-EPS services not allowed",
	naseps.EMMCauseUEIdentityCannotBeDerived: "UE identity cannot be derived", naseps.EMMCauseImplicitlyDetached: "implicitly detached",
	naseps.EMMCausePLMNNotAllowed: "PLMN not allowed", naseps.EMMCauseTANotAllowed: "tracking area not allowed",
	naseps.EMMCauseRoamingNotAllowedInTA: "roaming not allowed in this tracking area",
	naseps.EMMCauseEPSNotAllowedInPLMN:   "EPS services not allowed in this PLMN",
	naseps.EMMCauseNoSuitableCellsInTA:   "no suitable cells in tracking area", naseps.EMMCauseNetworkFailure: "network failure",
	naseps.EMMCauseESMFailure: "ESM failure", naseps.EMMCauseMACFailure: "MAC failure", naseps.EMMCauseSynchFailure: "synch failure",
	naseps.EMMCauseCongestion: "congestion", naseps.EMMCauseUESecurityCapMismatch: "UE security capabilities mismatch",
	naseps.EMMCauseSecurityModeRejected: "security mode rejected", naseps.EMMCauseNonEPSAuthUnacceptable: "non-EPS authentication unacceptable",
	naseps.EMMCauseSemanticallyIncorrect: "semantically incorrect message", naseps.EMMCauseInvalidMandatoryInfo: "invalid mandatory information",
	naseps.EMMCauseMessageTypeNonExistent: "message type non-existent", naseps.EMMCauseProtocolErrorUnspecified: "protocol error",
}

// esmRejectOf names the ESM cause of a PDN Connectivity Reject inside an
// Attach Reject, if there is one.
func esmRejectOf(container []byte) string {
	if container == nil {
		return ""
	}
	rej, err := naseps.ParseAs[*naseps.PDNConnectivityReject](container)
	if err != nil {
		return ""
	}
	return " (pdn connectivity: " + esmCause(rej.Cause) + ")"
}
