package ue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// Errors a registration ends with; their texts are what the control API
// reports, so they carry no identifiers.
var (
	errAuthRejected = errors.New("authentication rejected")
	errReleased     = errors.New("released by the network")
	errNotReg       = errors.New("not registered")
)

// register runs an initial registration: Registration Request with a
// SUCI, 5G AKA, Security Mode, Registration Accept and Complete.
func (u *UE) register(ctx context.Context) (string, error) {
	if u.registered {
		return gutiString(*u.guti), nil
	}
	start := time.Now()
	detail, err := u.registerSteps(ctx)
	u.sim.m.registration(err, time.Since(start))
	if err != nil {
		// The next attempt starts from scratch, on a new connection.
		u.sec, u.pending = nil, nil
		u.leave(!isReject(err))
	}
	return detail, err
}

// isReject tells failures after which the network releases the UE itself.
func isReject(err error) bool {
	return errors.Is(err, errAuthRejected) || errors.Is(err, errRejected)
}

// errRejected wraps the network's reject causes.
var errRejected = errors.New("rejected")

// leaveWait bounds the wait for the network's release after a failure.
const leaveWait = 2 * time.Second

// leave ends the UE's connection after a failed procedure: it waits for
// the network's release (asking for it first when ask is set), so that a
// late Release cannot end the next connection.
func (u *UE) leave(ask bool) {
	if !u.rrc {
		u.publish()
		return
	}
	if ask {
		if err := u.send(radio.Inactive, 0, nil); err != nil {
			u.sim.log.Debug("radio inactive", "supi", u.supi, "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(u.sim.runCtx(), leaveWait)
	defer cancel()
	for {
		ev, err := u.next(ctx)
		if err != nil || ev.kind == evRelease {
			break
		}
		if ev.kind != evNAS { // NAS of the failed procedure is moot
			u.unsolicited(ctx, ev)
		}
	}
	u.released()
}

func (u *UE) registerSteps(ctx context.Context) (string, error) {
	req, err := u.registrationRequest()
	if err != nil {
		return "", err
	}
	u.sec, u.pending, u.initialReq = nil, nil, req
	if err := u.sendNAS(req); err != nil {
		return "", err
	}
	for {
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
			u.unsolicited(ctx, ev)
			continue
		}
		dl, err := u.open(ev.nas)
		if err != nil {
			continue
		}
		switch m := dl.msg.(type) {
		case *nas5g.AuthenticationRequest:
			err = u.authenticate(m)
		case *nas5g.AuthenticationReject:
			return "", errAuthRejected
		case *nas5g.SecurityModeCommand:
			err = u.securityMode(m, dl.raw)
		case *nas5g.RegistrationReject:
			return "", fmt.Errorf("registration %w: %s", errRejected, mmCause(m.Cause))
		case *nas5g.RegistrationAccept:
			return u.registrationAccept(m)
		default:
			u.networkInitiated(dl)
		}
		if err != nil {
			return "", err
		}
	}
}

// registrationRequest builds an initial Registration Request with a fresh
// SUCI (profiles A and B conceal with a new ephemeral key each time).
func (u *UE) registrationRequest() ([]byte, error) {
	r := u.sim.res
	keyID := uint8(u.sim.cfg.UEs.HNKeyID)
	suci, err := aka.Conceal(u.imsi, u.sim.cfg.UEs.RoutingIndicator, r.scheme, keyID, r.hnPub, nil)
	if err != nil {
		return nil, fmt.Errorf("conceal supi: %w", err)
	}
	caps := r.caps
	req := &nas5g.RegistrationRequest{
		RegistrationType: nas5g.RegistrationInitial,
		FollowOnRequest:  true,
		NgKSI:            nas5g.NoKey,
		Identity: nas5g.UEIdentity{SUCI: &nas5g.SUCI{PLMN: r.plmn, RoutingIndicator: suci.RoutingIndicator,
			ProtectionScheme: uint8(suci.Scheme), HomeNetworkKeyID: suci.HNKeyID, SchemeOutput: suci.SchemeOutput}},
		SecurityCapability: &caps,
		RequestedNSSAI:     []nas5g.SNSSAI{r.slice},
	}
	b, err := req.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode registration request: %w", err)
	}
	return b, nil
}

// authenticate checks a challenge with the USIM and answers: RES*, or an
// Authentication Failure (#20 MAC failure, #21 synch failure with AUTS,
// #26 non-5G authentication).
func (u *UE) authenticate(m *nas5g.AuthenticationRequest) error {
	res, err := u.usim.Authenticate(m.RAND, m.AUTN, u.sim.snn, m.ABBA)
	if err != nil {
		cause, ok := aka.CauseOf(err)
		if !ok {
			return fmt.Errorf("usim: %w", err)
		}
		fail := &nas5g.AuthenticationFailure{Cause: cause}
		var sf *aka.SynchFailureError
		if errors.As(err, &sf) {
			fail.AUTS = sf.AUTS[:]
		}
		u.sim.m.authFailures.WithLabelValues(strconv.Itoa(int(cause))).Inc()
		return u.sendPlain(fail)
	}
	u.pending = &pendingKeys{kamf: res.KAMF, ngKSI: m.NgKSI}
	return u.sendPlain(&nas5g.AuthenticationResponse{RESStar: res.RESStar})
}

// securityMode takes a Security Mode Command: it must name the key set of
// our last authentication, replay our capabilities, select algorithms we
// listed and verify under the keys it selects. The Complete carries the
// whole initial Registration Request (TS 24.501 5.4.2.3).
func (u *UE) securityMode(m *nas5g.SecurityModeCommand, raw []byte) error {
	r := u.sim.res
	switch {
	case u.pending == nil || m.NgKSI.Value != u.pending.ngKSI.Value:
		return u.rejectSecurityMode(nas5g.CauseSecurityModeRejected, "no key set with that ngKSI")
	case m.ReplayedCapability.EA != r.caps.EA || m.ReplayedCapability.IA != r.caps.IA:
		return u.rejectSecurityMode(nas5g.CauseUESecurityCapMismatch, "replayed capabilities differ")
	case m.IntAlg == nas5g.NIA0 || r.caps.IA&nas5g.AlgBit(m.IntAlg) == 0 || r.caps.EA&nas5g.AlgBit(m.EncAlg) == 0:
		return u.rejectSecurityMode(nas5g.CauseUESecurityCapMismatch, "algorithms not offered")
	}
	enc, integ, err := aka.DeriveNASKeys(u.pending.kamf, m.EncAlg, m.IntAlg)
	if err != nil {
		return fmt.Errorf("derive nas keys: %w", err)
	}
	sc := &nas5g.SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: m.EncAlg, IntAlg: m.IntAlg, Direction: nas5g.Uplink}
	if _, _, err := sc.Unprotect(raw); err != nil {
		u.sim.m.nasDropped.WithLabelValues("integrity").Inc()
		return u.rejectSecurityMode(nas5g.CauseSecurityModeRejected, "security mode command does not verify")
	}
	u.sec, u.ngKSI, u.pending = sc, m.NgKSI, nil
	complete := &nas5g.SecurityModeComplete{NASMessageContainer: u.initialReq}
	if m.IMEISVRequest {
		complete.IMEISV = u.imeisv
	}
	pdu, err := u.protect(complete, nas5g.IntegrityProtectedAndCipheredNewContext)
	if err != nil {
		return err
	}
	return u.sendNAS(pdu)
}

