package s1ap

import "fmt"

// procedureMessages names the messages of every S1AP elementary procedure
// (TS 36.413 9.3.2, Rel-17), by procedure code: initiating message,
// successful outcome, unsuccessful outcome.
var procedureMessages = [...][3]string{
	0:  {"HandoverRequired", "HandoverCommand", "HandoverPreparationFailure"},
	1:  {"HandoverRequest", "HandoverRequestAcknowledge", "HandoverFailure"},
	2:  {"HandoverNotify"},
	3:  {"PathSwitchRequest", "PathSwitchRequestAcknowledge", "PathSwitchRequestFailure"},
	4:  {"HandoverCancel", "HandoverCancelAcknowledge"},
	5:  {"E-RABSetupRequest", "E-RABSetupResponse"},
	6:  {"E-RABModifyRequest", "E-RABModifyResponse"},
	7:  {"E-RABReleaseCommand", "E-RABReleaseResponse"},
	8:  {"E-RABReleaseIndication"},
	9:  {"InitialContextSetupRequest", "InitialContextSetupResponse", "InitialContextSetupFailure"},
	10: {"Paging"},
	11: {"DownlinkNASTransport"},
	12: {"InitialUEMessage"},
	13: {"UplinkNASTransport"},
	14: {"Reset", "ResetAcknowledge"},
	15: {"ErrorIndication"},
	16: {"NASNonDeliveryIndication"},
	17: {"S1SetupRequest", "S1SetupResponse", "S1SetupFailure"},
	18: {"UEContextReleaseRequest"},
	19: {"DownlinkS1cdma2000tunnelling"},
	20: {"UplinkS1cdma2000tunnelling"},
	21: {"UEContextModificationRequest", "UEContextModificationResponse", "UEContextModificationFailure"},
	22: {"UECapabilityInfoIndication"},
	23: {"UEContextReleaseCommand", "UEContextReleaseComplete"},
	24: {"ENBStatusTransfer"},
	25: {"MMEStatusTransfer"},
	26: {"DeactivateTrace"},
	27: {"TraceStart"},
	28: {"TraceFailureIndication"},
	29: {"ENBConfigurationUpdate", "ENBConfigurationUpdateAcknowledge", "ENBConfigurationUpdateFailure"},
	30: {"MMEConfigurationUpdate", "MMEConfigurationUpdateAcknowledge", "MMEConfigurationUpdateFailure"},
	31: {"LocationReportingControl"},
	32: {"LocationReportingFailureIndication"},
	33: {"LocationReport"},
	34: {"OverloadStart"},
	35: {"OverloadStop"},
	36: {"WriteReplaceWarningRequest", "WriteReplaceWarningResponse"},
	37: {"ENBDirectInformationTransfer"},
	38: {"MMEDirectInformationTransfer"},
	39: {"PrivateMessage"},
	40: {"ENBConfigurationTransfer"},
	41: {"MMEConfigurationTransfer"},
	42: {"CellTrafficTrace"},
	43: {"KillRequest", "KillResponse"},
	44: {"DownlinkUEAssociatedLPPaTransport"},
	45: {"UplinkUEAssociatedLPPaTransport"},
	46: {"DownlinkNonUEAssociatedLPPaTransport"},
	47: {"UplinkNonUEAssociatedLPPaTransport"},
	48: {"UERadioCapabilityMatchRequest", "UERadioCapabilityMatchResponse"},
	49: {"PWSRestartIndication"},
	50: {"E-RABModificationIndication", "E-RABModificationConfirm"},
	51: {"PWSFailureIndication"},
	52: {"RerouteNASRequest"},
	53: {"UEContextModificationIndication", "UEContextModificationConfirm"},
	54: {"ConnectionEstablishmentIndication"},
	55: {"UEContextSuspendRequest", "UEContextSuspendResponse"},
	56: {"UEContextResumeRequest", "UEContextResumeResponse", "UEContextResumeFailure"},
	57: {"NASDeliveryIndication"},
	58: {"RetrieveUEInformation"},
	59: {"UEInformationTransfer"},
	60: {"ENBCPRelocationIndication"},
	61: {"MMECPRelocationIndication"},
	62: {"SecondaryRATDataUsageReport"},
	63: {"UERadioCapabilityIDMappingRequest", "UERadioCapabilityIDMappingResponse"},
	64: {"HandoverSuccess"},
	65: {"ENBEarlyStatusTransfer"},
	66: {"MMEEarlyStatusTransfer"},
}

// messageName names the message of a procedure and PDU kind, or describes
// the pair when S1AP defines no such message.
func messageName(proc ProcedureCode, kind PDUKind) string {
	if int(proc) < len(procedureMessages) && kind <= UnsuccessfulOutcome {
		if name := procedureMessages[proc][kind]; name != "" {
			return name
		}
	}
	return fmt.Sprintf("procedure %d %v", proc, kind)
}

