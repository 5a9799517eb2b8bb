package mme

import (
	"slices"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// s1Setup answers an S1 Setup Request: success when the eNB broadcasts
// one of our TACs in our PLMN, S1 Setup Failure (unknown PLMN) otherwise.
func (e *enb) s1Setup(req *s1ap.S1SetupRequest) {
	m := e.m
	if !m.servesAnyTA(req.SupportedTAs) {
		m.m.s1Setups.WithLabelValues("rejected").Inc()
		e.log.Warn("S1 Setup refused: no supported TA is served here", "enb_id", req.GlobalENBID.ID, "name", req.ENBName)
		if err := e.send(&s1ap.S1SetupFailure{Cause: s1ap.CauseUnknownPLMN, TimeToWait: 10}, false); err != nil {
			e.log.Warn("send S1 Setup Failure", "err", err)
		}
		return
	}
	e.mu.Lock()
	e.id, e.name, e.tas = req.GlobalENBID, req.ENBName, req.SupportedTAs
	e.mu.Unlock()
	plmn := s1ap.PLMN(m.plmn)
	resp := &s1ap.S1SetupResponse{MMEName: m.cfg.Name, RelativeCapacity: m.cfg.RelativeCapacity,
		ServedGUMMEIs: []s1ap.ServedGUMMEI{{PLMNs: []s1ap.PLMN{plmn}, GroupIDs: []uint16{m.cfg.MMEGroupID},
			Codes: []uint8{m.cfg.MMECode}}}}
	if err := e.send(resp, false); err != nil {
		e.log.Warn("send S1 Setup Response", "err", err)
		return
	}
	if !e.setup.Swap(true) {
		m.stats.enbs.Add(1)
	}
	m.m.s1Setups.WithLabelValues("accepted").Inc()
	e.log.Info("S1 Setup done", "enb_id", req.GlobalENBID.ID, "name", req.ENBName, "tas", len(req.SupportedTAs))
}

// servesAnyTA reports whether one of the TAs is ours.
func (m *MME) servesAnyTA(tas []s1ap.SupportedTA) bool {
	for _, ta := range tas {
		for _, p := range ta.PLMNs {
			if m.servesTAI(naseps.TAI{PLMN: naseps.PLMN(p), TAC: ta.TAC}) {
				return true
			}
		}
	}
	return false
}

func (m *MME) servesTAI(t naseps.TAI) bool { return slices.Contains(m.tais, t) }

// broadcasts reports whether the eNB announced any of the TAIs (paging).
func (e *enb) broadcasts(tais []naseps.TAI) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ta := range e.tas {
		for _, p := range ta.PLMNs {
			if slices.Contains(tais, naseps.TAI{PLMN: naseps.PLMN(p), TAC: ta.TAC}) {
				return true
			}
		}
	}
	return false
}
