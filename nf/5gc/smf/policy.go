package smf

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// policy sets the session's QoS: the PCF's decision (TS 29.512); without
// a PCF, or when it fails, the subscribed session AMBR and default QoS,
// and the configured defaults for what the subscription leaves out. A PCF
// refusing the session (403) rejects it.
func (n *NF) policy(ctx context.Context, c *smContext, sub *models.Udm_SDM_DnnConfiguration) *rejection {
	base := n.subscribedQoS(sub)
	c.qos = base
	root, err := n.peers.pcfRoot(ctx)
	if err != nil {
		reason := "pcf_unreachable"
		if errors.Is(err, errNoPeer) {
			reason = "no_pcf"
		}
		n.policyFallback(reason, err)
		return nil
	}
	uri, dec, err := n.peers.createPolicy(ctx, root, n.policyRequest(c, sub))
	if err != nil {
		if sbi.StatusOf(err) == http.StatusForbidden {
			return rejPolicyDenied(err)
		}
		n.policyFallback("pcf_error", err)
		return nil
	}
	c.policyURI = uri
	c.qos = decisionQoS(dec, base)
	return nil
}

func (n *NF) policyRequest(c *smContext, sub *models.Udm_SDM_DnnConfiguration) models.Pcf_SMPolCtrl_SmPolicyContextData {
	sn := c.entry.snssai
	req := models.Pcf_SMPolCtrl_SmPolicyContextData{Supi: c.supi, PduSessionId: int32(c.psi), Dnn: c.entry.name,
		SliceInfo: &sn, PduSessionType: models.PduSessionType_IPV4, Ipv4Address: c.ueAddr.String(),
		AccessType: c.anType, RatType: c.ratType, ServingNetwork: c.network,
		NotificationUri: n.callbackURI(c.ref, suffixPolicy)}
	if sub != nil {
		req.SubsSessAmbr = sub.SessionAmbr
		req.SubsDefQos = sub.Var5gQosProfile
	}
	return req
}

// subscribedQoS is the defaults overlaid with what the subscription says.
func (n *NF) subscribedQoS(sub *models.Udm_SDM_DnnConfiguration) qos {
	q := n.defaults
	if sub == nil {
		return q
	}
	if a := sub.SessionAmbr; a != nil {
		ul, err1 := parseBitRate(a.Uplink)
		dl, err2 := parseBitRate(a.Downlink)
		if err1 == nil && err2 == nil {
			q.ambr, q.source = bitrates{UL: ul, DL: dl}, "subscription"
		}
	}
	if p := sub.Var5gQosProfile; p != nil {
		if p.Var5qi >= 1 && p.Var5qi <= 255 {
			q.fiveQI, q.source = uint8(p.Var5qi), "subscription"
		}
		if p.Arp != nil && p.Arp.PriorityLevel >= 1 && p.Arp.PriorityLevel <= 15 {
			q.arp = uint8(p.Arp.PriorityLevel)
		}
	}
	return q
}

// decisionQoS reads the first session rule of the decision (by rule id)
// over base; values out of range keep base's.
func decisionQoS(d models.Pcf_SMPolCtrl_SmPolicyDecision, base qos) qos {
	q := base
	q.source = "pcf"
	ids := make([]string, 0, len(d.SessRules))
	for id := range d.SessRules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := d.SessRules[id]
		if r == nil || (r.AuthSessAmbr == nil && r.AuthDefQos == nil) {
			continue
		}
		if a := r.AuthSessAmbr; a != nil {
			ul, err1 := parseBitRate(a.Uplink)
			dl, err2 := parseBitRate(a.Downlink)
			if err1 == nil && err2 == nil {
				q.ambr = bitrates{UL: ul, DL: dl}
			}
		}
		if dq := r.AuthDefQos; dq != nil {
			if dq.Var5qi >= 1 && dq.Var5qi <= 255 {
				q.fiveQI = uint8(dq.Var5qi)
			}
			if dq.Arp != nil && dq.Arp.PriorityLevel >= 1 && dq.Arp.PriorityLevel <= 15 {
				q.arp = uint8(dq.Arp.PriorityLevel)
			}
		}
		break
	}
	return q
}

// policyFallback counts and logs (at most every 10 s per reason) a session
// whose QoS did not come from a PCF.
func (n *NF) policyFallback(reason string, err error) {
	n.metrics.policyFallback.WithLabelValues(reason).Inc()
	if n.fallbackLog.due(reason) {
		n.log.Warn("no PCF decision: sessions get the subscribed QoS and the configured defaults",
			"reason", reason, "err", err)
	}
}

// logLimiter says whether a message of a kind is due again.
type logLimiter struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
}

func (l *logLimiter) due(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.last[key]) < l.every {
		return false
	}
	l.last[key] = now
	return true
}

// deletePolicy ends the session's policy association, if it has one.
func (n *NF) deletePolicy(ctx context.Context, c *smContext) {
	if c.policyURI == "" {
		return
	}
	if err := n.peers.deletePolicy(ctx, c.policyURI); err != nil && !sbi.IsNotFound(err) {
		n.log.Warn("PCF policy association not deleted", "supi", c.supi, "psi", c.psi, "err", err)
	}
	c.policyURI = ""
}
