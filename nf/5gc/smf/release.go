package smf

import (
	"context"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// postRelease is ReleaseSMContext (TS 29.502 §5.2.2.4): the AMF ends the
// session (deregistration, or after a network-requested release).
func (n *NF) postRelease(w http.ResponseWriter, r *http.Request) {
	c := n.store.get(r.PathValue("ref"))
	if c == nil {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "no SM context "+r.PathValue("ref"))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		sbi.Malformed(r, err)
		sbi.WriteProblem(w, http.StatusRequestEntityTooLarge, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	if _, err := smcontext.ParseReleaseRequest(r.Header.Get("Content-Type"), body); err != nil {
		sbi.Malformed(r, err)
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	n.releaseLocal(r.Context(), c, "amf_release")
	w.WriteHeader(http.StatusNoContent)
}

// releaseLocal tears c down under its lock.
func (n *NF) releaseLocal(ctx context.Context, c *smContext, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n.teardown(ctx, c, reason)
}

// releaseByNetwork tears c down and tells its AMF the context is gone
// (SmContextStatusNotify), for releases the AMF did not ask for.
func (n *NF) releaseByNetwork(ctx context.Context, c *smContext, reason string, cause models.Smf_PDUSess_Cause) {
	n.releaseLocal(ctx, c, reason)
	if c.statusURI == "" {
		return
	}
	if err := n.peers.notifyStatus(ctx, c.statusURI, cause); err != nil {
		n.log.Warn("AMF not told of a released session", "supi", c.supi, "psi", c.psi, "err", err)
	}
}

// teardown frees what c holds: the PFCP session (collecting its usage),
// the UE address, the UPF's share, the PCF association and the store
// entry. The caller holds c.mu, or c was never published. It runs once.
func (n *NF) teardown(ctx context.Context, c *smContext, reason string) {
	if c.phase.Swap(phaseReleased) == phaseReleased {
		return
	}
	n.deleteSession(ctx, c)
	if mv := c.moving; mv != nil {
		c.moving = nil
		n.deleteOn(ctx, mv.to, mv.seid)
		mv.to.sessions.Add(-1)
		mv.done <- errMoveAborted
	}
	if c.slice != nil && !c.slice.release(c.ueAddr) {
		n.log.Error("UE address was not held", "addr", c.ueAddr, "supi", c.supi)
	}
	if c.upf != nil {
		c.upf.sessions.Add(-1)
	}
	n.deletePolicy(ctx, c)
	if n.store.remove(c) {
		n.metrics.releases.WithLabelValues(reason).Inc()
		n.log.Debug("PDU session released", "supi", c.supi, "psi", c.psi, "reason", reason)
	}
}

// deleteSession removes the PFCP session once. A UPF that is not
// associated is not asked: it is away, or restarted without it.
func (n *NF) deleteSession(ctx context.Context, c *smContext) {
	if c.cpSEID == 0 {
		return
	}
	seid := c.cpSEID
	c.cpSEID = 0
	n.store.bySEID.CompareAndDelete(seid, c)
	if usage := n.deleteOn(ctx, c.upf, seid); usage != nil {
		n.recordUsage(c, usage)
	}
}

// deleteOn deletes the PFCP session seid on u, returning its usage.
func (n *NF) deleteOn(ctx context.Context, u *upfNode, seid uint64) []pfcp.UsageReport {
	node := n.node.Load()
	if node == nil || !u.associated.Load() {
		return nil
	}
	usage, err := node.DeleteSession(ctx, seid)
	if err != nil {
		n.log.Warn("PFCP session deletion failed", "upf", u.key, "seid", seid, "err", err)
		return nil
	}
	return usage
}

// recordUsage counts the volume a URR reported.
func (n *NF) recordUsage(c *smContext, reports []pfcp.UsageReport) {
	for _, r := range reports {
		if r.Volume == nil {
			continue
		}
		n.metrics.usage.WithLabelValues("uplink").Add(float64(r.Volume.Uplink))
		n.metrics.usage.WithLabelValues("downlink").Add(float64(r.Volume.Downlink))
		n.log.Debug("session usage", "supi", c.supi, "psi", c.psi, "urr", r.URRID,
			"ul_octets", r.Volume.Uplink, "dl_octets", r.Volume.Downlink)
	}
}
