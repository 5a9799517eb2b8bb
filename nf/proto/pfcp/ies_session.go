package pfcp

import (
	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// decodeAll decodes every IE of a list with parse.
func decodeAll[T any](ies []*ie.IE, parse func(*ie.IE) (T, error)) ([]T, error) {
	var out []T
	for _, x := range ies {
		v, err := parse(x)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// removeIDs decodes Remove PDR/FAR/QER/URR IEs.
func removeIDs(ies []*ie.IE, idType uint16) ([]uint32, error) {
	return decodeAll(ies, func(x *ie.IE) (uint32, error) { return parseRemoveID(x, idType) })
}

// ParseSessionRules decodes the Create PDR/FAR/QER/URR IEs of a Session
// Establishment Request into a Session (SEIDs are left to the caller).
func ParseSessionRules(req *message.SessionEstablishmentRequest) (*Session, error) {
	var s Session
	var err error
	if s.PDRs, err = decodeAll(req.CreatePDR, ParseCreatePDR); err != nil {
		return nil, err
	}
	if s.FARs, err = decodeAll(req.CreateFAR, ParseCreateFAR); err != nil {
		return nil, err
	}
	if s.QERs, err = decodeAll(req.CreateQER, ParseCreateQER); err != nil {
		return nil, err
	}
	if s.URRs, err = decodeAll(req.CreateURR, ParseCreateURR); err != nil {
		return nil, err
	}
	return &s, nil
}

// ParseModification decodes a Session Modification Request's rule changes.
func ParseModification(req *message.SessionModificationRequest) (*Modification, error) {
	var m Modification
	var err error
	steps := []func() error{
		func() (err error) { m.CreatePDRs, err = decodeAll(req.CreatePDR, ParseCreatePDR); return },
		func() (err error) { m.CreateFARs, err = decodeAll(req.CreateFAR, ParseCreateFAR); return },
		func() (err error) { m.CreateQERs, err = decodeAll(req.CreateQER, ParseCreateQER); return },
		func() (err error) { m.CreateURRs, err = decodeAll(req.CreateURR, ParseCreateURR); return },
		func() (err error) { m.UpdatePDRs, err = decodeAll(req.UpdatePDR, ParseUpdatePDR); return },
		func() (err error) { m.UpdateFARs, err = decodeAll(req.UpdateFAR, ParseUpdateFAR); return },
		func() (err error) { m.UpdateQERs, err = decodeAll(req.UpdateQER, ParseUpdateQER); return },
		func() (err error) { m.UpdateURRs, err = decodeAll(req.UpdateURR, ParseUpdateURR); return },
		func() (err error) { m.RemoveFARs, err = removeIDs(req.RemoveFAR, ie.FARID); return },
		func() (err error) { m.RemoveQERs, err = removeIDs(req.RemoveQER, ie.QERID); return },
		func() (err error) { m.RemoveURRs, err = removeIDs(req.RemoveURR, ie.URRID); return },
	}
	for _, step := range steps {
		if err = step(); err != nil {
			return nil, err
		}
	}
	pdrs, err := removeIDs(req.RemovePDR, ie.PDRID)
	if err != nil {
		return nil, err
	}
	for _, id := range pdrs {
		m.RemovePDRs = append(m.RemovePDRs, uint16(id))
	}
	return &m, nil
}

// ParseCreatedPDR decodes a Created PDR IE.
func ParseCreatedPDR(g *ie.IE) (CreatedPDR, error) {
	kids, err := children(g)
	if err != nil {
		return CreatedPDR{}, err
	}
	var c CreatedPDR
	haveID := false
	for _, x := range kids {
		switch x.Type {
		case ie.PDRID:
			c.ID, err = u16(x)
			haveID = true
		case ie.FTEID:
			c.LocalFTEID, err = parseFTEID(x)
		}
		if err != nil {
			return CreatedPDR{}, err
		}
	}
	if !haveID {
		return CreatedPDR{}, missingIE(ie.PDRID)
	}
	return c, nil
}

func parseVolumeMeasurement(x *ie.IE) (*VolumeMeasurement, error) {
	f, err := x.VolumeMeasurement()
	if err != nil {
		return nil, badIE(x.Type, err)
	}
	return &VolumeMeasurement{Total: f.TotalVolume, Uplink: f.UplinkVolume, Downlink: f.DownlinkVolume,
		TotalPackets: f.TotalNumberOfPackets, UplinkPackets: f.UplinkNumberOfPackets,
		DownlinkPackets: f.DownlinkNumberOfPackets}, nil
}

// ParseUsageReport decodes a Usage Report IE of any of its three types.
func ParseUsageReport(g *ie.IE) (UsageReport, error) {
	kids, err := children(g)
	if err != nil {
		return UsageReport{}, err
	}
	var r UsageReport
	var haveID, haveSeq, haveTrigger bool
	for _, x := range kids {
		switch x.Type {
		case ie.URRID:
			r.URRID, err = u32(x)
			haveID = true
		case ie.URSEQN:
			r.URSEQN, err = u32(x)
			haveSeq = true
		case ie.UsageReportTrigger:
			var v uint32
			v, err = parseTriggers(x)
			r.Trigger, haveTrigger = UsageReportTrigger(v), true
		case ie.VolumeMeasurement:
			r.Volume, err = parseVolumeMeasurement(x)
		}
		if err != nil {
			return UsageReport{}, err
		}
	}
	switch {
	case !haveID:
		return UsageReport{}, missingIE(ie.URRID)
	case !haveSeq:
		return UsageReport{}, missingIE(ie.URSEQN)
	case !haveTrigger:
		return UsageReport{}, missingIE(ie.UsageReportTrigger)
	}
	return r, nil
}

// ParseSessionReport decodes a Session Report Request's content.
func ParseSessionReport(req *message.SessionReportRequest) (*SessionReport, error) {
	if req.ReportType == nil {
		return nil, missingIE(ie.ReportType)
	}
	t, err := u8(req.ReportType)
	if err != nil {
		return nil, err
	}
	r := SessionReport{Type: ReportType(t & 0x0f)}
	if req.DownlinkDataReport != nil {
		kids, err := children(req.DownlinkDataReport)
		if err != nil {
			return nil, err
		}
		r.DownlinkData = &DownlinkDataReport{}
		for _, x := range kids {
			if x.Type != ie.PDRID {
				continue
			}
			id, err := u16(x)
			if err != nil {
				return nil, err
			}
			r.DownlinkData.PDRIDs = append(r.DownlinkData.PDRIDs, id)
		}
	}
	if r.UsageReports, err = decodeAll(req.UsageReport, ParseUsageReport); err != nil {
		return nil, err
	}
	return &r, nil
}
