package pfcp

import (
	"net"
	"net/netip"

	"github.com/wmnsk/go-pfcp/ie"
)

// Flag bits of the F-TEID (§8.2.3) and UE IP Address (§8.2.62) IEs.
const (
	fteidV4     = 0x01
	fteidChoose = 0x04
	ueipV4      = 0x02
	ueipSD      = 0x04
)

// ohcGTPUIPv4 is the Outer Header Creation description GTP-U/UDP/IPv4.
const ohcGTPUIPv4 = 0x0100

// Volume Threshold (§8.2.13) and Volume Measurement (§8.2.44) flags.
const (
	volTotal   = 0x01
	volUplink  = 0x02
	volDown    = 0x04
	volAllNOP  = 0x38 // TONOP, ULNOP, DLNOP
	volAllVols = volTotal | volUplink | volDown
)

func ip4(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	b := a.Unmap().As4()
	return net.IP(b[:])
}

func fteidIE(f *FTEID) *ie.IE {
	flags := uint8(fteidV4)
	if f.Choose {
		return ie.NewFTEID(flags|fteidChoose, 0, nil, nil, 0)
	}
	return ie.NewFTEID(flags, f.TEID, ip4(f.IPv4), nil, 0)
}

func ueIPIE(u *UEIPAddress) *ie.IE {
	flags := uint8(ueipV4)
	if u.Destination {
		flags |= ueipSD
	}
	return ie.NewUEIPAddress(flags, u.IPv4.Unmap().String(), "", 0, 0)
}

func pdiIE(p *PDI) *ie.IE {
	ies := []*ie.IE{ie.NewSourceInterface(uint8(p.SourceInterface))}
	if p.LocalFTEID != nil {
		ies = append(ies, fteidIE(p.LocalFTEID))
	}
	if p.NetworkInstance != "" {
		ies = append(ies, ie.NewNetworkInstance(p.NetworkInstance))
	}
	if p.UEIPAddress != nil {
		ies = append(ies, ueIPIE(p.UEIPAddress))
	}
	if p.QFI != 0 {
		ies = append(ies, ie.NewQFI(p.QFI))
	}
	return ie.NewPDI(ies...)
}

func appendIDs(ies []*ie.IE, ids []uint32, mk func(uint32) *ie.IE) []*ie.IE {
	for _, id := range ids {
		ies = append(ies, mk(id))
	}
	return ies
}

// CreatePDRIE encodes p as a Create PDR IE.
func CreatePDRIE(p *PDR) *ie.IE {
	ies := []*ie.IE{ie.NewPDRID(p.ID), ie.NewPrecedence(p.Precedence), pdiIE(&p.PDI)}
	if p.OuterHeaderRemoval != nil {
		ies = append(ies, ie.NewOuterHeaderRemoval(uint8(*p.OuterHeaderRemoval), 0))
	}
	if p.FARID != 0 {
		ies = append(ies, ie.NewFARID(p.FARID))
	}
	ies = appendIDs(ies, p.URRIDs, ie.NewURRID)
	ies = appendIDs(ies, p.QERIDs, ie.NewQERID)
	return ie.NewCreatePDR(ies...)
}

// UpdatePDRIE encodes u as an Update PDR IE.
func UpdatePDRIE(u *UpdatePDR) *ie.IE {
	ies := []*ie.IE{ie.NewPDRID(u.ID)}
	if u.OuterHeaderRemoval != nil {
		ies = append(ies, ie.NewOuterHeaderRemoval(uint8(*u.OuterHeaderRemoval), 0))
	}
	if u.Precedence != nil {
		ies = append(ies, ie.NewPrecedence(*u.Precedence))
	}
	if u.PDI != nil {
		ies = append(ies, pdiIE(u.PDI))
	}
	if u.FARID != 0 {
		ies = append(ies, ie.NewFARID(u.FARID))
	}
	ies = appendIDs(ies, u.URRIDs, ie.NewURRID)
	ies = appendIDs(ies, u.QERIDs, ie.NewQERID)
	return ie.NewUpdatePDR(ies...)
}

// applyActionIE encodes one octet, or two when octet 6 flags are set.
func applyActionIE(a ApplyAction) *ie.IE {
	if a>>8 == 0 {
		return ie.NewApplyAction(uint8(a))
	}
	return ie.NewApplyAction(uint8(a), uint8(a>>8))
}

