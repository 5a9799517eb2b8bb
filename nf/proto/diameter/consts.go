package diameter

// Vendor and application identifiers.
const (
	Vendor3GPP uint32 = 10415

	AppBase uint32 = 0
	AppS6a  uint32 = 16777251 // TS 29.272
	AppGx   uint32 = 16777238 // TS 29.212
	AppRx   uint32 = 16777236 // TS 29.214
)

// Command codes.
const (
	CmdCapabilitiesExchange uint32 = 257
	CmdReAuth               uint32 = 258
	CmdAA                   uint32 = 265
	CmdCreditControl        uint32 = 272
	CmdSessionTermination   uint32 = 275
	CmdDeviceWatchdog       uint32 = 280
	CmdDisconnectPeer       uint32 = 282
	CmdUpdateLocation       uint32 = 316
	CmdCancelLocation       uint32 = 317
	CmdAuthenticationInfo   uint32 = 318
	CmdPurgeUE              uint32 = 321
)

// Result-Code values (RFC 6733 7.1).
const (
	ResultSuccess                uint32 = 2001
	ResultCommandUnsupported     uint32 = 3001
	ResultUnableToDeliver        uint32 = 3002
	ResultTooBusy                uint32 = 3004
	ResultApplicationUnsupported uint32 = 3007
	ResultInvalidHdrBits         uint32 = 3008
	ResultUnknownPeer            uint32 = 3010
	ResultAuthorizationRejected  uint32 = 5003
	ResultInvalidAVPValue        uint32 = 5004
	ResultMissingAVP             uint32 = 5005
	ResultNoCommonApplication    uint32 = 5010
	ResultUnableToComply         uint32 = 5012
	ResultInvalidAVPLength       uint32 = 5014
)

// Experimental-Result-Code values of S6a (TS 29.272 7.4.3, 7.4.4).
const (
	ExpErrorUserUnknown                 uint32 = 5001
	ExpErrorRoamingNotAllowed           uint32 = 5004
	ExpErrorUnknownEPSSubscription      uint32 = 5420
	ExpErrorRATNotAllowed               uint32 = 5421
	ExpAuthenticationDataUnavailable    uint32 = 4181
	ExpErrorEquipmentUnknown            uint32 = 5422
	ExpErrorUnknownServingNode          uint32 = 5423
	ExpErrorInitialParameters           uint32 = 5140 // Gx, TS 29.212 5.5.3
	ExpErrorUserUnknownGx               uint32 = 5030 // Gx DIAMETER_USER_UNKNOWN
	ExpErrorInvalidServiceInformationRx uint32 = 5061 // Rx INVALID_SERVICE_INFORMATION
)

// Auth-Session-State.
const (
	AuthSessionStateMaintained   uint32 = 0
	AuthSessionNoStateMaintained uint32 = 1
)

// RAT-Type (TS 29.212 5.3.31).
const (
	RATTypeWLAN   uint32 = 0
	RATTypeUTRAN  uint32 = 1000
	RATTypeGERAN  uint32 = 1001
	RATTypeEUTRAN uint32 = 1004
	RATTypeNR     uint32 = 1009
)

// ULR-Flags bits (TS 29.272 7.3.7).
const (
	ULRSingleRegistrationIndication uint32 = 1 << 0
	ULRS6aS6dIndicator              uint32 = 1 << 1
	ULRSkipSubscriberData           uint32 = 1 << 2
	ULRGPRSSubscriptionData         uint32 = 1 << 3
	ULRNodeTypeIndicator            uint32 = 1 << 4
	ULRInitialAttachIndicator       uint32 = 1 << 5
	ULRPSLCSNotSupportedByUE        uint32 = 1 << 6
)

// ULA-Flags bits (TS 29.272 7.3.8).
const (
	ULASeparationIndication uint32 = 1 << 0
	ULAMMERegisteredForSMS  uint32 = 1 << 1
)

// Cancellation-Type (TS 29.272 7.3.24).
const (
	CancelMMEUpdateProcedure     uint32 = 0
	CancelSGSNUpdateProcedure    uint32 = 1
	CancelSubscriptionWithdrawal uint32 = 2
	CancelUpdateProcedureIWF     uint32 = 3
	CancelInitialAttachProcedure uint32 = 4
)

// PUA-Flags bits (TS 29.272 7.3.48).
const (
	PUAFreezeMTMSI uint32 = 1 << 0
	PUAFreezePTMSI uint32 = 1 << 1
)

// PDN-Type (TS 29.272 7.3.62).
const (
	PDNTypeIPv4       uint32 = 0
	PDNTypeIPv6       uint32 = 1
	PDNTypeIPv4v6     uint32 = 2
	PDNTypeIPv4OrIPv6 uint32 = 3
)

// Pre-emption-Capability and Pre-emption-Vulnerability (TS 29.212
// 5.3.46, 5.3.47).
const (
	PreemptionCapabilityEnabled     uint32 = 0
	PreemptionCapabilityDisabled    uint32 = 1
	PreemptionVulnerabilityEnabled  uint32 = 0
	PreemptionVulnerabilityDisabled uint32 = 1
)

// CC-Request-Type (RFC 4006 8.3).
const (
	CCRequestInitial     uint32 = 1
	CCRequestUpdate      uint32 = 2
	CCRequestTermination uint32 = 3
	CCRequestEvent       uint32 = 4
)

// Subscription-Id-Type (RFC 4006 8.47).
const (
	SubscriptionIDE164 uint32 = 0
	SubscriptionIDIMSI uint32 = 1
	SubscriptionIDSIP  uint32 = 2
	SubscriptionIDNAI  uint32 = 3
)

// Flow-Direction (TS 29.212 5.3.65).
const (
	FlowDirectionUnspecified   uint32 = 0
	FlowDirectionDownlink      uint32 = 1
	FlowDirectionUplink        uint32 = 2
	FlowDirectionBidirectional uint32 = 3
)

// Re-Auth-Request-Type (RFC 6733 8.12).
const ReAuthAuthorizeOnly uint32 = 0

// Media-Type (TS 29.214 5.3.19).
const (
	MediaTypeAudio   uint32 = 0
	MediaTypeVideo   uint32 = 1
	MediaTypeData    uint32 = 2
	MediaTypeControl uint32 = 4
)

// Flow-Usage (TS 29.214 5.3.12).
const (
	FlowUsageNoInformation uint32 = 0
	FlowUsageRTCP          uint32 = 1
	FlowUsageAFSignalling  uint32 = 2
)

// Specific-Action (TS 29.214 5.3.22).
const (
	SpecificActionChargingCorrelation      uint32 = 1
	SpecificActionLossOfBearer             uint32 = 2
	SpecificActionRecoveryOfBearer         uint32 = 3
	SpecificActionReleaseOfBearer          uint32 = 4
	SpecificActionIPCANChange              uint32 = 6
	SpecificActionSuccessfulResourceAlloc  uint32 = 8
	SpecificActionFailedResourceAllocation uint32 = 9
)

// Termination-Cause (RFC 6733 8.15).
const (
	TerminationLogout         uint32 = 1
	TerminationServiceNotProv uint32 = 2
	TerminationAdministrative uint32 = 4
)

// Disconnect-Cause (RFC 6733 5.4.3).
const (
	DisconnectRebooting uint32 = 0
	DisconnectBusy      uint32 = 1
)
