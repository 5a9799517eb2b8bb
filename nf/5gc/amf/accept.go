package amf

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// defaultUEAMBR is the UE-AMBR given to the RAN when the subscription
// names none (bits per second).
var defaultUEAMBR = n2.AMBR{Uplink: 1_000_000_000, Downlink: 1_000_000_000}

// subscription is what the UDM told us about the UE.
type subscription struct {
	slices   []nas5g.SNSSAI // subscribed S-NSSAIs
	defaults []nas5g.SNSSAI // default subscribed S-NSSAIs
	ambr     n2.AMBR
}

// finishRegistration registers the AMF at the UDM, reads the
// subscription, works out the allowed NSSAI, and sends the Registration
// Accept with a new 5G-GUTI (in an Initial Context Setup Request when the
// connection has no UE context in the RAN yet).
func (u *ue) finishRegistration(r *ranUE) {
	n := u.n
	ctx := n.ctx()
	u.mu.Lock()
	if u.reg == nil || u.ran != r {
		u.mu.Unlock()
		return
	}
	supi, req := u.supi, u.reg.req
	u.mu.Unlock()
	sub, cause, ok := u.subscription(ctx, supi)
	if !ok {
		u.rejectRegistration(r, cause)
		return
	}
	allowed := n.allowedNSSAI(ctx, supi, req.RequestedNSSAI, sub)
	if len(allowed) == 0 {
		u.rejectRegistration(r, nas5g.CauseNoNetworkSlicesAvailable)
		return
	}
	u.mu.Lock()
	err := u.acceptLocked(r, allowed, sub.ambr)
	u.mu.Unlock()
	if err != nil {
		u.logger().Warn("send Registration Accept", "err", err)
		u.failRegistration(regFailed, n2.CauseUnspecified)
	}
}

// acceptLocked allocates the 5G-GUTI and sends the Registration Accept,
// starting T3550.
func (u *ue) acceptLocked(r *ranUE, allowed []nas5g.SNSSAI, ambr n2.AMBR) error {
	n := u.n
	if u.reg == nil || u.ran != r {
		return nil // abandoned meanwhile
	}
	tmsi := u.reg.newTMSI
	if tmsi == 0 {
		var err error
		if tmsi, err = n.allocTMSI(u); err != nil {
			return err
		}
		u.reg.newTMSI = tmsi
	}
	u.reg.stage = stageAccept
	u.allowed, u.ambr = allowed, ambr
	acc := &nas5g.RegistrationAccept{GUTI: n.gutiOf(tmsi), TAIList: n.tais, AllowedNSSAI: allowed, T3512: n.cfg.T3512}
	var err error
	if r.ctxSetup {
		err = u.sendMsgLocked(acc)
	} else {
		err = u.initialContextSetupLocked(acc, nil, ambr)
	}
	if err != nil {
		return err
	}
	u.startTimerLocked("T3550", n.cfg.Timers.T3550, func() { u.sendMsg(acc) },
		func() { u.failRegistration(regFailed, n2.CauseUnspecified) })
	return nil
}

// initialContextSetupLocked sends Initial Context Setup Request with the
// NAS message (protected), the sessions to set up and KgNB from the COUNT
// of the last verified uplink NAS message.
func (u *ue) initialContextSetupLocked(m nas5g.Message, sessions []n2.SessionSetupItem, ambr n2.AMBR) error {
	r := u.ran
	if r == nil {
		return errNoConnection
	}
	plain, err := m.Encode()
	if err != nil {
		return err
	}
	pdu, err := u.protectLocked(plain)
	if err != nil {
		return err
	}
	kgnb, err := aka.DeriveKgNB(u.kamf, uint32(u.lastUL), aka.Access3GPP)
	if err != nil {
		return err
	}
	ics := &n2.InitialContextSetupRequest{UEIDs: r.ids(), GUAMI: u.n.guami, AllowedNSSAI: u.allowed,
		SecurityCapabilities: securityCapabilities(u.secCap), SecurityKey: kgnb, NASPDU: pdu, Sessions: sessions}
	if len(sessions) > 0 {
		ics.UEAMBR = ambr
	}
	return r.g.send(ics, true)
}

// onICSResponse notes the UE context is up in the RAN, hands the session
// tunnels to the SMFs, and delivers what waited for it.
func (u *ue) onICSResponse(r *ranUE, m *n2.InitialContextSetupResponse) {
	u.mu.Lock()
	if u.ran != r {
		u.mu.Unlock()
		return
	}
	r.ctxSetup = true
	u.mu.Unlock()
	u.onSetupResponse(r, m.Sessions, m.Failed)
	u.deliverPending()
}