func forwardingChildren(f *ForwardingParameters) []*ie.IE {
	ies := []*ie.IE{ie.NewDestinationInterface(uint8(f.DestinationInterface))}
	if f.NetworkInstance != "" {
		ies = append(ies, ie.NewNetworkInstance(f.NetworkInstance))
	}
	if o := f.OuterHeaderCreation; o != nil {
		ies = append(ies, ie.NewOuterHeaderCreation(ohcGTPUIPv4, o.TEID, o.IPv4.Unmap().String(), "", 0, 0, 0))
	}
	return ies
}

// CreateFARIE encodes f as a Create FAR IE.
func CreateFARIE(f *FAR) *ie.IE {
	ies := []*ie.IE{ie.NewFARID(f.ID), applyActionIE(f.ApplyAction)}
	if f.Forwarding != nil {
		ies = append(ies, ie.NewForwardingParameters(forwardingChildren(f.Forwarding)...))
	}
	return ie.NewCreateFAR(ies...)
}

// UpdateFARIE encodes u as an Update FAR IE.
func UpdateFARIE(u *UpdateFAR) *ie.IE {
	ies := []*ie.IE{ie.NewFARID(u.ID)}
	if u.ApplyAction != 0 {
		ies = append(ies, applyActionIE(u.ApplyAction))
	}
	if u.Forwarding != nil {
		ies = append(ies, ie.NewUpdateForwardingParameters(forwardingChildren(u.Forwarding)...))
	}
	return ie.NewUpdateFAR(ies...)
}

func qerChildren(qfi uint8, gate *GateStatus, mbr, gbr *Bitrate) []*ie.IE {
	var ies []*ie.IE
	if gate != nil {
		ies = append(ies, ie.NewGateStatus(uint8(gate.UL), uint8(gate.DL)))
	}
	if mbr != nil {
		ies = append(ies, ie.NewMBR(mbr.UL, mbr.DL))
	}
	if gbr != nil {
		ies = append(ies, ie.NewGBR(gbr.UL, gbr.DL))
	}
	if qfi != 0 {
		ies = append(ies, ie.NewQFI(qfi))
	}
	return ies
}

// CreateQERIE encodes q as a Create QER IE.
func CreateQERIE(q *QER) *ie.IE {
	ies := append([]*ie.IE{ie.NewQERID(q.ID)}, qerChildren(q.QFI, &q.GateStatus, q.MBR, q.GBR)...)
	return ie.NewCreateQER(ies...)
}

// UpdateQERIE encodes u as an Update QER IE.
func UpdateQERIE(u *UpdateQER) *ie.IE {
	ies := append([]*ie.IE{ie.NewQERID(u.ID)}, qerChildren(u.QFI, u.GateStatus, u.MBR, u.GBR)...)
	return ie.NewUpdateQER(ies...)
}

func reportingTriggersIE(t ReportingTriggers) *ie.IE {
	if t>>16 == 0 {
		return ie.NewReportingTriggers(uint8(t), uint8(t>>8))
	}
	return ie.NewReportingTriggers(uint8(t), uint8(t>>8), uint8(t>>16))
}

func volumeThresholdIE(v *Volume) *ie.IE {
	var flags uint8
	if v.Total != 0 {
		flags |= volTotal
	}
	if v.Uplink != 0 {
		flags |= volUplink
	}
	if v.Downlink != 0 {
		flags |= volDown
	}
	return ie.NewVolumeThreshold(flags, v.Total, v.Uplink, v.Downlink)
}

// CreateURRIE encodes u as a Create URR IE.
func CreateURRIE(u *URR) *ie.IE {
	m := u.MeasurementMethod
	ies := []*ie.IE{
		ie.NewURRID(u.ID),
		ie.NewMeasurementMethod(bit(m, MeasureEvent), bit(m, MeasureVolume), bit(m, MeasureDuration)),
		reportingTriggersIE(u.ReportingTriggers),
	}
	if u.VolumeThreshold != nil {
		ies = append(ies, volumeThresholdIE(u.VolumeThreshold))
	}
	return ie.NewCreateURR(ies...)
}

// UpdateURRIE encodes u as an Update URR IE.
func UpdateURRIE(u *UpdateURR) *ie.IE {
	ies := []*ie.IE{ie.NewURRID(u.ID)}
	if m := u.MeasurementMethod; m != 0 {
		ies = append(ies, ie.NewMeasurementMethod(bit(m, MeasureEvent), bit(m, MeasureVolume), bit(m, MeasureDuration)))
	}
	if u.ReportingTriggers != 0 {
		ies = append(ies, reportingTriggersIE(u.ReportingTriggers))
	}
	if u.VolumeThreshold != nil {
		ies = append(ies, volumeThresholdIE(u.VolumeThreshold))
	}
	return ie.NewUpdateURR(ies...)
}

