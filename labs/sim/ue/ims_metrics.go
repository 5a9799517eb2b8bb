package ue

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
)

// imsMetrics are the IMS user agents'; label values come from fixed sets.
type imsMetrics struct {
	registrations *prometheus.CounterVec // op (register, deregister), result
	calls         *prometheus.CounterVec // role, result
	malformed     *prometheus.CounterVec // what (parse, challenge, sdp, header)
}

var (
	imsRegResults  = []string{"ok", "auth_failed", "rejected", "timeout", "error"}
	callResults    = []string{"ok", "failed", "no_bearer", "timeout", "error"}
	malformedKinds = []string{"parse", "challenge", "sdp", "header"}
)

func newIMSMetrics(reg prometheus.Registerer) (*imsMetrics, error) {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_ue_" + name, Help: help}, labels)
	}
	m := &imsMetrics{
		registrations: vec("ims_registrations_total", "IMS registrations (REGISTER with IMS AKA) and deregistrations, by result.", "op", "result"),
		calls:         vec("ims_calls_total", "VoLTE calls, by role (caller, callee) and result.", "role", "result"),
		malformed:     vec("ims_sip_malformed_total", "SIP messages (or their SDP, challenge, headers) dropped or refused as malformed.", "what"),
	}
	for _, r := range imsRegResults {
		m.registrations.WithLabelValues("register", r)
		m.registrations.WithLabelValues("deregister", r)
	}
	for _, r := range callResults {
		m.calls.WithLabelValues(roleCaller, r)
		m.calls.WithLabelValues(roleCallee, r)
	}
	for _, w := range malformedKinds {
		m.malformed.WithLabelValues(w)
	}
	return m, nfkit.Register(reg, m.registrations, m.calls, m.malformed)
}

func (m *imsMetrics) malformedSIP(what string) { m.malformed.WithLabelValues(what).Inc() }

func (m *imsMetrics) registration(op string, err error) {
	r := "ok"
	switch {
	case err == nil:
	case errors.Is(err, errAuth):
		r = "auth_failed"
	case errors.Is(err, errRejected):
		r = "rejected"
	case errors.Is(err, errSIPTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, errTimeout):
		r = "timeout"
	default:
		r = "error"
	}
	m.registrations.WithLabelValues(op, r).Inc()
}

func (m *imsMetrics) call(role string, err error) {
	r := "ok"
	switch {
	case err == nil:
	case errors.Is(err, errNoVoiceBearer):
		r = "no_bearer"
	case errors.Is(err, errCallFailed):
		r = "failed"
	case errors.Is(err, errSIPTimeout), errors.Is(err, context.DeadlineExceeded):
		r = "timeout"
	default:
		r = "error"
	}
	m.calls.WithLabelValues(role, r).Inc()
}