// onICSFailure ends what needed the context: the UE is released.
func (u *ue) onICSFailure(r *ranUE, m *n2.InitialContextSetupFailure) {
	u.logger().Info("Initial Context Setup failed", "cause", m.Cause)
	u.mu.Lock()
	registering := u.reg != nil && u.ran == r
	u.mu.Unlock()
	if registering {
		u.failRegistration(regFailed, n2.CauseUnspecified)
		return
	}
	u.deactivateSessions()
	u.mu.Lock()
	u.sendReleaseLocked(r, n2.CauseUnspecified)
	u.mu.Unlock()
}

// subscription registers at the UDM (UECM) and reads the am-data. A UDM
// that does not know the SUPI gives #7; other UDM failures give #111
// unless peers.udm_optional, which logs and goes on.
func (u *ue) subscription(ctx context.Context, supi string) (subscription, uint8, bool) {
	n := u.n
	sub := subscription{ambr: defaultUEAMBR}
	check := func(what string, err error) bool {
		switch {
		case err == nil:
			return true
		case sbi.StatusOf(err) == http.StatusNotFound && sbi.CauseOf(err) == "USER_NOT_FOUND":
			u.logger().Info("UDM does not know the subscriber", "step", what)
			return false
		case n.cfg.Peers.UDMOptional:
			u.logger().Warn("UDM step failed; going on (peers.udm_optional)", "step", what, "err", err)
			return true
		}
		u.logger().Warn("UDM step failed", "step", what, "err", err)
		return false
	}
	root, err := n.peers.udm(ctx, models.Nrf_NFMgmt_ServiceName_NUDM_UECM)
	if err == nil {
		reg := models.Udm_UECM_Amf3GppAccessRegistration{AmfInstanceId: n.id, Guami: n.modelGUAMI(),
			RatType: models.RatType_NR, InitialRegistrationInd: true, Supi: supi,
			DeregCallbackUri: n.self() + pathDeregCallback + "/" + url.PathEscape(supi)}
		_, err = n.client.Do(ctx, http.MethodPut, root+"/nudm-uecm/v1/"+url.PathEscape(supi)+"/registrations/amf-3gpp-access", reg, nil)
		if unreachable(err) {
			n.peers.forget(models.Nrf_NFMgmt_NFType_UDM)
		}
	}
	if !check("uecm registration", err) {
		return sub, causeFor(err), false
	}
	var am models.Udm_SDM_AccessAndMobilitySubscriptionData
	if root, err = n.peers.udm(ctx, models.Nrf_NFMgmt_ServiceName_NUDM_SDM); err == nil {
		q := url.Values{"plmn-id": {`{"mcc":"` + n.plmn.MCC + `","mnc":"` + n.plmn.MNC + `"}`}}
		_, err = n.client.Do(ctx, http.MethodGet, root+"/nudm-sdm/v2/"+url.PathEscape(supi)+"/am-data?"+q.Encode(), nil, &am)
	}
	if !check("am-data", err) {
		return sub, causeFor(err), false
	}
	if am.Nssai != nil { // the default S-NSSAIs are subscribed ones too
		sub.defaults = fromModelSlices(am.Nssai.DefaultSingleNssais)
		sub.slices = fromModelSlices(append(am.Nssai.SingleNssais, am.Nssai.DefaultSingleNssais...))
	}
	if a := am.SubscribedUeAmbr; a != nil {
		if ul, dl := bitRate(a.Uplink), bitRate(a.Downlink); ul > 0 && dl > 0 {
			sub.ambr = n2.AMBR{Uplink: ul, Downlink: dl}
		}
	}
	return sub, 0, true
}

func causeFor(err error) uint8 {
	if sbi.StatusOf(err) == http.StatusNotFound {
		return cause5GSServicesNotAllowed
	}
	return nas5g.CauseProtocolErrorUnspecified
}

// bitRate parses a TS 29.571 BitRate ("1 Gbps", "100 Mbps"); 0 if not.
func bitRate(s string) uint64 {
	var v float64
	var unit string
	for i, c := range s {
		if c == ' ' {
			f, err := strconv.ParseFloat(s[:i], 64)
			if err != nil {
				return 0
			}
			v, unit = f, s[i+1:]
			break
		}
	}
	mult := map[string]float64{"bps": 1, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12}[unit]
	return uint64(v * mult)
}
