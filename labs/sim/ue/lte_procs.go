package ue

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/corebox/corebox/nf/proto/naseps"
)

// unsolicitedEPS handles an event no procedure waits for (lte mode).
func (u *UE) unsolicitedEPS(ctx context.Context, ev event) {
	switch ev.kind {
	case evRelease:
		u.released()
	case evSessionReady:
		u.bearerReady(ev.session)
	case evPaging:
		u.sim.m.pagings.Inc()
		if u.registered && !u.rrc {
			u.serviceRequestFor(ctx, "paging")
		}
	case evUplinkData:
		if u.registered && !u.rrc {
			u.serviceRequestFor(ctx, "uplink data")
		}
	case evNAS:
		if dl, err := u.openEPS(ev.nas); err == nil {
			u.networkInitiatedEPS(dl)
		}
	}
}

func (u *UE) serviceRequestFor(ctx context.Context, why string) {
	sctx, cancel := context.WithTimeout(ctx, pagingResponseTimeout)
	defer cancel()
	if err := u.serviceRequestEPS(sctx); err != nil {
		u.sim.log.Info("service request failed", "supi", u.supi, "for", why, "err", err)
	}
}

// bearerReady notes the eNB's word that a bearer carries data; a default
// bearer's address is usable again.
func (u *UE) bearerReady(ebi uint8) {
	if ebi > maxEBI {
		return
	}
	u.eps.readyEBIs |= 1 << ebi
	if p := u.eps.pdns[ebi]; p != nil {
		u.sim.dp.setReady(p.addr, true)
	}
}

// releasedEPS is the UE's side of an RRC release: EMM-IDLE, bearers kept
// without user plane, T3412 running.
func (u *UE) releasedEPS() {
	u.eps.readyEBIs = 0
	for _, p := range u.eps.pdns {
		u.sim.dp.setReady(p.addr, false)
	}
	if u.registered {
		u.startT3412()
	}
}

// serviceRequestEPS brings an idle UE back to EMM-CONNECTED (TS 24.301
// 5.6.1): a SERVICE REQUEST with the short MAC, in a Connect with our
// S-TMSI; it is done once the eNB says every default bearer carries data
// (there is no Service Accept in EPS).
func (u *UE) serviceRequestEPS(ctx context.Context) error {
	if u.rrc {
		return nil
	}
	if !u.registered || u.eps.sec == nil || u.eps.guti == nil {
		return errNotReg
	}
	err := u.serviceRequestSteps(ctx)
	u.sim.m.serviceRequests.WithLabelValues(outcome(err)).Inc()
	if err != nil && u.rrc {
		u.leave(!isReject(err))
	}
	return err
}

func (u *UE) serviceRequestSteps(ctx context.Context) error {
	sr, err := u.eps.sec.NewServiceRequest(u.eps.ksi.Value)
	if err != nil {
		return fmt.Errorf("service request: %w", err)
	}
	pdu, err := sr.Marshal()
	if err != nil {
		return fmt.Errorf("encode service request: %w", err)
	}
	if err := u.sendEPS(pdu); err != nil {
		return err
	}
	for !u.eps.defaultsReady() {
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
		if m, ok := dl.msg.(*naseps.ServiceReject); ok {
			if m.Cause == naseps.EMMCauseUEIdentityCannotBeDerived || m.Cause == naseps.EMMCauseImplicitlyDetached {
				u.forgetEPS(voidsGUTI(m.Cause)) // the network lost us: attach again
			}
			return fmt.Errorf("service %w: %s", errRejected, emmCause(m.Cause))
		}
		u.networkInitiatedEPS(dl)
	}
	u.publish()
	return nil
}

// detach runs a UE-initiated detach (TS 24.301 5.5.2.2): normal waits
// for the Detach Accept, switch-off does not. The GUTI and security
// context are kept for the next attach.
func (u *UE) detach(ctx context.Context, switchOff bool) error {
	if !u.registered {
		return nil
	}
	err := u.detachSteps(ctx, switchOff)
	u.sim.m.lte.detaches.WithLabelValues(outcome(err)).Inc()
	return err
}

func (u *UE) detachSteps(ctx context.Context, switchOff bool) error {
	dr := &naseps.DetachRequest{SwitchOff: switchOff, Type: naseps.DetachEPS, KSI: u.eps.ksi,
		Identity: naseps.GUTIIdentity(*u.eps.guti)}
	if err := u.sendEPSSecured(dr); err != nil {
		return err
	}
	if switchOff {
		u.forgetEPS(false)
		u.leave(false)
		return nil
	}
	for {
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
		if _, ok := dl.msg.(*naseps.DetachAccept); ok {
			u.forgetEPS(false)
			u.leave(false)
			return nil
		}
		u.networkInitiatedEPS(dl)
	}
}

