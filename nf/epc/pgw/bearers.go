package pgw

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// policyTimeout bounds one policy call or one rule's bearer procedure
// made in the background (T3*(N3+1) of the default timers, and some).
const policyTimeout = 15 * time.Second

// ErrUnknownSession is a rule change for a PDN connection we do not hold.
var ErrUnknownSession = errors.New("pgw: no such PDN connection")

// InstallRules gives each rule a dedicated bearer on the PDN connection
// of imsi to apn (Create Bearer Request toward the SGW), as a PCRF's RAR
// would. It returns when every bearer is up or has failed.
func (n *NF) InstallRules(ctx context.Context, imsi, apnName string, rules ...Rule) error {
	s := n.sessionByIMSIAPN(imsi, apnName)
	if s == nil {
		return fmt.Errorf("%w: %s to %s", ErrUnknownSession, imsi, apnName)
	}
	return n.applyUpdate(ctx, s, PolicyUpdate{Install: rules})
}

// RemoveRules deletes the dedicated bearers of the named rules (Delete
// Bearer Request toward the SGW).
func (n *NF) RemoveRules(ctx context.Context, imsi, apnName string, names ...string) error {
	s := n.sessionByIMSIAPN(imsi, apnName)
	if s == nil {
		return fmt.Errorf("%w: %s to %s", ErrUnknownSession, imsi, apnName)
	}
	return n.applyUpdate(ctx, s, PolicyUpdate{Remove: names})
}

// ApplyPolicy implements PolicyUpdater: it starts applying u to the PDN
// connection of the policy session id in the background, and reports
// false if there is none.
func (n *NF) ApplyPolicy(id string, u PolicyUpdate) bool {
	s := n.sessionByID(id)
	if s == nil {
		return false
	}
	n.bg.Go(func() {
		ctx, cancel := context.WithTimeout(n.runCtx, policyTimeout)
		defer cancel()
		if err := n.applyUpdate(ctx, s, u); err != nil {
			n.log.Warn("policy update not fully applied", "imsi", s.policy.IMSI, "apn", s.apn.name(), "err", err)
		}
	})
	return true
}

// installRules creates the bearers of the rules a policy granted at
// session start, once the Create Session Response has gone.
func (n *NF) installRules(s *session, rules []Rule) {
	ctx, cancel := context.WithTimeout(n.runCtx, policyTimeout)
	defer cancel()
	if err := n.applyUpdate(ctx, s, PolicyUpdate{Install: rules}); err != nil {
		n.log.Warn("rules of the new PDN connection not all installed", "imsi", s.policy.IMSI, "err", err)
	}
}

