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

func selector(u UEStep) simapi.Selector {
	return simapi.Selector{Concurrency: u.Concurrency, Timeout: simapi.Duration(u.Timeout)}
}

// minBrokenGap is the least reply gap that counts a session as broken.
const minBrokenGap = time.Second

func (x *execution) traffic(ctx context.Context, t TrafficStep, rs stepRun) error {
	st, err := x.r.API.Status(ctx, x.profile, false)
	if err != nil {
		return fmt.Errorf("status of %s: %w", x.profile, err)
	}
	target, err := resolveAddrs(st, t.Target)
	if err != nil {
		return err
	}
	req := simapi.TrafficRequest{Selector: selector(t.UEStep), Target: target, Count: t.requests(),
		Interval: simapi.Duration(t.Interval), Size: t.Size, Wait: simapi.Duration(t.Wait)}
	return x.ueStep(ctx, t.NF, simapi.PathTraffic, req, rs, max(3*t.Interval, minBrokenGap), t.MaxLoss)
}

// ueStep posts req to every instance of the simulator NF and merges what
// their UEs report. The step fails when any UE failed, or (traffic) more
// echo requests than maxLoss (a ratio) got no reply. brokenGap is a
// traffic step's reply gap that counts a session as broken.
func (x *execution) ueStep(ctx context.Context, nf, path string, req any, rs stepRun, brokenGap time.Duration, maxLoss float64) error {
	all, err := x.postEach(ctx, nf, path, req)
	if err != nil {
		return err
	}
	fill(rs.Step, all, brokenGap)
	if rs.UEs == 0 {
		return fmt.Errorf("%s has no UEs", nf)
	}
	if rs.OK < rs.UEs {
		return fmt.Errorf("%d of %d UEs failed", rs.UEs-rs.OK, rs.UEs)
	}
	if t := rs.Traffic; t != nil && t.LossRatio > maxLoss {
		return fmt.Errorf("%d of %d echo requests got no reply (loss %s, allowed %s; %d broken sessions)",
			t.Sent-t.Received, t.Sent, num(t.LossRatio), num(maxLoss), t.BrokenSessions)
	}
	return nil
}

// postEach posts req to path on every instance of the simulator nf and
// gathers what their UEs report.
func (x *execution) postEach(ctx context.Context, nf, path string, req any) ([]simapi.UEResult, error) {
	var all []simapi.UEResult
	err := x.eachInstance(ctx, nf, func(a string) error {
		var res simapi.Results
		if err := postJSON(ctx, x.r.opsURL(a, path), req, &res); err != nil {
			return fmt.Errorf("%s on %s: %w", path, a, err)
		}
		all = append(all, res.UEs...)
		return nil
	})
	return all, err
}

// maxBrokenNamed bounds the broken UEs a report names.
const maxBrokenNamed = 20

// fill aggregates per-UE results into a report step.
func fill(s *report.Step, ues []simapi.UEResult, brokenGap time.Duration) {
	s.UEs = len(ues)
	var tr *report.Traffic
	if brokenGap > 0 {
		tr = &report.Traffic{BrokenGapMs: float64(brokenGap.Milliseconds())}
	}
	broken := func(supi string, noReply bool) {
		if noReply {
			tr.UEsWithoutReplies++
		}
		tr.BrokenSessions++
		if len(tr.BrokenUEs) < maxBrokenNamed {
			tr.BrokenUEs = append(tr.BrokenUEs, supi)
		}
	}
	for _, u := range ues {
		if !u.OK {
			if s.Failures == nil {
				s.Failures = map[string]int{}
			}
			s.Failures[u.Error]++
			if tr != nil {
				broken(u.SUPI, true)
			}
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
			if tr.BrokenGapMs > 0 && brokeOff(*u.Traffic, tr.BrokenGapMs) {
				broken(u.SUPI, u.Traffic.Received == 0)
			}
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

// brokeOff: the UE got no reply, or its replies stopped more than gapMs
// before its last request.
func brokeOff(t simapi.TrafficOutcome, gapMs float64) bool {
	return t.Received == 0 || t.LastSendMs-t.LastReplyMs > gapMs
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
		for _, dnn := range sr.DNNs {
			base.DNNs = append(base.DNNs, subscribers.DNN{DNN: dnn, SST: sr.SST, SD: sr.SD})
		}
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

// postJSON POSTs body as JSON to url and decodes the answer into out.
func postJSON(ctx context.Context, url string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return callJSON(ctx, http.MethodPost, url, bytes.NewReader(data), out)
}

// getJSON GETs url and decodes the answer into out.
func getJSON(ctx context.Context, url string, out any) error {
	return callJSON(ctx, http.MethodGet, url, nil, out)
}

func callJSON(ctx context.Context, method, url string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
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
