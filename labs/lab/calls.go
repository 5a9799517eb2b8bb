package lab

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/labs/simapi"
)

func imsRequest(s IMSStep) simapi.IMSRegisterRequest {
	return simapi.IMSRegisterRequest{Selector: selector(s.UEStep), APN: s.APN, TCP: s.TCP}
}

// Call step defaults.
const (
	defaultTalk       = 10 * time.Second
	defaultBearerWait = 5 * time.Second
	defaultCallLoss   = 0.01
	// callSlack is what a call needs beyond its talk time: set-up, the
	// bearer waits, the BYE.
	callSlack = 30 * time.Second
)

// call pairs the IMS-registered UEs of c.NF with those of c.To, has each
// pair call, and merges what both sides report.
func (x *execution) call(ctx context.Context, c CallStep, rs stepRun) error {
	talk := cmp.Or(c.Talk, defaultTalk)
	wait := cmp.Or(c.BearerWait, defaultBearerWait)
	callers, err := x.registered(ctx, c.NF)
	if err != nil {
		return err
	}
	callees, err := x.registered(ctx, c.To)
	if err != nil {
		return err
	}
	n := min(len(callers), len(callees))
	if n == 0 {
		return fmt.Errorf("no pairs: %d UEs of %s and %d of %s are registered to the IMS (run ims_register first)",
			len(callers), c.NF, len(callees), c.To)
	}
	req := simapi.CallRequest{Selector: selector(c.UEStep), Targets: map[string]string{}, Talk: simapi.Duration(talk),
		HangUp: c.HangUp, BearerWait: simapi.Duration(wait)}
	if req.Timeout == 0 {
		req.Timeout = simapi.Duration(talk + 2*wait + callSlack)
	}
	for i := range n {
		req.Targets[callers[i].SUPI] = callees[i].IMPU
		req.UEs = append(req.UEs, callers[i].SUPI)
	}
	all, err := x.postEach(ctx, c.NF, simapi.PathCalls, req)
	if err != nil {
		return err
	}
	fill(rs.Step, all, 0)
	calls := x.calleeViews(ctx, c.To, all, wait)
	rs.Calls = calls
	return judgeCalls(calls, n, c)
}

// judgeCalls fails the step when a call failed, lost too much media, or
// (unless c.Bearer is false) a leg went without its QCI 1 bearer.
func judgeCalls(calls *report.Calls, pairs int, c CallStep) error {
	if calls.Answered < pairs {
		return fmt.Errorf("%d of %d calls answered", calls.Answered, pairs)
	}
	maxLoss := defaultCallLoss
	if c.MaxLoss != nil {
		maxLoss = *c.MaxLoss
	}
	if calls.MaxLossRatio > maxLoss {
		return fmt.Errorf("a call lost %s of its RTP (allowed %s)", num(calls.MaxLossRatio), num(maxLoss))
	}
	if c.Bearer == nil || *c.Bearer {
		legs := 2 * calls.Answered
		if calls.BearersGot < legs || calls.BearersReleased < legs {
			return fmt.Errorf("QCI 1 bearers: %d of %d call legs got one, %d released it", calls.BearersGot, legs, calls.BearersReleased)
		}
	}
	return nil
}

