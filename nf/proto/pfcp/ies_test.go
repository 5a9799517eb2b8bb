package pfcp

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

func ptr[T any](v T) *T { return &v }

var (
	gnbAddr = netip.MustParseAddr("10.100.0.2")
	upfN3   = netip.MustParseAddr("10.100.0.10")
	ueAddr  = netip.MustParseAddr("10.45.0.7")
)

// fullSession is a PDU session as an SMF installs it: UL and DL PDRs, a
// forwarding FAR each way, a QER with rates and a volume URR.
func fullSession() Session {
	return Session{
		PDRs: []PDR{
			{ID: 1, Precedence: 255, PDI: PDI{SourceInterface: InterfaceAccess,
				LocalFTEID: &FTEID{Choose: true}, UEIPAddress: &UEIPAddress{IPv4: ueAddr},
				NetworkInstance: "internet", QFI: 9},
				OuterHeaderRemoval: ptr(RemoveGTPUUDPIPv4), FARID: 1, QERIDs: []uint32{1}, URRIDs: []uint32{1}},
			{ID: 2, Precedence: 255, PDI: PDI{SourceInterface: InterfaceCore,
				UEIPAddress: &UEIPAddress{IPv4: ueAddr, Destination: true}, NetworkInstance: "internet"},
				FARID: 2, QERIDs: []uint32{1, 2}, URRIDs: []uint32{1}},
		},
		FARs: []FAR{
			{ID: 1, ApplyAction: ActionForward, Forwarding: &ForwardingParameters{DestinationInterface: InterfaceCore, NetworkInstance: "internet"}},
			{ID: 2, ApplyAction: ActionForward, Forwarding: &ForwardingParameters{DestinationInterface: InterfaceAccess,
				OuterHeaderCreation: &OuterHeaderCreation{TEID: 0x1234, IPv4: gnbAddr}}},
			{ID: 3, ApplyAction: ActionBuffer | ActionNotifyCP},
		},
		QERs: []QER{
			{ID: 1, QFI: 9, GateStatus: GateStatus{UL: GateOpen, DL: GateOpen}, MBR: &Bitrate{UL: 100000, DL: 200000}},
			{ID: 2, GateStatus: GateStatus{UL: GateClosed, DL: GateOpen}, MBR: &Bitrate{UL: 1, DL: 2}, GBR: &Bitrate{UL: 1 << 39, DL: 7}},
		},
		URRs: []URR{
			{ID: 1, MeasurementMethod: MeasureVolume | MeasureDuration, ReportingTriggers: TriggerVolumeThreshold | TriggerPeriodic,
				VolumeThreshold: &Volume{Total: 1 << 30, Downlink: 1 << 29}},
			{ID: 2, MeasurementMethod: MeasureEvent, ReportingTriggers: TriggerVolumeQuota | TriggerStartOfTraffic},
		},
	}
}

// reparse marshals a go-pfcp message and parses it back.
func reparse(t *testing.T, m message.Message) message.Message {
	t.Helper()
	b := make([]byte, m.MarshalLen())
	if err := m.MarshalTo(b); err != nil {
		t.Fatal(err)
	}
	out, err := message.Parse(b)
	if err != nil {
		t.Fatalf("parse %x: %v", b, err)
	}
	return out
}