func (u *UE) rejectSecurityMode(cause uint8, why string) error {
	u.sim.log.Info("security mode command rejected", "supi", u.supi, "why", why)
	return u.sendPlain(&nas5g.SecurityModeReject{Cause: cause})
}

// registrationAccept stores the 5G-GUTI and completes the registration.
func (u *UE) registrationAccept(m *nas5g.RegistrationAccept) (string, error) {
	if m.GUTI == nil {
		return "", errors.New("registration accept without a 5G-GUTI")
	}
	if err := u.sendProtected(&nas5g.RegistrationComplete{}); err != nil {
		return "", err
	}
	g := *m.GUTI
	u.guti, u.registered = &g, true
	u.publish()
	return gutiString(g), nil
}

// mmCause names a 5GMM cause for reports.
func mmCause(c uint8) string {
	if n, ok := mmCauses[c]; ok {
		return fmt.Sprintf("#%d %s", c, n)
	}
	return fmt.Sprintf("#%d", c)
}

var mmCauses = map[uint8]string{
	nas5g.CauseIllegalUE: "illegal UE", nas5g.CausePLMNNotAllowed: "PLMN not allowed",
	nas5g.CauseTANotAllowed: "tracking area not allowed", nas5g.CauseMACFailure: "MAC failure",
	nas5g.CauseSynchFailure: "synch failure", nas5g.CauseCongestion: "congestion",
	nas5g.CauseUESecurityCapMismatch:       "UE security capabilities mismatch",
	nas5g.CauseSecurityModeRejected:        "security mode rejected",
	nas5g.CauseNon5GAuthUnacceptable:       "non-5G authentication unacceptable",
	nas5g.CauseNoNetworkSlicesAvailable:    "no network slices available",
	nas5g.CauseSemanticallyIncorrect:       "semantically incorrect message",
	nas5g.CauseProtocolErrorUnspecified:    "protocol error",
	nas5g.CauseUEIdentityCannotBeDerived:   "UE identity cannot be derived",
	nas5g.CauseImplicitlyDeregistered:      "implicitly deregistered",
	nas5g.CauseDNNNotSupportedInSlice:      "DNN not supported in slice",
	nas5g.CausePayloadNotForwarded:         "payload was not forwarded",
	nas5g.CauseMessageTypeNonExistent:      "message type non-existent",
	nas5g.CauseInvalidMandatoryInformation: "invalid mandatory information",
	7:                                      "5GS services not allowed", 15: "no suitable cells in tracking area",
	27: "N1 mode not allowed", 65: "maximum number of PDU sessions reached",
}
