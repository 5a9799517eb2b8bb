package diameter

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

const (
	mmeHost  = "mme.epc.mnc001.mcc001.3gppnetwork.org"
	hssHost  = "hss.epc.mnc001.mcc001.3gppnetwork.org"
	pgwHost  = "pgw.epc.mnc001.mcc001.3gppnetwork.org"
	pcrfHost = "pcrf.epc.mnc001.mcc001.3gppnetwork.org"
	pcscf    = "pcscf.ims.mnc001.mcc001.3gppnetwork.org"
	realm    = "epc.mnc001.mcc001.3gppnetwork.org"
	imsi     = "001010000000001"
)

// builder is every typed message.
type builder interface{ Build() (*diam.Message, error) }

// sample is one typed message and the parse function that reads it back.
type sample struct {
	name  string
	msg   builder
	parse func(*diam.Message) (any, error)
}

func wrap[T any](f func(*diam.Message) (*T, error)) func(*diam.Message) (any, error) {
	return func(m *diam.Message) (any, error) { return f(m) }
}

func req(session, from, to string) RequestHeader {
	return RequestHeader{SessionID: session, OriginHost: from, OriginRealm: realm, DestinationRealm: realm, DestinationHost: to}
}

func ans(session, from string, r Result) AnswerHeader {
	return AnswerHeader{SessionID: session, OriginHost: from, OriginRealm: realm, Result: r}
}

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func vector(start byte) EUTRANVector {
	return EUTRANVector{RAND: [16]byte(seq(16, start)), XRES: seq(8, start+16), AUTN: [16]byte(seq(16, start+24)),
		KASME: [32]byte(seq(32, start+40))}
}