func bit(m MeasurementMethod, b MeasurementMethod) int {
	if m&b != 0 {
		return 1
	}
	return 0
}

// CreatedPDRIE encodes c as a Created PDR IE.
func CreatedPDRIE(c *CreatedPDR) *ie.IE {
	ies := []*ie.IE{ie.NewPDRID(c.ID)}
	if c.LocalFTEID != nil {
		ies = append(ies, fteidIE(c.LocalFTEID))
	}
	return ie.NewCreatedPDR(ies...)
}

// UsageReportIE encodes r as a Usage Report IE of the given type
// (ie.UsageReportWithinSession{Modification,Deletion}Response or
// ie.UsageReportWithinSessionReportRequest).
func UsageReportIE(typ uint16, r *UsageReport) *ie.IE {
	t := r.Trigger
	ies := []*ie.IE{
		ie.NewURRID(r.URRID),
		ie.NewURSEQN(r.URSEQN),
		ie.NewUsageReportTrigger(uint8(t), uint8(t>>8), uint8(t>>16)),
	}
	if v := r.Volume; v != nil {
		ies = append(ies, ie.NewVolumeMeasurement(volAllVols|volAllNOP, v.Total, v.Uplink, v.Downlink,
			v.TotalPackets, v.UplinkPackets, v.DownlinkPackets))
	}
	return ie.NewUsageReport(typ, ies...)
}

// SessionReportIEs encodes a Session Report Request's IEs.
func SessionReportIEs(r *SessionReport) []*ie.IE {
	t := r.Type
	ies := []*ie.IE{ie.NewReportType(rbit(t, ReportUPInactivity), rbit(t, ReportErrorInd), rbit(t, ReportUsage), rbit(t, ReportDownlinkData))}
	if r.DownlinkData != nil {
		var ids []*ie.IE
		for _, id := range r.DownlinkData.PDRIDs {
			ids = append(ids, ie.NewPDRID(id))
		}
		ies = append(ies, ie.NewDownlinkDataReport(ids...))
	}
	for i := range r.UsageReports {
		ies = append(ies, UsageReportIE(ie.UsageReportWithinSessionReportRequest, &r.UsageReports[i]))
	}
	return ies
}

func rbit(t, b ReportType) int {
	if t&b != 0 {
		return 1
	}
	return 0
}

// CreateIEs encodes the session's rules as Create PDR/FAR/QER/URR IEs.
func (s *Session) CreateIEs() []*ie.IE {
	var ies []*ie.IE
	for i := range s.PDRs {
		ies = append(ies, CreatePDRIE(&s.PDRs[i]))
	}
	for i := range s.FARs {
		ies = append(ies, CreateFARIE(&s.FARs[i]))
	}
	for i := range s.URRs {
		ies = append(ies, CreateURRIE(&s.URRs[i]))
	}
	for i := range s.QERs {
		ies = append(ies, CreateQERIE(&s.QERs[i]))
	}
	return ies
}

// IEs encodes the modification's Create/Update/Remove IEs.
func (m *Modification) IEs() []*ie.IE {
	var ies []*ie.IE
	for _, id := range m.RemovePDRs {
		ies = append(ies, ie.NewRemovePDR(ie.NewPDRID(id)))
	}
	for _, id := range m.RemoveFARs {
		ies = append(ies, ie.NewRemoveFAR(ie.NewFARID(id)))
	}
	for _, id := range m.RemoveURRs {
		ies = append(ies, ie.NewRemoveURR(ie.NewURRID(id)))
	}
	for _, id := range m.RemoveQERs {
		ies = append(ies, ie.NewRemoveQER(ie.NewQERID(id)))
	}
	create := Session{PDRs: m.CreatePDRs, FARs: m.CreateFARs, QERs: m.CreateQERs, URRs: m.CreateURRs}
	ies = append(ies, create.CreateIEs()...)
	for i := range m.UpdatePDRs {
		ies = append(ies, UpdatePDRIE(&m.UpdatePDRs[i]))
	}
	for i := range m.UpdateFARs {
		ies = append(ies, UpdateFARIE(&m.UpdateFARs[i]))
	}
	for i := range m.UpdateURRs {
		ies = append(ies, UpdateURRIE(&m.UpdateURRs[i]))
	}
	for i := range m.UpdateQERs {
		ies = append(ies, UpdateQERIE(&m.UpdateQERs[i]))
	}
	return ies
}