// calleeViews joins each caller's outcome with the callee's record of the
// same call, polling until the callee has seen every answered call end
// (its bearer release comes after the BYE). A callee that cannot be read
// leaves its side of the calls empty, with the reason as their error.
func (x *execution) calleeViews(ctx context.Context, callee string, callers []simapi.UEResult, wait time.Duration) *report.Calls {
	byID := map[string]simapi.CallRecord{}
	var readErr error
	read := func() {
		readErr = x.eachInstance(ctx, callee, func(addr string) error {
			var recs []simapi.CallRecord
			if err := getJSON(ctx, x.r.opsURL(addr, simapi.PathCalls), &recs); err != nil {
				return fmt.Errorf("%s of %s on %s: %w", simapi.PathCalls, callee, addr, err)
			}
			for _, r := range recs {
				if r.Role == "callee" {
					byID[r.CallID] = r
				}
			}
			return nil
		})
	}
	ended := func() bool {
		for _, u := range callers {
			if u.Call == nil || u.Call.Status != http.StatusOK {
				continue
			}
			if r, ok := byID[u.Call.CallID]; !ok || !r.Ended || (r.Bearer != nil && !r.Bearer.Released) {
				return false
			}
		}
		return true
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(wait + 5*time.Second)
	for read(); !ended(); read() {
		select {
		case <-ctx.Done():
			return mergeCalls(callers, byID, ctx.Err())
		case <-deadline:
			return mergeCalls(callers, byID, readErr)
		case <-tick.C:
		}
	}
	return mergeCalls(callers, byID, readErr)
}

func mergeCalls(callers []simapi.UEResult, callees map[string]simapi.CallRecord, calleeErr error) *report.Calls {
	calls := &report.Calls{}
	for _, u := range callers {
		if u.Call == nil {
			calls.Add(report.Call{Caller: u.SUPI, Error: u.Error})
			continue
		}
		o := u.Call
		call := report.Call{CallID: o.CallID, Caller: u.SUPI, Callee: o.Peer, Status: o.Status, SetupMs: o.SetupMs,
			TalkMs: o.TalkMs, Error: o.Error, AtCaller: media(o)}
		r, ok := callees[o.CallID]
		switch {
		case ok:
			call.AtCallee = media(&r.CallOutcome)
			deafTo(call.AtCaller, r.RTP)
			deafTo(call.AtCallee, o.RTP)
			if call.Error == "" && r.Error != "" {
				call.Error = "callee: " + r.Error
			}
		case calleeErr != nil && call.Error == "":
			call.Error = calleeErr.Error()
		}
		calls.Add(call)
	}
	return calls
}

func media(o *simapi.CallOutcome) *report.Media {
	if o.RTP == nil {
		return nil
	}
	m := &report.Media{Received: o.RTP.Received, Lost: o.RTP.Lost, LossRatio: o.RTP.LossRatio, JitterMs: o.RTP.JitterMs, MOS: o.RTP.MOS}
	if b := o.Bearer; b != nil {
		m.QCI, m.BearerSetupMs, m.BearerReleased = b.QCI, b.SetupMs, b.Released
	}
	return m
}

// deafTo counts, for a side that heard nothing, everything its peer sent
// as lost (the receiver alone cannot know how much that was).
func deafTo(m *report.Media, peer *simapi.RTPStats) {
	if m != nil && peer != nil && m.Received == 0 {
		m.Lost = peer.Sent
	}
}

// registered lists the UEs of simulator nf registered to the IMS, by SUPI.
func (x *execution) registered(ctx context.Context, nf string) ([]simapi.UEState, error) {
	var ues []simapi.UEState
	err := x.eachInstance(ctx, nf, func(addr string) error {
		var got []simapi.UEState
		if err := getJSON(ctx, x.r.opsURL(addr, simapi.PathUEs), &got); err != nil {
			return fmt.Errorf("%s on %s: %w", simapi.PathUEs, addr, err)
		}
		for _, u := range got {
			if u.IMPU != "" {
				ues = append(ues, u)
			}
		}
		return nil
	})
	slices.SortFunc(ues, func(a, b simapi.UEState) int { return strings.Compare(a.SUPI, b.SUPI) })
	return ues, err
}

// eachInstance calls fn with the address of each instance of nf.
func (x *execution) eachInstance(ctx context.Context, nf string, fn func(addr string) error) error {
	st, err := x.r.API.Status(ctx, x.profile, false)
	if err != nil {
		return fmt.Errorf("status of %s: %w", x.profile, err)
	}
	addrs, err := instancesOf(st, nf)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) opsURL(addr, path string) string {
	return "http://" + net.JoinHostPort(addr, r.opsPort()) + path
}
