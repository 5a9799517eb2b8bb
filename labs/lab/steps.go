package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/labs/subscribers"
	"github.com/corebox/corebox/orchestrator/controller"
)

// defaultOpsPort is where every NF and simulator serves its ops and
// control API.
const defaultOpsPort = "9090"

func (r *Runner) opsPort() string {
	if r.OpsPort != "" {
		return r.OpsPort
	}
	return defaultOpsPort
}

// runStep runs one lab step and fills its report entry.
func (r *Runner) runStep(ctx context.Context, st *controller.Status, s Step, rs stepRun, rep *report.Report) error {
	switch {
	case s.Register != nil:
		return r.ueStep(ctx, st, s.Register.NF, simapi.PathRegister, simapi.RegisterRequest{Selector: selector(*s.Register)}, rs)
	case s.Session != nil:
		ss := s.Session
		req := simapi.SessionRequest{Selector: selector(ss.UEStep), DNN: ss.DNN, SST: ss.SST, SD: ss.SD, ID: ss.ID}
		return r.ueStep(ctx, st, ss.NF, simapi.PathSessions, req, rs)
	case s.Traffic != nil:
		t := s.Traffic
		target, err := resolveAddrs(st, t.Target)
		if err != nil {
			return err
		}
		req := simapi.TrafficRequest{Selector: selector(t.UEStep), Target: target, Count: t.Count,
			Interval: simapi.Duration(t.Interval), Size: t.Size, Wait: simapi.Duration(t.Wait)}
		return r.ueStep(ctx, st, t.NF, simapi.PathTraffic, req, rs)
	case s.Idle != nil:
		return r.ueStep(ctx, st, s.Idle.NF, simapi.PathIdle, simapi.IdleRequest{Selector: selector(*s.Idle)}, rs)
	case s.Deregister != nil:
		d := s.Deregister
		return r.ueStep(ctx, st, d.NF, simapi.PathDeregister, simapi.DeregisterRequest{Selector: selector(d.UEStep), SwitchOff: d.SwitchOff}, rs)
	case s.Assert != nil:
		return assert(rep, *s.Assert, rs)
	}
	return fmt.Errorf("step %s has no action", s.Name)
}

func selector(u UEStep) simapi.Selector {
	return simapi.Selector{Concurrency: u.Concurrency, Timeout: simapi.Duration(u.Timeout)}
}

// ueStep posts req to every instance of the simulator NF and merges what
// their UEs report. The step fails when any UE failed.
func (r *Runner) ueStep(ctx context.Context, st *controller.Status, nf, path string, req any, rs stepRun) error {
	addrs, err := instancesOf(st, nf)
	if err != nil {
		return err
	}
	var all []simapi.UEResult
	for _, a := range addrs {
		var res simapi.Results
		if err := postJSON(ctx, "http://"+net.JoinHostPort(a, r.opsPort())+path, req, &res); err != nil {
			return fmt.Errorf("%s on %s: %w", path, a, err)
		}
		all = append(all, res.UEs...)
	}
	fill(rs.Step, all)
	if rs.UEs == 0 {
		return fmt.Errorf("%s has no UEs", nf)
	}
	if rs.OK < rs.UEs {
		return fmt.Errorf("%d of %d UEs failed", rs.UEs-rs.OK, rs.UEs)
	}
	if t := rs.Traffic; t != nil && t.Received < t.Sent {
		return fmt.Errorf("%d of %d echo requests got no reply", t.Sent-t.Received, t.Sent)
	}
	return nil
}

// fill aggregates per-UE results into a report step.
func fill(s *report.Step, ues []simapi.UEResult) {
	s.UEs = len(ues)
	var tr *report.Traffic
	for _, u := range ues {
		if !u.OK {
			if s.Failures == nil {
				s.Failures = map[string]int{}
			}
			s.Failures[u.Error]++
			continue
		}
		s.OK++
		s.Samples = append(s.Samples, u.Millis)
		if u.Traffic != nil {
			if tr == nil {
				tr = &report.Traffic{}
			}
			tr.Sent += u.Traffic.Sent
			tr.Received += u.Traffic.Received
			tr.RTTs = append(tr.RTTs, u.Traffic.RTTMs...)
		}
	}
	s.LatencyMs = report.Summarize(s.Samples)
	if tr != nil {
		if tr.Sent > 0 {
			tr.LossRatio = float64(tr.Sent-tr.Received) / float64(tr.Sent)
		}
		tr.RTTMs = report.Summarize(tr.RTTs)
		s.Traffic = tr
	}
}

func assert(rep *report.Report, a AssertStep, rs stepRun) error {
	target := rep.Find(a.Step)
	if target == nil {
		return fmt.Errorf("step %s did not run", a.Step)
	}
	v, ok := target.Metric(a.Metric)
	if !ok {
		return fmt.Errorf("step %s has no %s", a.Step, a.Metric)
	}
	rs.Assert = &report.Assert{Step: a.Step, Metric: a.Metric, Value: v, Min: a.Min, Max: a.Max}
	if a.Min != nil && v < *a.Min {
		return fmt.Errorf("%s of %s is %.4g, want >= %.4g", a.Metric, a.Step, v, *a.Min)
	}
	if a.Max != nil && v > *a.Max {
		return fmt.Errorf("%s of %s is %.4g, want <= %.4g", a.Metric, a.Step, v, *a.Max)
	}
	return nil
}

// provision adds every subscriber range to the profile's UDR (replacing
// what is there, so a rerun starts from known SQNs).
func (r *Runner) provision(ctx context.Context, st *controller.Status, ranges []Subscribers) (int, error) {
	n := 0
	for _, sr := range ranges {
		nf := sr.NF
		if nf == "" {
			nf = "udr"
		}
		addrs, err := instancesOf(st, nf)
		if err != nil {
			return n, fmt.Errorf("subscribers: %w", err)
		}
		base := subscribers.Subscriber{IMSI: sr.IMSI, K: sr.K, OP: sr.OP, OPc: sr.OPc, AMF: sr.AMF, SQN: sr.SQN,
			DNNs: []subscribers.DNN{{DNN: sr.DNN, SST: sr.SST, SD: sr.SD, Default: true}}}
		subs, err := subscribers.Range(base, sr.Count)
		if err != nil {
			return n, err
		}
		udr := subscribers.New(net.JoinHostPort(addrs[0], r.opsPort()))
		for _, s := range subs {
			if err := udr.Add(ctx, s, true); err != nil {
				return n, fmt.Errorf("subscriber %s: %w", s.IMSI, err)
			}
			n++
		}
	}
	return n, nil
}

// controlClient has no overall timeout: a step's own timeout bounds it.
var controlClient = &http.Client{}

func postJSON(ctx context.Context, url string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := controlClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read answer after %v: %w", time.Since(start).Round(time.Millisecond), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