// trackingAreaUpdate runs a TAU (TS 24.301 5.5.3): periodic when T3412
// ran out, else a normal one. From idle the network releases the
// connection afterwards, which the loop takes as it comes.
func (u *UE) trackingAreaUpdate(ctx context.Context, periodic bool) error {
	if !u.registered {
		return errNotReg
	}
	err := u.tauSteps(ctx, periodic)
	u.sim.m.lte.taus.WithLabelValues(outcome(err)).Inc()
	if err != nil && u.rrc {
		u.leave(!isReject(err))
	}
	return err
}

func (u *UE) tauSteps(ctx context.Context, periodic bool) error {
	status := u.eps.bearerStatus()
	req := &naseps.TAURequest{UpdateType: naseps.UpdateTA, KSI: u.eps.ksi, OldGUTI: naseps.GUTIIdentity(*u.eps.guti),
		EPSBearerContextStatus: &status}
	if periodic {
		req.UpdateType = naseps.UpdatePeriodic
	} else {
		caps := u.sim.res.eps.caps
		req.UENetworkCapability = &caps
	}
	if err := u.sendEPSSecured(req); err != nil {
		return err
	}
	for {
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
		switch m := dl.msg.(type) {
		case *naseps.TAUAccept:
			return u.tauAccept(m)
		case *naseps.TAUReject:
			u.forgetEPS(voidsGUTI(m.Cause))
			return fmt.Errorf("tracking area update %w: %s", errRejected, emmCause(m.Cause))
		default:
			u.networkInitiatedEPS(dl)
		}
	}
}

// tauAccept takes the new GUTI and T3412 (a new GUTI is confirmed with
// TAU Complete) and drops bearers the network no longer has.
func (u *UE) tauAccept(m *naseps.TAUAccept) error {
	if m.T3412 != nil {
		u.eps.t3412, _ = m.T3412.Duration()
	}
	if s := m.EPSBearerContextStatus; s != nil {
		for ebi, b := range u.eps.bearers {
			if !s.Active(ebi) && u.eps.bearers[ebi] != nil {
				u.dropBearer(b)
			}
		}
	}
	defer u.publish()
	if m.GUTI == nil {
		return nil
	}
	g := *m.GUTI
	u.eps.guti = &g
	return u.sendEPSSecured(&naseps.TAUComplete{})
}

// startT3412 runs the periodic TAU timer while idle; stopT3412 stops it.
func (u *UE) startT3412() {
	if u.eps.t3412 <= 0 {
		return
	}
	if u.eps.timer == nil {
		u.eps.timer = time.NewTimer(u.eps.t3412)
		return
	}
	u.eps.timer.Reset(u.eps.t3412)
}

func (u *UE) stopT3412() {
	if u.eps != nil && u.eps.timer != nil {
		u.eps.timer.Stop()
	}
}

// t3412C is the expiry channel the loop waits on (nil: none).
func (u *UE) t3412C() <-chan time.Time {
	if u.eps == nil || u.eps.timer == nil {
		return nil
	}
	return u.eps.timer.C
}

// periodicTAU runs when T3412 expires (TS 24.301 5.3.5).
func (u *UE) periodicTAU(ctx context.Context) {
	if !u.registered || u.rrc {
		return
	}
	tctx, cancel := context.WithTimeout(ctx, pagingResponseTimeout)
	defer cancel()
	if err := u.trackingAreaUpdate(tctx, true); err != nil {
		u.sim.log.Info("periodic tracking area update failed", "supi", u.supi, "err", err)
	}
	if u.registered && !u.rrc {
		u.startT3412()
	}
}

// activeBearerEPS is the traffic step's PDN connection: the lowest
// default EBI, brought to EMM-CONNECTED first when idle.
func (u *UE) activeBearerEPS(ctx context.Context) (uint8, netip.Addr, error) {
	if !u.registered {
		return 0, netip.Addr{}, errNotReg
	}
	var best *pdnConn
	for _, p := range u.eps.pdns {
		if best == nil || p.ebi < best.ebi {
			best = p
		}
	}
	if best == nil {
		return 0, netip.Addr{}, errNoPDN
	}
	if err := u.serviceRequestEPS(ctx); err != nil {
		return 0, netip.Addr{}, err
	}
	if !u.eps.ready(best.ebi) {
		return 0, netip.Addr{}, fmt.Errorf("bearer %d: user plane not set up", best.ebi)
	}
	return best.ebi, best.addr, nil
}
