package amf

import (
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// pathAuthentications is Nausf_UEAuthentication's collection (TS 29.509).
const pathAuthentications = "/nausf-auth/v1/ue-authentications"

// maxResyncs bounds SQN resynchronisations within one registration.
const maxResyncs = 2

// authState is the 5G AKA round in progress.
type authState struct {
	subject string // SUCI or SUPI given to the AUSF
	link    string // 5g-aka-confirmation href
	rand    aka.RAND
	autn    [16]byte
	hxres   aka.RESStar
	resyncs int
}

// ueAuthCtx is the part of UEAuthenticationCtx the AMF reads; the model's
// 5gAuthData is an untyped interface.
type ueAuthCtx struct {
	AuthType string `json:"authType"`
	AV       struct {
		Rand      string `json:"rand"`
		Autn      string `json:"autn"`
		HxresStar string `json:"hxresStar"`
	} `json:"5gAuthData"`
	Links map[string][]models.Link `json:"_links"`
}

// authenticate asks the AUSF for a 5G AKA challenge for subject and sends
// it to the UE in an Authentication Request.
func (u *ue) authenticate(r *ranUE, subject string, resync *models.Udm_UEAU_ResynchronizationInfo) {
	n := u.n
	ctx := n.ctx()
	root, err := n.peers.ausf(ctx)
	var out ueAuthCtx
	if err == nil {
		_, err = n.client.Do(ctx, http.MethodPost, root+pathAuthentications, models.Ausf_UEAU_AuthenticationInfo{
			SupiOrSuci: subject, ServingNetworkName: n.snn, ResynchronizationInfo: resync}, &out)
		if unreachable(err) {
			n.peers.forget(models.Nrf_NFMgmt_NFType_AUSF)
		}
	}
	if err != nil {
		u.authRequestFailed(r, err)
		return
	}
	a, err := authStateOf(out, subject)
	if err != nil {
		n.m.auths.WithLabelValues(authError).Inc()
		u.logger().Warn("unusable answer from the AUSF", "err", err)
		u.rejectRegistration(r, nas5g.CauseProtocolErrorUnspecified)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.reg == nil || u.ran != r {
		return // abandoned meanwhile
	}
	if resync != nil {
		a.resyncs = u.reg.auth.resyncs
	}
	u.reg.auth, u.reg.stage = a, stageAuth
	u.ngKSI = nas5g.KSI{Value: (u.ngKSI.Value + 1) % 7}
	msg := &nas5g.AuthenticationRequest{NgKSI: u.ngKSI, ABBA: aka.DefaultABBA[:], RAND: a.rand, AUTN: a.autn}
	if err := u.sendMsgLocked(msg); err != nil {
		u.loggerLocked().Warn("send Authentication Request", "err", err)
		return
	}
	u.startTimerLocked("T3560", n.cfg.Timers.T3560, func() { u.sendMsg(msg) },
		func() { u.failRegistration(regFailed, n2.CauseUnspecified) })
}

// authRequestFailed answers an AUSF refusal: an unknown subscriber gets
// Registration Reject #7 (5GS services not allowed: the network has no
// subscription for it, as TS 29.272 Annex A maps "user unknown" in EPS),
// a refused authentication an Authentication Reject, anything else #111.
func (u *ue) authRequestFailed(r *ranUE, err error) {
	n := u.n
	st, cause := sbi.StatusOf(err), sbi.CauseOf(err)
	u.logger().Info("AUSF refused the authentication", "status", st, "cause", cause, "err", err)
	switch {
	case st == http.StatusNotFound:
		n.m.auths.WithLabelValues(authFailure).Inc()
		u.rejectRegistration(r, cause5GSServicesNotAllowed)
	case cause == "SERVING_NETWORK_NOT_AUTHORIZED":
		n.m.auths.WithLabelValues(authFailure).Inc()
		u.rejectRegistration(r, nas5g.CausePLMNNotAllowed)
	case st == http.StatusForbidden:
		n.m.auths.WithLabelValues(authFailure).Inc()
		u.rejectAuthentication(r)
	default:
		n.m.auths.WithLabelValues(authError).Inc()
		u.rejectRegistration(r, nas5g.CauseProtocolErrorUnspecified)
	}
}

func authStateOf(c ueAuthCtx, subject string) (authState, error) {
	a := authState{subject: subject}
	if c.AuthType != string(models.Ausf_UEAU_AuthType_5_G_AKA) {
		return a, fmt.Errorf("auth type %q: only 5G_AKA is handled", c.AuthType)
	}
	for _, f := range []struct {
		name, hex string
		dst       []byte
	}{{"rand", c.AV.Rand, a.rand[:]}, {"autn", c.AV.Autn, a.autn[:]}, {"hxresStar", c.AV.HxresStar, a.hxres[:]}} {
		b, err := hex.DecodeString(f.hex)
		if err != nil || len(b) != len(f.dst) {
			return a, fmt.Errorf("%s: want %d hex digits", f.name, 2*len(f.dst))
		}
		copy(f.dst, b)
	}
	for _, l := range c.Links["5g-aka"] {
		a.link = l.Href
	}
	if a.link == "" {
		return a, fmt.Errorf("no 5g-aka confirmation link")
	}
	return a, nil
}

// onAuthResponse checks RES* (HRES* against HXRES* here, RES* at the
// AUSF), derives KAMF from KSEAF and starts security mode control.
func (u *ue) onAuthResponse(r *ranUE, plain []byte) {
	n := u.n
	resp, err := nas5g.ParseAuthenticationResponse(plain)
	u.mu.Lock()
	if u.reg == nil || u.reg.stage != stageAuth || u.ran != r {
		u.mu.Unlock()
		n.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	a := u.reg.auth
	u.mu.Unlock()
	if err != nil {
		n.m.nasMalformed.Inc()
		u.rejectAuthentication(r)
		return
	}
	resStar := aka.RESStar(resp.RESStar)
	if !aka.VerifyHRESStar(a.rand, resStar, a.hxres) {
		n.m.auths.WithLabelValues(authFailure).Inc()
		u.logger().Info("authentication failed: HRES* does not match HXRES*")
		u.rejectAuthentication(r)
		return
	}
	rs := hex.EncodeToString(resStar[:])
	var conf models.Ausf_UEAU_ConfirmationDataResponse
	_, err = n.client.Do(n.ctx(), http.MethodPut, a.link, models.Ausf_UEAU_ConfirmationData{ResStar: &rs}, &conf)
	if err != nil {
		n.m.auths.WithLabelValues(authError).Inc()
		u.logger().Warn("5g-aka-confirmation failed", "err", err)
		u.rejectRegistration(r, nas5g.CauseProtocolErrorUnspecified)
		return
	}
	if conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS {
		n.m.auths.WithLabelValues(authFailure).Inc()
		u.logger().Info("authentication failed: the AUSF rejected RES*")
		u.rejectAuthentication(r)
		return
	}
	if err := u.keysFrom(conf); err != nil {
		n.m.auths.WithLabelValues(authError).Inc()
		u.logger().Warn("unusable confirmation from the AUSF", "err", err)
		u.rejectRegistration(r, nas5g.CauseProtocolErrorUnspecified)
		return
	}
	n.m.auths.WithLabelValues(authSuccess).Inc()
	u.securityMode(r)
}

// keysFrom takes the SUPI and KSEAF of a successful confirmation.
func (u *ue) keysFrom(conf models.Ausf_UEAU_ConfirmationDataResponse) error {
	b, err := hex.DecodeString(conf.Kseaf)
	if err != nil || len(b) != aka.Key256Len || conf.Supi == "" {
		return fmt.Errorf("kseaf %d hex digits, supi %q", len(conf.Kseaf), conf.Supi)
	}
	kamf, err := aka.DeriveKAMF(aka.Key256(b), conf.Supi, aka.DefaultABBA[:])
	if err != nil {
		return fmt.Errorf("derive KAMF: %w", err)
	}
	u.mu.Lock()
	u.kamf = kamf
	u.setSUPILocked(conf.Supi)
	u.mu.Unlock()
	return nil
}

// setSUPILocked indexes u by SUPI; an older context of the same UE is
// told to go away.
func (u *ue) setSUPILocked(supi string) {
	u.supi = supi
	prev, loaded := u.n.ues.bySUPI.Swap(supi, u)
	if loaded && prev.(*ue) != u {
		p := prev.(*ue)
		p.do(p.displaced)
	}
}

// onAuthFailure handles the UE's Authentication Failure: a synch failure
// asks the AUSF again with the AUTS (bounded), anything else ends in an
// Authentication Reject.
func (u *ue) onAuthFailure(r *ranUE, plain []byte) {
	n := u.n
	f, err := nas5g.ParseAuthenticationFailure(plain)
	u.mu.Lock()
	if u.reg == nil || u.reg.stage != stageAuth || u.ran != r {
		u.mu.Unlock()
		n.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	a := &u.reg.auth
	resync := err == nil && f.Cause == nas5g.CauseSynchFailure && len(f.AUTS) == nas5g.AUTSLen && a.resyncs < maxResyncs
	if resync {
		a.resyncs++
	}
	subject, rand := a.subject, a.rand
	u.mu.Unlock()
	switch {
	case err != nil:
		n.m.nasMalformed.Inc()
		u.rejectAuthentication(r)
	case resync:
		n.m.auths.WithLabelValues(authResync).Inc()
		u.logger().Info("SQN resynchronisation")
		u.authenticate(r, subject, &models.Udm_UEAU_ResynchronizationInfo{
			Rand: hex.EncodeToString(rand[:]), Auts: hex.EncodeToString(f.AUTS)})
	default:
		if f.Cause == nas5g.CauseMACFailure {
			n.m.auths.WithLabelValues(authMAC).Inc()
		} else {
			n.m.auths.WithLabelValues(authFailure).Inc()
		}
		u.logger().Info("UE refused the authentication", "cause", f.Cause)
		u.rejectAuthentication(r)
	}
}

// rejectAuthentication sends Authentication Reject (plain: the UE drops
// its keys) and releases the UE.
func (u *ue) rejectAuthentication(r *ranUE) {
	u.mu.Lock()
	u.sec = nil
	if u.ran == r {
		if err := u.sendMsgLocked(&nas5g.AuthenticationReject{}); err != nil {
			u.loggerLocked().Warn("send Authentication Reject", "err", err)
		}
	}
	u.mu.Unlock()
	u.failRegistration(regAuthRejected, n2.CauseAuthenticationFailure)
}
