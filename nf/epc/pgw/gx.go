package pgw

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// resultUnknownSessionID is DIAMETER_UNKNOWN_SESSION_ID (RFC 6733 §7.1.5).
const resultUnknownSessionID uint32 = 5002

// ratEUTRAN is the GTPv2 RAT type of LTE (TS 29.274 §8.17).
const ratEUTRAN = 6

// gxPolicy is the Policy with a PCRF: a Gx client (TS 29.212) sending
// CCR-I on Create Session, CCR-U to report failed rules and CCR-T on
// Delete Session, and turning the PCRF's RARs into dedicated bearers.
type gxPolicy struct {
	cfg    GxConfig
	client *diameter.Client
	up     PolicyUpdater
	log    *slog.Logger

	mu     sync.Mutex
	reqNum map[string]uint32 // next CC-Request-Number by Session-Id
}

func newGxPolicy(cfg GxConfig, up PolicyUpdater, log *slog.Logger) (*gxPolicy, error) {
	pc := diameter.PeerConfig{OriginHost: cfg.OriginHost, OriginRealm: cfg.OriginRealm,
		Applications: []uint32{diameter.AppGx}, RequestTimeout: cfg.RequestTimeout}
	if err := pc.Validate(); err != nil {
		return nil, fmt.Errorf("gx: %w", err)
	}
	c, err := diameter.NewClient(pc, cfg.Peer, diameter.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("gx: %w", err)
	}
	g := &gxPolicy{cfg: cfg, client: c, up: up, log: log, reqNum: map[string]uint32{}}
	c.Handle(diameter.AppGx, diameter.CmdReAuth, g.serveRAR)
	return g, nil
}

// Run keeps the connection to the PCRF up.
func (g *gxPolicy) Run(ctx context.Context) error { return g.client.Run(ctx) }

// Ready reports whether the PCRF is connected.
func (g *gxPolicy) Ready() (bool, string) {
	if g.client.Peer() == nil {
		return false, "pcrf not connected"
	}
	return true, ""
}

func (g *gxPolicy) header(id string) diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: id, OriginHost: g.cfg.OriginHost, OriginRealm: g.cfg.OriginRealm,
		DestinationRealm: g.cfg.DestinationRealm}
}

// nextNum returns the session's next CC-Request-Number (0 for CCR-I).
func (g *gxPolicy) nextNum(id string, last bool) uint32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.reqNum[id]
	if last {
		delete(g.reqNum, id)
	} else {
		g.reqNum[id] = n + 1
	}
	return n
}

// Start sends CCR-I and reads the PCRF's decision from the CCA.
func (g *gxPolicy) Start(ctx context.Context, s PolicySession) (Decision, error) {
	ccr := &diameter.CCR{RequestHeader: g.header(s.ID), RequestType: diameter.CCRequestInitial,
		RequestNumber: g.nextNum(s.ID, false), Subscriptions: subscriptions(s), FramedIP: s.UE, APN: s.APN,
		RATType: ratType(s.RATType), DefaultBearerQoS: toGxBearerQoS(s.Requested),
		QoS: &diameter.QoSInformation{APNAMBRUL: kbpsToBps(uint64(s.RequestedA.UL)), APNAMBRDL: kbpsToBps(uint64(s.RequestedA.DL))}}
	cca, err := g.exchange(ctx, ccr)
	if err != nil {
		g.nextNum(s.ID, true)
		return Decision{}, err
	}
	d := Decision{DefaultQoS: s.Requested, AMBR: s.RequestedA}
	if q := cca.DefaultBearerQoS; q != nil {
		d.DefaultQoS = fromGxBearerQoS(*q, s.Requested)
	}
	if q := cca.QoS; q != nil && (q.APNAMBRUL != 0 || q.APNAMBRDL != 0) {
		d.AMBR = AMBR{UL: uint32(min(bpsToKbps(q.APNAMBRUL), math.MaxUint32)), DL: uint32(min(bpsToKbps(q.APNAMBRDL), math.MaxUint32))}
	}
	d.Rules = fromGxRules(cca.Install)
	return d, nil
}

// Update sends CCR-U after rules failed. The diameter package has no
// Charging-Rule-Report yet, so the PCRF learns that the session changed,
// not which rule failed (logged here).
func (g *gxPolicy) Update(ctx context.Context, s PolicySession, reports []RuleReport) (PolicyUpdate, error) {
	for _, r := range reports {
		g.log.Info("rule not active", "session", s.ID, "rule", r.Rule, "cause", r.Cause)
	}
	ccr := &diameter.CCR{RequestHeader: g.header(s.ID), RequestType: diameter.CCRequestUpdate,
		RequestNumber: g.nextNum(s.ID, false), Subscriptions: subscriptions(s), FramedIP: s.UE, APN: s.APN}
	cca, err := g.exchange(ctx, ccr)
	if err != nil {
		return PolicyUpdate{}, err
	}
	return PolicyUpdate{Install: fromGxRules(cca.Install), Remove: cca.Remove}, nil
}

// Stop sends CCR-T.
func (g *gxPolicy) Stop(ctx context.Context, s PolicySession) error {
	ccr := &diameter.CCR{RequestHeader: g.header(s.ID), RequestType: diameter.CCRequestTermination,
		RequestNumber: g.nextNum(s.ID, true), Subscriptions: subscriptions(s), FramedIP: s.UE, APN: s.APN}
	_, err := g.exchange(ctx, ccr)
	return err
}