// applyUpdate removes, then installs; failures are reported to the
// policy (Gx CCR-U) and returned.
func (n *NF) applyUpdate(ctx context.Context, s *session, u PolicyUpdate) error {
	var errs []error
	var reports []RuleReport
	for _, name := range u.Remove {
		if err := n.deleteDedicated(ctx, s, name); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range u.Install {
		if err := n.createDedicated(ctx, s, r); err != nil {
			errs = append(errs, err)
			reports = append(reports, RuleReport{Rule: r.Name, Cause: causeOfErr(err)})
		}
	}
	if len(reports) > 0 {
		if _, err := n.policy.Update(ctx, s.policy, reports); err != nil {
			n.stats.policyFailures.Add(1)
			errs = append(errs, fmt.Errorf("report to policy: %w", err))
		}
	}
	return errors.Join(errs...)
}

// causeError is a procedure the peer refused with a GTPv2 cause.
type causeError struct {
	what  string
	cause uint8
}

func (e *causeError) Error() string { return fmt.Sprintf("%s: cause %d", e.what, e.cause) }

func causeOfErr(err error) uint8 {
	var ce *causeError
	if errors.As(err, &ce) {
		return ce.cause
	}
	return gtpv2.CauseRemotePeerNotResponding
}

// createDedicated runs Create Bearer (TS 29.274 §7.2.3) for one rule.
func (n *NF) createDedicated(ctx context.Context, s *session, r Rule) error {
	s.mu.Lock()
	_, exists := s.rules[r.Name]
	s.mu.Unlock()
	if exists {
		return nil // installed already; modifying a rule is not supported
	}
	pfs, err := filtersOf(r, 1, s.ue)
	if err != nil {
		n.stats.bearersFailed.Add(1)
		return &causeError{what: err.Error(), cause: gtpv2.CauseSemanticErrorsInPacketFilters}
	}
	b := n.newBearer(s, 0, gtpv2c.FTEID{}, r.QoS, r.Name, pfs)
	if err := n.gtpu.AddTunnel(b.teid, uplinkTunnel{n: n, b: b}); err != nil {
		n.uTEIDs.Free(b.teid)
		return fmt.Errorf("rule %q: %w", r.Name, err)
	}
	n.stats.bearers.Add(1)
	ebi, sgwU, err := n.requestBearer(ctx, s, b)
	if err != nil {
		n.stats.bearersFailed.Add(1)
		n.freeBearer(b)
		return fmt.Errorf("rule %q: %w", r.Name, err)
	}
	b.ebi, b.sgwU, b.peer = ebi, sgwU, n.peerU(sgwU)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.bearers[ebi] != nil {
		n.freeBearer(b)
		return fmt.Errorf("rule %q: session gone or EBI %d taken meanwhile", r.Name, ebi)
	}
	s.bearers[ebi] = b
	s.rules[r.Name] = b
	s.publishRoute()
	n.stats.bearersCreated.Add(1)
	n.log.Debug("dedicated bearer created", "imsi", s.policy.IMSI, "rule", r.Name, "ebi", ebi, "qci", r.QoS.QCI)
	return nil
}

// requestBearer sends the Create Bearer Request and reads the EBI and the
// SGW's S5/S8-U F-TEID from the response.
func (n *NF) requestBearer(ctx context.Context, s *session, b *bearer) (uint8, gtpv2c.FTEID, error) {
	pgwU := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPU, TEID: b.teid, Addr: n.uAddr}
	req := message.NewCreateBearerRequest(s.sgwC.TEID, 0, ie.NewEPSBearerID(s.lbi),
		ie.NewBearerContext(ie.NewEPSBearerID(0), tftIE(b.filters), pgwU.IE(1), b.qos.IE(), ie.NewChargingID(b.chargingID)))
	resp, err := n.gtpc.Request(ctx, n.peerC(s.sgwC), req)
	if err != nil {
		return 0, gtpv2c.FTEID{}, err
	}
	cb, ok := resp.(*message.CreateBearerResponse)
	if !ok {
		return 0, gtpv2c.FTEID{}, fmt.Errorf("create bearer: got %s", resp.MessageTypeName())
	}
	if c, err := gtpv2c.CauseOf(cb.Cause); err != nil || !gtpv2c.Accepted(c) {
		return 0, gtpv2c.FTEID{}, &causeError{what: "create bearer refused", cause: c}
	}
	if len(cb.BearerContexts) == 0 {
		return 0, gtpv2c.FTEID{}, &causeError{what: "create bearer response without bearer context", cause: gtpv2.CauseMandatoryIEMissing}
	}
	bc, err := gtpv2c.Children(cb.BearerContexts[0])
	if err != nil {
		return 0, gtpv2c.FTEID{}, err
	}
	if c, err := bc.Cause(); err != nil || !gtpv2c.Accepted(c) {
		return 0, gtpv2c.FTEID{}, &causeError{what: "bearer refused", cause: c}
	}
	ebi, err := bc.EBI()
	if err != nil || ebi < 5 {
		return 0, gtpv2c.FTEID{}, &causeError{what: "bad EBI in create bearer response", cause: gtpv2.CauseMandatoryIEIncorrect}
	}
	sgwU, err := bc.FTEID(2)
	if err != nil {
		return 0, gtpv2c.FTEID{}, &causeError{what: "no S5/S8-U SGW F-TEID", cause: gtpv2.CauseMandatoryIEMissing}
	}
	return ebi, sgwU, nil
}

// deleteDedicated runs Delete Bearer (TS 29.274 §7.2.9.2) for a rule's
// bearer. The bearer goes whatever the SGW answers: the PCRF removed it.
func (n *NF) deleteDedicated(ctx context.Context, s *session, name string) error {
	s.mu.Lock()
	b := s.rules[name]
	s.mu.Unlock()
	if b == nil {
		return fmt.Errorf("rule %q: not installed", name)
	}
	req := message.NewDeleteBearerRequest(s.sgwC.TEID, 0, ie.NewEPSBearerID(b.ebi).WithInstance(1))
	resp, err := n.gtpc.Request(ctx, n.peerC(s.sgwC), req)
	s.mu.Lock()
	if s.rules[name] == b {
		delete(s.rules, name)
		delete(s.bearers, b.ebi)
		s.publishRoute()
		n.freeBearer(b)
		n.stats.bearersDeleted.Add(1)
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("rule %q: delete bearer: %w", name, err)
	}
	if db, ok := resp.(*message.DeleteBearerResponse); ok {
		if c, err := gtpv2c.CauseOf(db.Cause); err != nil || !gtpv2c.Accepted(c) {
			return &causeError{what: fmt.Sprintf("rule %q: delete bearer refused", name), cause: c}
		}
	}
	return nil
}
