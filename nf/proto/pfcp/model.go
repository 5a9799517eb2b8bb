package pfcp

import "net/netip"

// Interface is a Source or Destination Interface value (TS 29.244 §8.2.2,
// §8.2.24).
type Interface uint8

// Interfaces.
const (
	InterfaceAccess     Interface = 0
	InterfaceCore       Interface = 1
	InterfaceSGiLAN     Interface = 2 // SGi-LAN / N6-LAN
	InterfaceCPFunction Interface = 3
)

// FTEID is a local or remote F-TEID. With Choose set (CHOOSE, "CH"), the UP
// function allocates the TEID and address and reports them in a CreatedPDR.
type FTEID struct {
	TEID   uint32
	IPv4   netip.Addr
	Choose bool
}

// UEIPAddress is a UE IPv4 address; Destination is the S/D flag (set for
// downlink PDRs, where the UE is the destination).
type UEIPAddress struct {
	IPv4        netip.Addr
	Destination bool
}

// PDI is a PDR's packet detection information.
type PDI struct {
	SourceInterface Interface
	LocalFTEID      *FTEID
	UEIPAddress     *UEIPAddress
	NetworkInstance string
	QFI             uint8 // 0: no QFI to match
}

// OuterHeaderRemoval is the Outer Header Removal description (§8.2.64).
type OuterHeaderRemoval uint8

// Outer header removal descriptions.
const (
	RemoveGTPUUDPIPv4 OuterHeaderRemoval = 0
	RemoveGTPUUDPIPv6 OuterHeaderRemoval = 1
	RemoveUDPIPv4     OuterHeaderRemoval = 2
	RemoveUDPIPv6     OuterHeaderRemoval = 3
	RemoveGTPUUDPIP   OuterHeaderRemoval = 6
)

// PDR is a packet detection rule.
type PDR struct {
	ID                 uint16
	Precedence         uint32
	PDI                PDI
	OuterHeaderRemoval *OuterHeaderRemoval
	FARID              uint32 // 0: none
	QERIDs             []uint32
	URRIDs             []uint32
}

// ApplyAction is the Apply Action bit set (§8.2.26): octet 5 in the low
// byte, octet 6 in the high byte.
type ApplyAction uint16

// Apply actions.
const (
	ActionDrop      ApplyAction = 1 << 0
	ActionForward   ApplyAction = 1 << 1
	ActionBuffer    ApplyAction = 1 << 2
	ActionNotifyCP  ApplyAction = 1 << 3 // NOCP
	ActionDuplicate ApplyAction = 1 << 4
)

// OuterHeaderCreation asks for a GTP-U/UDP/IPv4 header toward TEID at IPv4.
type OuterHeaderCreation struct {
	TEID uint32
	IPv4 netip.Addr
}

// ForwardingParameters say where a FAR forwards to.
type ForwardingParameters struct {
	DestinationInterface Interface
	NetworkInstance      string
	OuterHeaderCreation  *OuterHeaderCreation
}

// FAR is a forwarding action rule.
type FAR struct {
	ID          uint32
	ApplyAction ApplyAction
	Forwarding  *ForwardingParameters
}

// Gate is a gate status.
type Gate uint8

// Gates.
const (
	GateOpen   Gate = 0
	GateClosed Gate = 1
)

// GateStatus is the uplink and downlink gate of a QER.
type GateStatus struct {
	UL, DL Gate
}

// Bitrate is an uplink and downlink rate in kbit/s.
type Bitrate struct {
	UL, DL uint64
}

// QER is a QoS enforcement rule.
type QER struct {
	ID         uint32
	QFI        uint8 // 0: none
	GateStatus GateStatus
	MBR        *Bitrate
	GBR        *Bitrate
}

// MeasurementMethod is the URR's measurement method bit set (§8.2.40).
type MeasurementMethod uint8

// Measurement methods.
const (
	MeasureDuration MeasurementMethod = 1 << 0
	MeasureVolume   MeasurementMethod = 1 << 1
	MeasureEvent    MeasurementMethod = 1 << 2
)

// ReportingTriggers is the Reporting Triggers bit set (§8.2.19): octet 5
// in bits 0-7, octet 6 in bits 8-15, octet 7 in bits 16-23.
type ReportingTriggers uint32

// Reporting triggers.
const (
	TriggerPeriodic        ReportingTriggers = 1 << 0 // PERIO
	TriggerVolumeThreshold ReportingTriggers = 1 << 1 // VOLTH
	TriggerTimeThreshold   ReportingTriggers = 1 << 2 // TIMTH
	TriggerQuotaHolding    ReportingTriggers = 1 << 3 // QUHTI
	TriggerStartOfTraffic  ReportingTriggers = 1 << 4 // START
	TriggerStopOfTraffic   ReportingTriggers = 1 << 5 // STOPT
	TriggerDroppedDL       ReportingTriggers = 1 << 6 // DROTH
	TriggerLinkedUsage     ReportingTriggers = 1 << 7 // LIUSA
	TriggerVolumeQuota     ReportingTriggers = 1 << 8 // VOLQU
	TriggerTimeQuota       ReportingTriggers = 1 << 9 // TIMQU
)