// exchange sends a CCR and checks its CCA.
func (g *gxPolicy) exchange(ctx context.Context, ccr *diameter.CCR) (*diameter.CCA, error) {
	m, err := ccr.Build()
	if err != nil {
		return nil, fmt.Errorf("gx: %w", err)
	}
	ans, err := g.client.Request(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("gx: CCR type %d: %w", ccr.RequestType, err)
	}
	cca, err := diameter.ParseCCA(ans)
	if err != nil {
		return nil, fmt.Errorf("gx: %w", err)
	}
	if !cca.Result.OK() {
		return nil, fmt.Errorf("gx: CCA type %d: result %d (experimental %v)", ccr.RequestType, cca.Result.Code, cca.Result.Experimental)
	}
	return cca, nil
}

// serveRAR applies a PCRF's Re-Auth-Request: RAA at once (2001, or 5002
// for a session we do not hold); the bearers follow in the background.
func (g *gxPolicy) serveRAR(_ context.Context, _ *diameter.Peer, req *diam.Message) (*diam.Message, error) {
	rar, err := diameter.ParseRAR(req)
	if err != nil {
		return nil, err // answered as malformed by the diameter package
	}
	res := diameter.Success
	u := PolicyUpdate{Install: fromGxRules(rar.Install), Remove: rar.Remove}
	if !g.up.ApplyPolicy(rar.SessionID, u) {
		res = diameter.Result{Code: resultUnknownSessionID}
	}
	raa := &diameter.RAA{AnswerHeader: diameter.AnswerHeader{SessionID: rar.SessionID,
		OriginHost: g.cfg.OriginHost, OriginRealm: g.cfg.OriginRealm, Result: res}}
	return raa.Build()
}

func subscriptions(s PolicySession) []diameter.SubscriptionID {
	out := []diameter.SubscriptionID{{Type: diameter.SubscriptionIDIMSI, Data: s.IMSI}}
	if s.MSISDN != "" {
		out = append(out, diameter.SubscriptionID{Type: diameter.SubscriptionIDE164, Data: s.MSISDN})
	}
	return out
}

func ratType(gtp uint8) uint32 {
	if gtp == ratEUTRAN {
		return diameter.RATTypeEUTRAN
	}
	return 0 // left out
}

func toGxBearerQoS(q QoS) *diameter.BearerQoS {
	if !q.Filled {
		return nil
	}
	return &diameter.BearerQoS{QCI: uint32(q.QCI), ARP: toGxARP(q.ARP)}
}

func toGxARP(a ARP) diameter.ARP {
	g := diameter.ARP{PriorityLevel: uint32(a.Priority), PreemptionCapability: diameter.PreemptionCapabilityDisabled,
		PreemptionVulnerability: diameter.PreemptionVulnerabilityDisabled}
	if a.PreemptionCapability {
		g.PreemptionCapability = diameter.PreemptionCapabilityEnabled
	}
	if a.PreemptionVulnerability {
		g.PreemptionVulnerability = diameter.PreemptionVulnerabilityEnabled
	}
	return g
}

func fromGxARP(a diameter.ARP) ARP {
	return ARP{Priority: uint8(min(a.PriorityLevel, 15)),
		PreemptionCapability:    a.PreemptionCapability == diameter.PreemptionCapabilityEnabled,
		PreemptionVulnerability: a.PreemptionVulnerability == diameter.PreemptionVulnerabilityEnabled}
}

// fromGxBearerQoS is the default bearer QoS the PCRF granted, keeping the
// requested bit rates (the default bearer is non-GBR).
func fromGxBearerQoS(q diameter.BearerQoS, requested QoS) QoS {
	out := requested
	out.QCI = uint8(min(q.QCI, 255))
	out.ARP = fromGxARP(q.ARP)
	out.Filled = true
	return out
}

// fromGxRules turns Charging-Rule-Definitions into rules, one dedicated
// bearer each. Flows repeated for each direction become one
// bidirectional packet filter.
func fromGxRules(defs []diameter.ChargingRule) []Rule {
	out := make([]Rule, 0, len(defs))
	for _, d := range defs {
		r := Rule{Name: d.Name, Precedence: uint8(min(d.Precedence, 255))}
		if q := d.QoS; q != nil {
			r.QoS = QoS{QCI: uint8(min(q.QCI, 255)), MBRUL: bpsToKbps(q.MaxReqBandwidthUL),
				MBRDL: bpsToKbps(q.MaxReqBandwidthDL), GBRUL: bpsToKbps(q.GuaranteedBitrateUL),
				GBRDL: bpsToKbps(q.GuaranteedBitrateDL), Filled: true}
			if q.ARP != nil {
				r.QoS.ARP = fromGxARP(*q.ARP)
			}
		}
		for _, f := range d.Flows {
			if !slices.Contains(r.Flows, f.Description) {
				r.Flows = append(r.Flows, f.Description)
			}
		}
		out = append(out, r)
	}
	return out
}

func bpsToKbps(v uint32) uint64 { return uint64(v) / 1000 }

func kbpsToBps(v uint64) uint32 { return uint32(min(v*1000, math.MaxUint32)) }