func plmn(t testing.TB) PLMNID {
	t.Helper()
	p, err := NewPLMNID("001", "01")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var arp = ARP{PriorityLevel: 8, PreemptionCapability: PreemptionCapabilityDisabled, PreemptionVulnerability: PreemptionVulnerabilityEnabled}

// samples covers every command both ways, with optional parts present.
func samples(t testing.TB) []sample {
	s6a := "mme.epc;1;1"
	gx := "pgw.epc;1;2"
	rx := "pcscf.ims;1;3"
	ue := netip.MustParseAddr("10.45.0.2")
	rule := ChargingRule{Name: "voice-1", Precedence: 100,
		Flows: []Flow{{Description: "permit out 17 from 10.0.0.1 50000 to 10.45.0.2 40000", Direction: FlowDirectionDownlink},
			{Description: "permit out 17 from 10.45.0.2 40000 to 10.0.0.1 50000", Direction: FlowDirectionUplink}},
		QoS: &QoSInformation{QCI: 1, MaxReqBandwidthUL: 128000, MaxReqBandwidthDL: 128000,
			GuaranteedBitrateUL: 64000, GuaranteedBitrateDL: 64000, ARP: &ARP{PriorityLevel: 2,
				PreemptionCapability: PreemptionCapabilityEnabled, PreemptionVulnerability: PreemptionVulnerabilityDisabled}}}
	return []sample{
		{"AIR", &AIR{RequestHeader: req(s6a, mmeHost, ""), UserName: imsi, VisitedPLMN: plmn(t), Vectors: 1,
			ImmediateResponsePreferred: true}, wrap(ParseAIR)},
		{"AIR resync", &AIR{RequestHeader: req(s6a, mmeHost, hssHost), UserName: imsi, VisitedPLMN: plmn(t), Vectors: 1,
			Resync: &Resync{RAND: [16]byte(seq(16, 1)), AUTS: [14]byte(seq(14, 100))}}, wrap(ParseAIR)},
		{"AIR no vectors", &AIR{RequestHeader: req(s6a, mmeHost, ""), UserName: imsi, VisitedPLMN: plmn(t)}, wrap(ParseAIR)},
		{"AIA", &AIA{AnswerHeader: ans(s6a, hssHost, Success), Vectors: []EUTRANVector{vector(0), vector(100)}}, wrap(ParseAIA)},
		{"AIA unknown user", &AIA{AnswerHeader: ans(s6a, hssHost, Experimental(ExpErrorUserUnknown))}, wrap(ParseAIA)},
		{"ULR", &ULR{RequestHeader: req(s6a, mmeHost, ""), UserName: imsi, RATType: RATTypeEUTRAN,
			Flags: ULRS6aS6dIndicator | ULRInitialAttachIndicator, VisitedPLMN: plmn(t)}, wrap(ParseULR)},
		{"ULA", &ULA{AnswerHeader: ans(s6a, hssHost, Success), Subscription: &SubscriptionData{
			MSISDN: "33612345678", AMBR: &AMBR{Uplink: 1e9, Downlink: 5e9},
			APNProfile: &APNConfigurationProfile{DefaultContextID: 1, AllIncluded: true, APNs: []APNConfiguration{
				{ContextID: 1, APN: "internet", PDNType: PDNTypeIPv4v6, QoS: &BearerQoS{QCI: 9, ARP: arp},
					AMBR: &AMBR{Uplink: 1e9, Downlink: 2e9}},
				{ContextID: 2, APN: "ims", PDNType: PDNTypeIPv4, QoS: &BearerQoS{QCI: 5, ARP: ARP{PriorityLevel: 1,
					PreemptionCapability: PreemptionCapabilityEnabled, PreemptionVulnerability: PreemptionVulnerabilityDisabled}}},
			}}}}, wrap(ParseULA)},
		{"ULA skip data", &ULA{AnswerHeader: ans(s6a, hssHost, Success), Flags: ULASeparationIndication}, wrap(ParseULA)},
		{"ULA unknown subscription", &ULA{AnswerHeader: ans(s6a, hssHost, Experimental(ExpErrorUnknownEPSSubscription))}, wrap(ParseULA)},
		{"PUR", &PUR{RequestHeader: req(s6a, mmeHost, ""), UserName: imsi, Flags: 1}, wrap(ParsePUR)},
		{"PUA", &PUA{AnswerHeader: ans(s6a, hssHost, Success), Flags: PUAFreezeMTMSI}, wrap(ParsePUA)},
		{"CLR", &CLR{RequestHeader: req("hss.epc;1;9", hssHost, mmeHost), UserName: imsi,
			CancellationType: CancelMMEUpdateProcedure, Flags: 2}, wrap(ParseCLR)},
		{"CLA", &CLA{AnswerHeader: ans("hss.epc;1;9", mmeHost, Success)}, wrap(ParseCLA)},
		{"CCR-I", &CCR{RequestHeader: req(gx, pgwHost, ""), RequestType: CCRequestInitial, RequestNumber: 0,
			Subscriptions: []SubscriptionID{{Type: SubscriptionIDIMSI, Data: imsi}, {Type: SubscriptionIDE164, Data: "33612345678"}},
			FramedIP:      ue, APN: "internet", RATType: RATTypeEUTRAN,
			QoS:              &QoSInformation{APNAMBRUL: 1e9, APNAMBRDL: 2e9},
			DefaultBearerQoS: &BearerQoS{QCI: 9, ARP: arp}}, wrap(ParseCCR)},
		{"CCR-T", &CCR{RequestHeader: req(gx, pgwHost, pcrfHost), RequestType: CCRequestTermination, RequestNumber: 2}, wrap(ParseCCR)},
		{"CCA", &CCA{AnswerHeader: ans(gx, pcrfHost, Success), RequestType: CCRequestInitial, PolicyUpdate: PolicyUpdate{
			Install: []ChargingRule{rule, {Name: "default"}}, Remove: []string{"old-1", "old-2"},
			QoS: &QoSInformation{APNAMBRUL: 1e9, APNAMBRDL: 2e9}, DefaultBearerQoS: &BearerQoS{QCI: 9, ARP: arp}}}, wrap(ParseCCA)},
		{"CCA rejected", &CCA{AnswerHeader: ans(gx, pcrfHost, Experimental(ExpErrorInitialParameters)),
			RequestType: CCRequestInitial}, wrap(ParseCCA)},
		{"RAR", &RAR{RequestHeader: req(gx, pcrfHost, pgwHost), ReAuthRequestType: ReAuthAuthorizeOnly,
			PolicyUpdate: PolicyUpdate{Install: []ChargingRule{rule}}}, wrap(ParseRAR)},
		{"RAA", &RAA{AnswerHeader: ans(gx, pgwHost, Success)}, wrap(ParseRAA)},
		{"AAR", &AAR{RequestHeader: req(rx, pcscf, ""), AFApplicationID: "IMS Services", FramedIP: ue,
			SpecificActions: []uint32{SpecificActionLossOfBearer, SpecificActionReleaseOfBearer},
			Subscriptions:   []SubscriptionID{{Type: SubscriptionIDSIP, Data: "sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org"}},
			Media: []MediaComponent{{Number: 1, MediaType: MediaTypeAudio, MaxReqBandwidthUL: 41000, MaxReqBandwidthDL: 41000,
				Codecs: []string{"uplink\noffer\nm=audio 40000 RTP/AVP 96\na=rtpmap:96 AMR/8000"},
				Subs: []MediaSubComponent{
					{FlowNumber: 1, Descriptions: []string{"permit out 17 from 10.0.0.1 50000 to 10.45.0.2 40000",
						"permit out 17 from 10.45.0.2 40000 to 10.0.0.1 50000"}},
					{FlowNumber: 2, Descriptions: []string{"permit out 17 from 10.0.0.1 50001 to 10.45.0.2 40001"}, Usage: FlowUsageRTCP},
				}}}}, wrap(ParseAAR)},
		{"AAR minimal", &AAR{RequestHeader: req(rx, pcscf, pcrfHost)}, wrap(ParseAAR)},
		{"AAA", &AAA{AnswerHeader: ans(rx, pcrfHost, Success)}, wrap(ParseAAA)},
		{"STR", &STR{RequestHeader: req(rx, pcscf, pcrfHost), TerminationCause: TerminationLogout}, wrap(ParseSTR)},
		{"STA", &STA{AnswerHeader: ans(rx, pcrfHost, Success)}, wrap(ParseSTA)},
	}
}

// wire builds s and reads it back as a peer would.
func wire(t testing.TB, b builder) (*diam.Message, []byte) {
	t.Helper()
	m, err := b.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	raw, err := Encode(m)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	back, err := diam.ReadMessage(bytes.NewReader(raw), dict.Default)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	return back, raw
}
