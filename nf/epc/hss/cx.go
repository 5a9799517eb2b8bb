package hss

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// CxConfig is the IMS side of the HSS (Cx, TS 29.228/29.229), served
// when diameter.applications holds 16777216.
type CxConfig struct {
	// Server-Capabilities for the I-CSCF's S-CSCF selection, sent in UAA
	// and LIA when no S-CSCF is assigned (all may be empty).
	MandatoryCapabilities []uint32 `yaml:"mandatory_capabilities"`
	OptionalCapabilities  []uint32 `yaml:"optional_capabilities"`
	ServerNames           []string `yaml:"server_names"`
	// UnregisteredServices: subscribers have services in the unregistered
	// state, so a LIR for one not registered gets
	// DIAMETER_UNREGISTERED_SERVICE and capabilities instead of
	// DIAMETER_ERROR_IDENTITY_NOT_REGISTERED.
	UnregisteredServices bool `yaml:"unregistered_services"`
}

func (c CxConfig) validate() error {
	for i, s := range c.ServerNames {
		if !strings.HasPrefix(s, "sip:") && !strings.HasPrefix(s, "sips:") {
			return fmt.Errorf("cx.server_names[%d] %q: want a SIP URI", i, s)
		}
	}
	return nil
}

// IMSState is the IMS registration state of a subscriber (TS 29.228
// 6.1.2, 6.1.4).
type IMSState string

const (
	IMSNotRegistered IMSState = "not_registered"
	IMSRegistered    IMSState = "registered"
	// IMSUnregistered: not registered, but an S-CSCF is kept to serve
	// the identity's unregistered services.
	IMSUnregistered IMSState = "unregistered"
)

// IMSRegistration is what the HSS keeps per subscriber on Cx: the state
// and the S-CSCF assigned (set by MAR while authentication is pending,
// then by SAR).
type IMSRegistration struct {
	State      IMSState  `json:"state"`
	ServerName string    `json:"server_name,omitempty"`
	Updated    time.Time `json:"updated"`
}

// cxService serves Cx. Its registrations are kept in memory, keyed by
// IMSI, like the serving MMEs: the UDR has no IMS registration data.
// Every public identity derived from one IMSI shares the registration
// (one implicit registration set).
type cxService struct {
	h      *HSS
	domain string // ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org
	caps   *diameter.ServerCapabilities

	mu       sync.Mutex
	byIMSI   map[string]IMSRegistration
	byMSISDN map[string]string // tel URI digits -> IMSI, as learnt from the UDR

	vectors prometheus.Counter
}

// registerCx serves Cx on h's Diameter server with its metrics and ops
// route.
func (h *HSS) registerCx() error {
	dom, err := diameter.IMSDomain(h.cfg.HomePLMN.MCC, h.cfg.HomePLMN.MNC)
	if err != nil {
		return fmt.Errorf("cx: %w", err)
	}
	c := &cxService{h: h, domain: dom, byIMSI: map[string]IMSRegistration{}, byMSISDN: map[string]string{},
		caps: &diameter.ServerCapabilities{Mandatory: h.cfg.Cx.MandatoryCapabilities,
			Optional: h.cfg.Cx.OptionalCapabilities, ServerNames: h.cfg.Cx.ServerNames},
		vectors: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_hss_ims_auth_vectors_total",
			Help: "IMS AKA (Digest-AKAv1-MD5) vectors generated for MAR."})}
	registered := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_hss_ims_registrations",
		Help: "Subscribers registered in the IMS (SAR REGISTRATION), in memory."}, c.registeredCount)
	if err := nfkit.Register(h.ops.Registry(), c.vectors, registered); err != nil {
		return fmt.Errorf("cx: %w", err)
	}
	h.cx = c
	h.dia.Handle(diameter.AppCx, diameter.CmdUserAuthorization, c.serveUAR)
	h.dia.Handle(diameter.AppCx, diameter.CmdMultimediaAuth, c.serveMAR)
	h.dia.Handle(diameter.AppCx, diameter.CmdServerAssignment, c.serveSAR)
	h.dia.Handle(diameter.AppCx, diameter.CmdLocationInfo, c.serveLIR)
	h.ops.Handle("GET /ims-registrations/{imsi}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg, ok := c.get(r.PathValue("imsi"))
		if !ok {
			nfkit.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no IMS registration for " + r.PathValue("imsi")})
			return
		}
		nfkit.WriteJSON(w, http.StatusOK, reg)
	}))
	return nil
}

// IMSRegistration is the Cx state of imsi; ok is false when the HSS has
// none (never asked about, or not this HSS: replicas do not share it).
func (h *HSS) IMSRegistration(imsi string) (IMSRegistration, bool) {
	if h.cx == nil {
		return IMSRegistration{}, false
	}
	return h.cx.get(imsi)
}

func (c *cxService) get(imsi string) (IMSRegistration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reg, ok := c.byIMSI[imsi]
	return reg, ok
}

// state is imsi's registration, not registered when none is kept.
func (c *cxService) state(imsi string) IMSRegistration {
	if reg, ok := c.get(imsi); ok {
		return reg
	}
	return IMSRegistration{State: IMSNotRegistered}
}