// Protocol IE ids this package reads or writes (TS 36.413 9.3.6).
const (
	idMMEUES1APID                  = 0
	idCause                        = 2
	idENBUES1APID                  = 8
	idERABReleaseItemBearerRelComp = 15
	idERABToBeSetupListBearerSUReq = 16
	idERABToBeSetupItemBearerSUReq = 17
	idERABToBeSetupListCtxtSUReq   = 24
	idNASPDU                       = 26
	idERABSetupListBearerSURes     = 28
	idERABFailedToSetupListBearer  = 29
	idERABToBeReleasedList         = 33
	idERABFailedToReleaseList      = 34
	idERABItem                     = 35
	idERABSetupItemBearerSURes     = 39
	idUEPagingID                   = 43
	idPagingDRX                    = 44
	idTAIList                      = 46
	idTAIItem                      = 47
	idERABFailedToSetupListCtxt    = 48
	idERABSetupItemCtxtSURes       = 50
	idERABSetupListCtxtSURes       = 51
	idERABToBeSetupItemCtxtSUReq   = 52
	idGlobalENBID                  = 59
	idENBName                      = 60
	idMMEName                      = 61
	idSupportedTAs                 = 64
	idTimeToWait                   = 65
	idUEAMBR                       = 66
	idTAI                          = 67
	idERABReleaseListBearerRelComp = 69
	idSecurityKey                  = 73
	idUEIdentityIndexValue         = 80
	idGUMMEIID                     = 75
	idRelativeMMECapacity          = 87
	idSTMSI                        = 96
	idUES1APIDs                    = 99
	idEUTRANCGI                    = 100
	idServedGUMMEIs                = 105
	idUESecurityCapabilities       = 107
	idCNDomain                     = 109
	idRRCEstablishmentCause        = 134
	idDefaultPagingDRX             = 137
)

var ieNames = map[uint16]string{
	idMMEUES1APID: "MME-UE-S1AP-ID", idCause: "Cause", idENBUES1APID: "eNB-UE-S1AP-ID",
	idERABReleaseItemBearerRelComp: "E-RABReleaseItemBearerRelComp",
	idERABToBeSetupListBearerSUReq: "E-RABToBeSetupListBearerSUReq",
	idERABToBeSetupItemBearerSUReq: "E-RABToBeSetupItemBearerSUReq",
	idERABToBeSetupListCtxtSUReq:   "E-RABToBeSetupListCtxtSUReq", idNASPDU: "NAS-PDU",
	idERABSetupListBearerSURes:    "E-RABSetupListBearerSURes",
	idERABFailedToSetupListBearer: "E-RABFailedToSetupListBearerSURes",
	idERABToBeReleasedList:        "E-RABToBeReleasedList", idERABFailedToReleaseList: "E-RABFailedToReleaseList",
	idERABItem: "E-RABItem", idERABSetupItemBearerSURes: "E-RABSetupItemBearerSURes",
	idUEPagingID: "UEPagingID", idPagingDRX: "pagingDRX", idTAIList: "TAIList", idTAIItem: "TAIItem",
	idERABFailedToSetupListCtxt: "E-RABFailedToSetupListCtxtSURes", idERABSetupItemCtxtSURes: "E-RABSetupItemCtxtSURes",
	idERABSetupListCtxtSURes: "E-RABSetupListCtxtSURes", idERABToBeSetupItemCtxtSUReq: "E-RABToBeSetupItemCtxtSUReq",
	idGlobalENBID: "Global-ENB-ID", idENBName: "eNBname", idMMEName: "MMEname", idSupportedTAs: "SupportedTAs",
	idTimeToWait: "TimeToWait", idUEAMBR: "uEaggregateMaximumBitrate", idTAI: "TAI",
	idERABReleaseListBearerRelComp: "E-RABReleaseListBearerRelComp", idSecurityKey: "SecurityKey",
	idGUMMEIID: "GUMMEI-ID", idUEIdentityIndexValue: "UEIdentityIndexValue", idRelativeMMECapacity: "RelativeMMECapacity",
	idSTMSI: "S-TMSI", idUES1APIDs: "UE-S1AP-IDs", idEUTRANCGI: "EUTRAN-CGI", idServedGUMMEIs: "ServedGUMMEIs",
	idUESecurityCapabilities: "UESecurityCapabilities", idCNDomain: "CNDomain",
	idRRCEstablishmentCause: "RRC-Establishment-Cause", idDefaultPagingDRX: "DefaultPagingDRX",
}

func ieName(id uint16) string {
	if n, ok := ieNames[id]; ok {
		return n
	}
	return fmt.Sprintf("IE %d", id)
}
