package pgw

import (
	"context"
	"net/netip"
)

// Policy decides the QoS of PDN connections and their dedicated bearers
// (the PCEF side of PCC, TS 23.203). Without a PCRF it is the local
// policy; with gx.enabled it is the Gx client.
type Policy interface {
	// Start authorizes a new PDN connection (Gx CCR-I).
	Start(ctx context.Context, s PolicySession) (Decision, error)
	// Update reports what became of rules (Gx CCR-U); the answer may
	// change the session's rules.
	Update(ctx context.Context, s PolicySession, reports []RuleReport) (PolicyUpdate, error)
	// Stop ends the PDN connection's policy session (Gx CCR-T).
	Stop(ctx context.Context, s PolicySession) error
}

// PolicySession is what a policy knows of a PDN connection.
type PolicySession struct {
	ID         string // unique per PDN connection, e.g. the Gx Session-Id
	IMSI       string
	MSISDN     string
	APN        string
	UE         netip.Addr
	RATType    uint8
	Requested  QoS  // the default bearer QoS the MME asked for
	RequestedA AMBR // the APN-AMBR the MME asked for
}

// QoS is a bearer's QoS in GTPv2-C terms (TS 29.274 §8.15): bit rates in
// kbps; GBR fields are zero for non-GBR QCIs.
type QoS struct {
	QCI    uint8
	ARP    ARP
	MBRUL  uint64
	MBRDL  uint64
	GBRUL  uint64
	GBRDL  uint64
	Filled bool // set by the parser when the IE was present
}

// ARP is the allocation and retention priority.
type ARP struct {
	Priority                uint8 // 1 (highest) .. 15
	PreemptionCapability    bool  // may pre-empt others
	PreemptionVulnerability bool  // may be pre-empted
}

// AMBR is the APN aggregate maximum bit rate, kbps.
type AMBR struct {
	UL, DL uint32
}

// Rule is a PCC rule that gets a dedicated bearer of its own.
type Rule struct {
	Name       string
	QoS        QoS
	Flows      []string // IPFilterRules, e.g. "permit out 17 from 10.0.0.5 5004 to assigned 6000"
	Precedence uint8    // TFT evaluation precedence, lower first
}

// Decision is a policy's answer to Start.
type Decision struct {
	DefaultQoS QoS
	AMBR       AMBR
	Rules      []Rule // installed once the PDN connection is up
}

// PolicyUpdate changes a session's rules (from a Gx RAR or CCA-U).
type PolicyUpdate struct {
	Install []Rule
	Remove  []string
}

// RuleReport says whether a rule's bearer is active.
type RuleReport struct {
	Rule   string
	Active bool
	Cause  uint8 // GTPv2 cause of a failure
}

// PolicyUpdater applies updates a policy receives from the network (a
// Gx RAR) to the sessions. The NF implements it.
type PolicyUpdater interface {
	// ApplyPolicy starts applying u to the PDN connection of the policy
	// session id (in the background) and reports false if there is none.
	ApplyPolicy(sessionID string, u PolicyUpdate) bool
}

// localPolicy is the policy without a PCRF: the default bearer keeps the
// QoS the MME requested (the subscription's), with local_policy filling
// what the request left out; no dedicated bearers unless installed
// through NF.InstallRules.
type localPolicy struct {
	cfg LocalPolicyConfig
}

func (p localPolicy) Start(_ context.Context, s PolicySession) (Decision, error) {
	q := s.Requested
	if !q.Filled || q.QCI == 0 {
		q = QoS{QCI: p.cfg.QCI, ARP: ARP{Priority: p.cfg.ARPPriority, PreemptionVulnerability: true}, Filled: true}
	}
	a := s.RequestedA
	if a.UL == 0 && a.DL == 0 {
		a = AMBR{UL: p.cfg.AMBRULKbps, DL: p.cfg.AMBRDLKbps}
	}
	return Decision{DefaultQoS: q, AMBR: a}, nil
}

func (localPolicy) Update(context.Context, PolicySession, []RuleReport) (PolicyUpdate, error) {
	return PolicyUpdate{}, nil // nobody to tell
}

func (localPolicy) Stop(context.Context, PolicySession) error { return nil }