// update applies f to imsi's registration under the lock and returns
// the result.
func (c *cxService) update(imsi string, f func(*IMSRegistration)) IMSRegistration {
	c.mu.Lock()
	defer c.mu.Unlock()
	reg, ok := c.byIMSI[imsi]
	if !ok {
		reg.State = IMSNotRegistered
	}
	f(&reg)
	reg.Updated = time.Now()
	if reg.State == IMSNotRegistered && reg.ServerName == "" {
		delete(c.byIMSI, imsi)
	} else {
		c.byIMSI[imsi] = reg
	}
	return reg
}

func (c *cxService) registeredCount() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.byIMSI {
		if r.State == IMSRegistered {
			n++
		}
	}
	return float64(n)
}

// subscriber is the IMSI behind a request's identities and the
// identities derived from it.
type subscriber struct {
	imsi string
	ids  diameter.IMSIdentities
}

// errNotOurs: an identity this HSS cannot map to a subscriber.
var errNotOurs = errors.New("identity not of this HSS")

// resolve finds the subscriber of impu (and checks impi belongs to it
// when given; either may be "" but not both). The result is success, or
// the Cx error to answer: DIAMETER_ERROR_USER_UNKNOWN for an identity
// that is not ours or not in the UDR, DIAMETER_ERROR_IDENTITIES_DONT_MATCH
// when impi and impu are different subscribers'.
func (c *cxService) resolve(ctx context.Context, cmd, impi, impu string) (subscriber, diameter.Result) {
	unknown := diameter.Experimental(diameter.ExpErrorUserUnknown)
	mismatch := diameter.Experimental(diameter.ExpErrorIdentitiesDontMatch)
	var fromIMPI string
	if impi != "" {
		i, ok := diameter.IMSIOfIMPI(impi, c.domain)
		if !ok {
			c.h.log.Info("Cx: private identity not of our domain", "cmd", cmd, "impi", impi, "err", errNotOurs)
			return subscriber{}, unknown
		}
		fromIMPI = i
	}
	imsi := fromIMPI
	if impu != "" {
		i, ok := c.imsiOfIMPU(impu)
		switch {
		case !ok && fromIMPI == "":
			return subscriber{}, unknown
		case ok:
			imsi = i
		}
	}
	s, res := c.load(ctx, cmd, imsi)
	if !res.OK() {
		return s, res
	}
	switch {
	case fromIMPI != "" && fromIMPI != s.imsi:
		return subscriber{}, mismatch
	case impu != "" && !slices.Contains(s.ids.Public(), canonical(impu)):
		// A tel URI not learnt yet, given with an IMPI: is it this
		// subscriber's? If another's, mismatch; else unknown.
		if owner, ok := c.imsiOfIMPU(impu); ok && owner != s.imsi {
			return subscriber{}, mismatch
		}
		return subscriber{}, unknown
	}
	return s, diameter.Success
}

// imsiOfIMPU maps a sip: IMPU of our domain to its IMSI, and a tel URI to
// the IMSI whose MSISDN it is, when this HSS has read that subscriber.
func (c *cxService) imsiOfIMPU(impu string) (string, bool) {
	if i, ok := diameter.IMSIOfIMPU(impu, c.domain); ok {
		return i, true
	}
	d, ok := diameter.MSISDNOfTelURI(impu)
	if !ok {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.byMSISDN[d]
	return i, ok
}

// canonical drops the URI parameters of a public identity.
func canonical(impu string) string {
	if d, ok := diameter.MSISDNOfTelURI(impu); ok {
		return "tel:+" + d
	}
	s, _, _ := strings.Cut(impu, ";")
	return s
}

// load reads imsi's subscription from the UDR (its existence and MSISDN)
// and derives its IMS identities (TS 23.003 13.3).
func (c *cxService) load(ctx context.Context, cmd, imsi string) (subscriber, diameter.Result) {
	am, err := c.h.udr.AMData(ctx, "imsi-"+imsi, c.h.cfg.HomePLMN.ID())
	if err != nil {
		return subscriber{}, c.h.failure(cmd, imsi, err)
	}
	var msisdn string
	for _, g := range am.Gpsis {
		if d, ok := strings.CutPrefix(g, "msisdn-"); ok && isMSISDN(d) {
			msisdn = d
			break
		}
	}
	ids, err := diameter.DeriveIMSIdentities(imsi, c.h.cfg.HomePLMN.MCC, c.h.cfg.HomePLMN.MNC, msisdn)
	if err != nil {
		return subscriber{}, c.h.failure(cmd, imsi, fmt.Errorf("%w: %w", errCorrupt, err))
	}
	if msisdn != "" {
		c.mu.Lock()
		c.byMSISDN[msisdn] = imsi
		c.mu.Unlock()
	}
	return subscriber{imsi: imsi, ids: ids}, diameter.Success
}

// answer is the header of our Cx answers.
func (c *cxService) answer(session string, res diameter.Result) diameter.AnswerHeader {
	return c.h.answer(session, res)
}