func TestSessionRulesRoundTrip(t *testing.T) {
	minimal := Session{PDRs: []PDR{{ID: 7, PDI: PDI{SourceInterface: InterfaceCore}}}}
	onlyDrop := Session{FARs: []FAR{{ID: 9, ApplyAction: ActionDrop}}}
	cases := map[string]Session{"full": fullSession(), "minimal": minimal, "drop": onlyDrop, "empty": {}}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			req := message.NewSessionEstablishmentRequest(0, 0, 0, 1, 0, want.CreateIEs()...)
			got, err := ParseSessionRules(reparse(t, req).(*message.SessionEstablishmentRequest))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestModificationRoundTrip(t *testing.T) {
	full := fullSession()
	cases := map[string]Modification{
		"create": {CreatePDRs: full.PDRs, CreateFARs: full.FARs, CreateQERs: full.QERs, CreateURRs: full.URRs},
		"update": {
			UpdatePDRs: []UpdatePDR{{ID: 2, Precedence: ptr(uint32(10)), PDI: &PDI{SourceInterface: InterfaceCore, QFI: 5},
				OuterHeaderRemoval: ptr(RemoveGTPUUDPIPv6), FARID: 3, QERIDs: []uint32{4}, URRIDs: []uint32{5}}, {ID: 3}},
			UpdateFARs: []UpdateFAR{{ID: 2, ApplyAction: ActionForward, Forwarding: &ForwardingParameters{
				DestinationInterface: InterfaceAccess, OuterHeaderCreation: &OuterHeaderCreation{TEID: 0x99, IPv4: gnbAddr}}},
				{ID: 3, ApplyAction: ActionDrop | 1<<9}},
			UpdateQERs: []UpdateQER{{ID: 1, QFI: 5, GateStatus: &GateStatus{UL: GateClosed, DL: GateClosed}, MBR: &Bitrate{UL: 5, DL: 6}}, {ID: 2, GBR: &Bitrate{UL: 1}}},
			UpdateURRs: []UpdateURR{{ID: 1, MeasurementMethod: MeasureVolume, ReportingTriggers: 1 << 17, VolumeThreshold: &Volume{Uplink: 10}}, {ID: 2}},
		},
		"remove": {RemovePDRs: []uint16{1, 2}, RemoveFARs: []uint32{1}, RemoveQERs: []uint32{3, 4}, RemoveURRs: []uint32{5}},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			req := message.NewSessionModificationRequest(0, 0, 1, 1, 0, want.IEs()...)
			got, err := ParseModification(reparse(t, req).(*message.SessionModificationRequest))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestReportsRoundTrip(t *testing.T) {
	reports := []UsageReport{
		{URRID: 1, URSEQN: 3, Trigger: UsageTermination, Volume: &VolumeMeasurement{Total: 300, Uplink: 100, Downlink: 200,
			TotalPackets: 3, UplinkPackets: 1, DownlinkPackets: 2}},
		{URRID: 2, URSEQN: 0, Trigger: UsageVolumeThreshold | UsageImmediate, Volume: &VolumeMeasurement{}},
		{URRID: 3, Trigger: UsagePeriodic},
	}
	cases := map[string]SessionReport{
		"downlink data": {Type: ReportDownlinkData, DownlinkData: &DownlinkDataReport{PDRIDs: []uint16{2}}},
		"usage":         {Type: ReportUsage, UsageReports: reports},
		"both":          {Type: ReportUsage | ReportDownlinkData, DownlinkData: &DownlinkDataReport{PDRIDs: []uint16{2, 4}}, UsageReports: reports[:1]},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			req := message.NewSessionReportRequest(0, 0, 1, 1, 0, SessionReportIEs(&want)...)
			got, err := ParseSessionReport(reparse(t, req).(*message.SessionReportRequest))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
	t.Run("deletion response", func(t *testing.T) {
		var ies []*ie.IE
		for i := range reports {
			ies = append(ies, UsageReportIE(ie.UsageReportWithinSessionDeletionResponse, &reports[i]))
		}
		res := reparse(t, message.NewSessionDeletionResponse(0, 0, 1, 1, 0, ies...)).(*message.SessionDeletionResponse)
		got, err := decodeAll(res.UsageReport, ParseUsageReport)
		if err != nil || !reflect.DeepEqual(got, reports) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("created pdr", func(t *testing.T) {
		want := []CreatedPDR{{ID: 1, LocalFTEID: &FTEID{TEID: 0xabc, IPv4: upfN3}}, {ID: 2}}
		ies := []*ie.IE{CreatedPDRIE(&want[0]), CreatedPDRIE(&want[1])}
		res := reparse(t, message.NewSessionEstablishmentResponse(0, 0, 1, 1, 0, ies...)).(*message.SessionEstablishmentResponse)
		got, err := decodeAll(res.CreatedPDR, ParseCreatedPDR)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestDecodeErrorsName(t *testing.T) {
	cases := []struct {
		name  string
		ie    *ie.IE
		parse func(*ie.IE) error
		typ   uint16
		cause Cause
	}{
		{"pdr without id", ie.NewCreatePDR(ie.NewPrecedence(1), ie.NewPDI(ie.NewSourceInterface(0))),
			func(x *ie.IE) error { _, err := ParseCreatePDR(x); return err }, ie.PDRID, CauseMandatoryIEMissing},
		{"pdr without pdi", ie.NewCreatePDR(ie.NewPDRID(1), ie.NewPrecedence(1)),
			func(x *ie.IE) error { _, err := ParseCreatePDR(x); return err }, ie.PDI, CauseMandatoryIEMissing},
		{"pdi without source", ie.NewCreatePDR(ie.NewPDRID(1), ie.NewPrecedence(1), ie.NewPDI(ie.NewQFI(1))),
			func(x *ie.IE) error { _, err := ParseCreatePDR(x); return err }, ie.SourceInterface, CauseMandatoryIEMissing},
		{"short precedence", ie.NewCreatePDR(ie.NewPDRID(1), ie.New(ie.Precedence, []byte{1})),
			func(x *ie.IE) error { _, err := ParseCreatePDR(x); return err }, ie.Precedence, CauseMandatoryIEIncorrect},
		{"far without action", ie.NewCreateFAR(ie.NewFARID(1)),
			func(x *ie.IE) error { _, err := ParseCreateFAR(x); return err }, ie.ApplyAction, CauseMandatoryIEMissing},
		{"ipv6 outer header", ie.NewCreateFAR(ie.NewFARID(1), ie.NewApplyAction(2), ie.NewForwardingParameters(
			ie.NewDestinationInterface(0), ie.NewOuterHeaderCreation(0x0200, 1, "", "2001:db8::1", 0, 0, 0))),
			func(x *ie.IE) error { _, err := ParseCreateFAR(x); return err }, ie.OuterHeaderCreation, CauseMandatoryIEIncorrect},
		{"qer without gate", ie.NewCreateQER(ie.NewQERID(1)),
			func(x *ie.IE) error { _, err := ParseCreateQER(x); return err }, ie.GateStatus, CauseMandatoryIEMissing},
		{"short mbr", ie.NewCreateQER(ie.NewQERID(1), ie.NewGateStatus(0, 0), ie.New(ie.MBR, []byte{1, 2})),
			func(x *ie.IE) error { _, err := ParseCreateQER(x); return err }, ie.MBR, CauseMandatoryIEIncorrect},
		{"urr without method", ie.NewCreateURR(ie.NewURRID(1)),
			func(x *ie.IE) error { _, err := ParseCreateURR(x); return err }, ie.MeasurementMethod, CauseMandatoryIEMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ieErr *IEError
			err := tc.parse(tc.ie)
			if !errors.As(err, &ieErr) || ieErr.Type != tc.typ || ieErr.Cause != tc.cause {
				t.Fatalf("error %v, want IE %d with %s", err, tc.typ, tc.cause)
			}
		})
	}
}
