package upf

import "github.com/corebox/corebox/nf/proto/pfcp"

// update applies the Update PDR/FAR/QER/URR IEs: fields left out keep
// their values.
func (r *rules) update(m *pfcp.Modification) error {
	for _, u := range m.UpdatePDRs {
		p, ok := r.pdrs[u.ID]
		if !ok {
			return ruleFailure("update PDR %d: not installed", u.ID)
		}
		if u.Precedence != nil {
			p.Precedence = *u.Precedence
		}
		if u.PDI != nil {
			p.PDI = *u.PDI
		}
		if u.OuterHeaderRemoval != nil {
			p.OuterHeaderRemoval = u.OuterHeaderRemoval
		}
		if u.FARID != 0 {
			p.FARID = u.FARID
		}
		if u.QERIDs != nil {
			p.QERIDs = u.QERIDs
		}
		if u.URRIDs != nil {
			p.URRIDs = u.URRIDs
		}
		r.pdrs[u.ID] = p
	}
	for _, u := range m.UpdateFARs {
		f, ok := r.fars[u.ID]
		if !ok {
			return ruleFailure("update FAR %d: not installed", u.ID)
		}
		if u.ApplyAction != 0 {
			f.ApplyAction = u.ApplyAction
		}
		if u.Forwarding != nil {
			f.Forwarding = mergeForwarding(f.Forwarding, u.Forwarding)
		}
		r.fars[u.ID] = f
	}
	for _, u := range m.UpdateQERs {
		q, ok := r.qers[u.ID]
		if !ok {
			return ruleFailure("update QER %d: not installed", u.ID)
		}
		if u.QFI != 0 {
			q.QFI = u.QFI
		}
		if u.GateStatus != nil {
			q.GateStatus = *u.GateStatus
		}
		if u.MBR != nil {
			q.MBR = u.MBR
		}
		if u.GBR != nil {
			q.GBR = u.GBR
		}
		r.qers[u.ID] = q
	}
	for _, u := range m.UpdateURRs {
		v, ok := r.urrs[u.ID]
		if !ok {
			return ruleFailure("update URR %d: not installed", u.ID)
		}
		if u.MeasurementMethod != 0 {
			v.MeasurementMethod = u.MeasurementMethod
		}
		if u.ReportingTriggers != 0 {
			v.ReportingTriggers = u.ReportingTriggers
		}
		if u.VolumeThreshold != nil {
			v.VolumeThreshold = u.VolumeThreshold
		}
		r.urrs[u.ID] = v
	}
	return nil
}

// mergeForwarding lays Update Forwarding Parameters over the old ones. The
// rule model cannot tell an absent Destination Interface from Access, so
// an update without an outer header (not a new tunnel toward the access
// side) keeps the old destination.
func mergeForwarding(old, upd *pfcp.ForwardingParameters) *pfcp.ForwardingParameters {
	f := *upd
	if old == nil {
		return &f
	}
	if f.NetworkInstance == "" {
		f.NetworkInstance = old.NetworkInstance
	}
	if f.OuterHeaderCreation == nil {
		f.OuterHeaderCreation = old.OuterHeaderCreation
		f.DestinationInterface = old.DestinationInterface
	}
	return &f
}
