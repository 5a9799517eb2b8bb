package nrf

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// event is a status change subscribers may be told about.
type event struct {
	kind    models.Nrf_NFMgmt_NotificationEventType
	id      string
	nfType  models.Nrf_NFMgmt_NFType
	profile *models.Nrf_NFMgmt_NFProfile // nil for NF_DEREGISTERED
}

func changed(p models.Nrf_NFMgmt_NFProfile) event {
	return event{kind: models.Nrf_NFMgmt_NotificationEventType_PROFILE_CHANGED, id: p.NfInstanceId, nfType: p.NfType, profile: &p}
}

var (
	// instanceIDRe: TS 29.510 wants a UUID; any short URI-safe id is
	// accepted so hand-written profiles work too.
	instanceIDRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)
	nfTypeRe     = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{1,19}$`)
)

// register stores p under id, replacing what was there. The NRF decides
// heartBeatTimer. created reports a new registration (201 rather than 200).
func (n *NF) register(id string, p models.Nrf_NFMgmt_NFProfile) (stored models.Nrf_NFMgmt_NFProfile, created bool, err error) {
	if p.NfInstanceId == "" {
		p.NfInstanceId = id
	}
	if p.NfInstanceId != id {
		return p, false, invalidIE("/nfInstanceId", fmt.Sprintf("%q differs from the URI's %q", p.NfInstanceId, id))
	}
	p.HeartBeatTimer = int32(n.cfg.HeartbeatTimer.Seconds())
	if err := validateProfile(p); err != nil {
		return p, false, err
	}
	in, err := newInstance(p, n.now())
	if err != nil {
		return p, false, invalidIE("", err.Error())
	}
	r := n.reg
	r.mu.Lock()
	old, existed := r.byID[id]
	if !existed && len(r.byID) >= n.cfg.MaxInstances {
		r.mu.Unlock()
		return p, false, sbi.NewProblem(http.StatusInternalServerError, "INSUFFICIENT_RESOURCES",
			fmt.Sprintf("registry full (%d instances)", n.cfg.MaxInstances))
	}
	r.byID[id] = in
	// Publishing under the lock keeps one instance's events in order.
	switch {
	case !existed:
		n.publish(event{kind: models.Nrf_NFMgmt_NotificationEventType_REGISTERED, id: id, nfType: p.NfType, profile: &p})
	case !bytes.Equal(old.mgmtJSON, in.mgmtJSON):
		n.publish(changed(p))
	}
	r.mu.Unlock()
	n.log.Info("NF registered", "nf_instance_id", id, "nf_type", p.NfType, "nf_status", p.NfStatus, "replaced", existed)
	return p, !existed, nil
}

// update applies a JSON Patch to id's profile; any update is a heartbeat.
// It returns the new profile and whether it differs from the old one.
func (n *NF) update(id string, items []models.PatchItem) (models.Nrf_NFMgmt_NFProfile, bool, error) {
	r := n.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.byID[id]
	if !ok {
		return models.Nrf_NFMgmt_NFProfile{}, false, notFound(id)
	}
	n.stats.heartbeats.Inc()
	now := n.now()
	if !old.expired && patchIsHeartbeat(items, old.profile.NfStatus) {
		old.lastSeen = now // the common case: nothing to recompute
		return old.profile, false, nil
	}
	base := old.profile
	if old.expired {
		base.NfStatus = old.statusBefore // the heartbeat ends the NRF's suspension
	}
	p, err := applyPatch(base, items)
	if err != nil {
		return old.profile, false, err
	}
	if p.NfInstanceId != base.NfInstanceId || p.NfType != base.NfType {
		return old.profile, false, sbi.NewProblem(http.StatusForbidden, sbi.CauseModificationNotAllowed,
			"nfInstanceId and nfType cannot be changed")
	}
	if err := validateProfile(p); err != nil {
		return old.profile, false, err
	}
	in, err := newInstance(p, now)
	if err != nil {
		return old.profile, false, invalidIE("", err.Error())
	}
	r.byID[id] = in
	if bytes.Equal(old.mgmtJSON, in.mgmtJSON) {
		return p, false, nil
	}
	if old.expired {
		n.log.Info("NF heartbeats again", "nf_instance_id", id, "nf_status", p.NfStatus)
	}
	n.publish(changed(p))
	return p, true, nil
}

// patchIsHeartbeat: a lone replace of nfStatus by its current value.
func patchIsHeartbeat(items []models.PatchItem, status models.Nrf_NFMgmt_NFStatus) bool {
	if len(items) != 1 || items[0].Op != models.PatchOperation_REPLACE || items[0].Path != "/nfStatus" {
		return false
	}
	s, ok := items[0].Value.(string)
	return ok && models.Nrf_NFMgmt_NFStatus(s) == status
}

// deregister removes id.
func (n *NF) deregister(id string) error {
	r := n.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	in, ok := r.byID[id]
	if !ok {
		return notFound(id)
	}
	delete(r.byID, id)
	n.publish(event{kind: models.Nrf_NFMgmt_NotificationEventType_DEREGISTERED, id: id, nfType: in.profile.NfType})
	n.log.Info("NF deregistered", "nf_instance_id", id, "nf_type", in.profile.NfType)
	return nil
}

// CheckHeartbeats suspends NFs silent for longer than their heartBeatTimer
// plus the grace, and evicts those silent evict_after longer still. Run
// calls it every check_interval; tests call it after moving the clock.
func (n *NF) CheckHeartbeats() {
	now := n.now()
	r := n.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, in := range r.byID {
		deadline := in.lastSeen.Add(n.timerOf(in) + n.cfg.HeartbeatGrace)
		if !now.After(deadline) {
			continue
		}
		if n.cfg.EvictAfter > 0 && now.After(deadline.Add(n.cfg.EvictAfter)) {
			delete(r.byID, id)
			n.stats.evictions.Inc()
			n.log.Warn("silent NF removed", "nf_instance_id", id, "nf_type", in.profile.NfType, "last_seen", in.lastSeen)
			n.publish(event{kind: models.Nrf_NFMgmt_NotificationEventType_DEREGISTERED, id: id, nfType: in.profile.NfType})
			continue
		}
		if in.expired {
			continue
		}
		n.stats.expiries.Inc()
		n.log.Warn("NF missed its heartbeats", "nf_instance_id", id, "nf_type", in.profile.NfType, "last_seen", in.lastSeen)
		if in.profile.NfStatus != models.Nrf_NFMgmt_NFStatus_REGISTERED {
			in.expired, in.statusBefore = true, in.profile.NfStatus
			continue // not discoverable already: nothing changes for others
		}
		p := in.profile
		p.NfStatus = models.Nrf_NFMgmt_NFStatus_SUSPENDED
		next, err := newInstance(p, in.lastSeen)
		if err != nil { // p encoded before; only the status differs
			n.log.Error("suspend NF", "nf_instance_id", id, "err", err)
			continue
		}
		next.expired, next.statusBefore = true, in.profile.NfStatus
		r.byID[id] = next
		n.publish(changed(p))
	}
}

// timerOf is the instance's heartbeat period.
func (n *NF) timerOf(in *instance) time.Duration {
	if in.profile.HeartBeatTimer > 0 {
		return time.Duration(in.profile.HeartBeatTimer) * time.Second
	}
	return n.cfg.HeartbeatTimer
}

// validateProfile checks what the NRF relies on.
func validateProfile(p models.Nrf_NFMgmt_NFProfile) error {
	switch {
	case !instanceIDRe.MatchString(p.NfInstanceId):
		return invalidIE("/nfInstanceId", fmt.Sprintf("%q: want 1-128 URI-safe characters", p.NfInstanceId))
	case p.NfType == "":
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "nfType is required")
	case !nfTypeRe.MatchString(string(p.NfType)):
		return invalidIE("/nfType", fmt.Sprintf("%q is not an NF type", p.NfType))
	}
	switch p.NfStatus {
	case models.Nrf_NFMgmt_NFStatus_REGISTERED, models.Nrf_NFMgmt_NFStatus_SUSPENDED,
		models.Nrf_NFMgmt_NFStatus_UNDISCOVERABLE:
	case "":
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "nfStatus is required")
	default:
		return invalidIE("/nfStatus", fmt.Sprintf("%q: want REGISTERED, SUSPENDED or UNDISCOVERABLE", p.NfStatus))
	}
	if p.Load < 0 || p.Load > 100 {
		return invalidIE("/load", fmt.Sprintf("%d: want 0..100", p.Load))
	}
	if p.Capacity < 0 || p.Capacity > 65535 || p.Priority < 0 || p.Priority > 65535 {
		return invalidIE("/capacity", "capacity and priority: want 0..65535")
	}
	if p.HeartBeatTimer < 0 || p.HeartBeatTimer > 3600 {
		return invalidIE("/heartBeatTimer", fmt.Sprintf("%d: want 1..3600 seconds", p.HeartBeatTimer))
	}
	return nil
}

func invalidIE(pointer, reason string) *sbi.ProblemError {
	pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, reason)
	if pointer != "" {
		pe.Problem.InvalidParams = []models.InvalidParam{{Param: pointer, Reason: reason}}
	}
	return pe
}

// notFound: TS 29.510 defines no application cause for an unknown
// instance, so the problem carries the status alone.
func notFound(id string) *sbi.ProblemError {
	return sbi.NewProblem(http.StatusNotFound, "", fmt.Sprintf("NF instance %q is not registered", id))
}