// Volume is a volume threshold in octets; a zero field is not set.
type Volume struct {
	Total, Uplink, Downlink uint64
}

// URR is a usage reporting rule.
type URR struct {
	ID                uint32
	MeasurementMethod MeasurementMethod
	ReportingTriggers ReportingTriggers
	VolumeThreshold   *Volume
}

// Session is what an SMF asks a UPF to install: its rules and both ends'
// session endpoint identifiers.
type Session struct {
	CPSEID uint64
	UPSEID uint64
	PDRs   []PDR
	FARs   []FAR
	QERs   []QER
	URRs   []URR
}

// UpdatePDR changes a PDR; nil or zero fields are left unchanged.
type UpdatePDR struct {
	ID                 uint16
	Precedence         *uint32
	PDI                *PDI
	OuterHeaderRemoval *OuterHeaderRemoval
	FARID              uint32
	QERIDs             []uint32
	URRIDs             []uint32
}

// UpdateFAR changes a FAR; Forwarding is sent as Update Forwarding
// Parameters.
type UpdateFAR struct {
	ID          uint32
	ApplyAction ApplyAction // 0: unchanged
	Forwarding  *ForwardingParameters
}

// UpdateQER changes a QER.
type UpdateQER struct {
	ID         uint32
	QFI        uint8 // 0: unchanged
	GateStatus *GateStatus
	MBR        *Bitrate
	GBR        *Bitrate
}

// UpdateURR changes a URR.
type UpdateURR struct {
	ID                uint32
	MeasurementMethod MeasurementMethod // 0: unchanged
	ReportingTriggers ReportingTriggers // 0: unchanged
	VolumeThreshold   *Volume
}

// Modification is one Session Modification Request's changes.
type Modification struct {
	CPSEID, UPSEID uint64 // filled in by the Node

	CreatePDRs []PDR
	CreateFARs []FAR
	CreateQERs []QER
	CreateURRs []URR

	UpdatePDRs []UpdatePDR
	UpdateFARs []UpdateFAR
	UpdateQERs []UpdateQER
	UpdateURRs []UpdateURR

	RemovePDRs []uint16
	RemoveFARs []uint32
	RemoveQERs []uint32
	RemoveURRs []uint32
}

// CreatedPDR reports the F-TEID the UP function chose for a PDR.
type CreatedPDR struct {
	ID         uint16
	LocalFTEID *FTEID
}

// UsageReportTrigger is the Usage Report Trigger bit set (§8.2.41), octets
// 5-7 in bits 0-23.
type UsageReportTrigger uint32

// Usage report triggers.
const (
	UsagePeriodic        UsageReportTrigger = 1 << 0  // PERIO
	UsageVolumeThreshold UsageReportTrigger = 1 << 1  // VOLTH
	UsageTimeThreshold   UsageReportTrigger = 1 << 2  // TIMTH
	UsageStartOfTraffic  UsageReportTrigger = 1 << 4  // START
	UsageStopOfTraffic   UsageReportTrigger = 1 << 5  // STOPT
	UsageImmediate       UsageReportTrigger = 1 << 7  // IMMER
	UsageTermination     UsageReportTrigger = 1 << 11 // TERMR
)

// VolumeMeasurement is measured traffic; every field is sent, zero or not.
type VolumeMeasurement struct {
	Total, Uplink, Downlink                      uint64 // octets
	TotalPackets, UplinkPackets, DownlinkPackets uint64
}

// UsageReport is one URR's report.
type UsageReport struct {
	URRID   uint32
	URSEQN  uint32
	Trigger UsageReportTrigger
	Volume  *VolumeMeasurement
}

// ReportType is the Report Type bit set (§8.2.21).
type ReportType uint8

// Report types.
const (
	ReportDownlinkData ReportType = 1 << 0 // DLDR
	ReportUsage        ReportType = 1 << 1 // USAR
	ReportErrorInd     ReportType = 1 << 2 // ERIR
	ReportUPInactivity ReportType = 1 << 3 // UPIR
)

// DownlinkDataReport names the PDRs whose downlink packets are buffered.
type DownlinkDataReport struct {
	PDRIDs []uint16
}

// SessionReport is a Session Report Request's content.
type SessionReport struct {
	Type         ReportType
	DownlinkData *DownlinkDataReport
	UsageReports []UsageReport
}
