package ue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit"
)

// Limits of the control API.
const (
	maxRequestBytes = 1 << 20
	defaultTimeout  = 30 * time.Second
	defaultWait     = time.Second
	maxEchoCount    = 1000000
	maxEchoSize     = 60000
)

// stepFunc is one UE's part of a step.
type stepFunc func(ctx context.Context, u *UE) (detail string, tr *simapi.TrafficOutcome, err error)

// plan is a validated step: which UEs, how many at once, for how long.
type plan struct {
	sel     simapi.Selector
	timeout time.Duration
	fn      stepFunc
	// call, when set, runs instead of fn: a step whose outcome is a call.
	call func(ctx context.Context, u *UE) (detail string, call *simapi.CallOutcome, err error)
}

func (n *NF) routes() {
	n.ops.Handle("GET "+simapi.PathUEs, http.HandlerFunc(n.listUEs))
	n.ops.Handle("POST "+simapi.PathRegister, handle(n, "register", n.planRegister))
	n.ops.Handle("POST "+simapi.PathSessions, handle(n, "session", n.planSession))
	n.ops.Handle("POST "+simapi.PathTraffic, handle(n, "traffic", n.planTraffic))
	n.ops.Handle("POST "+simapi.PathIdle, handle(n, "idle", n.planIdle))
	n.ops.Handle("POST "+simapi.PathDeregister, handle(n, "deregister", n.planDeregister))
	if n.res.lte {
		n.lteRoutes()
	}
}

func (n *NF) listUEs(w http.ResponseWriter, _ *http.Request) {
	out := make([]simapi.UEState, len(n.ues))
	for i, u := range n.ues {
		out[i] = u.State()
	}
	nfkit.WriteJSON(w, http.StatusOK, out)
}

// handle decodes and validates a step request (400 with a message when it
// is malformed), runs the step and answers with every UE's outcome.
func handle[R any](n *NF, step string, prepare func(*R) (plan, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req R
		if err := nfkit.ReadJSON(w, r, maxRequestBytes, &req); err != nil && !errors.Is(err, io.EOF) {
			badRequest(w, err)
			return
		}
		p, err := prepare(&req)
		if err == nil {
			err = checkSelector(p.sel)
		}
		var ues []*UE
		if err == nil {
			ues, err = n.pick(p.sel.UEs)
		}
		if err != nil {
			badRequest(w, err)
			return
		}
		// A step over many UEs may outlast the ops server's write timeout.
		if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
			n.log.Debug("control api: write deadline not lifted", "err", err)
		}
		nfkit.WriteJSON(w, http.StatusOK, n.runStep(r.Context(), step, p, ues))
	})
}

func badRequest(w http.ResponseWriter, err error) {
	nfkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

func checkSelector(s simapi.Selector) error {
	if s.Concurrency < 0 {
		return fmt.Errorf("concurrency %d: want >= 0 (0: all UEs)", s.Concurrency)
	}
	if s.Timeout < 0 {
		return fmt.Errorf("timeout %v: must not be negative", time.Duration(s.Timeout))
	}
	return nil
}

// pick resolves SUPIs to UEs; none means all.
func (n *NF) pick(supis []string) ([]*UE, error) {
	if len(supis) == 0 {
		return n.ues, nil
	}
	seen := make(map[string]bool, len(supis))
	out := make([]*UE, 0, len(supis))
	for _, s := range supis {
		u := n.bySUPI(s)
		if u == nil {
			return nil, fmt.Errorf("ues: %q is not one of this simulator's UEs (%s .. %s)", s, n.ues[0].supi, n.ues[len(n.ues)-1].supi)
		}
		if seen[s] {
			return nil, fmt.Errorf("ues: %q listed twice", s)
		}
		seen[s] = true
		out = append(out, u)
	}
	return out, nil
}

// bySUPI finds a UE from its SUPI: the IMSIs count up from the first.
func (n *NF) bySUPI(supi string) *UE {
	digits, ok := strings.CutPrefix(supi, "imsi-")
	if !ok || len(digits) != n.res.imsiLen {
		return nil
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || v < n.res.firstIMSI || v-n.res.firstIMSI >= uint64(len(n.ues)) {
		return nil
	}
	return n.ues[v-n.res.firstIMSI]
}

func (n *NF) planRegister(r *simapi.RegisterRequest) (plan, error) {
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		d, err := u.run(ctx, u.registerStep)
		return d, nil, err
	}}, nil
}

func (n *NF) planSession(r *simapi.SessionRequest) (plan, error) {
	if n.res.lte {
		return n.planPDN(r)
	}
	p := sessionParams{id: 1, dnn: r.DNN}
	if p.dnn == "" {
		p.dnn = n.cfg.Session.DNN
	}
	switch {
	case r.ID < 0 || r.ID > 15:
		return plan{}, fmt.Errorf("id %d: a PDU session ID is 1..15 (0: 1)", r.ID)
	case r.ID > 0:
		p.id = uint8(r.ID)
	}
	p.snssai = n.res.slice
	if r.SST != 0 || r.SD != "" {
		sst := r.SST
		if sst == 0 {
			sst = int(n.res.slice.SST)
		}
		s, err := sliceOf(sst, r.SD)
		if err != nil {
			return plan{}, err
		}
		p.snssai = s
	}
	if len(p.dnn) > 100 {
		return plan{}, fmt.Errorf("dnn of %d characters: at most 100", len(p.dnn))
	}
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		d, err := u.run(ctx, func(ctx context.Context) (string, error) { return u.establish(ctx, p) })
		return d, nil, err
	}}, nil
}

func (n *NF) planTraffic(r *simapi.TrafficRequest) (plan, error) {
	target, err := netip.ParseAddrPort(r.Target)
	switch {
	case err != nil || !target.Addr().Is4() || target.Port() == 0:
		return plan{}, fmt.Errorf("target %q: want IPv4:port of a UDP echo server", r.Target)
	case r.Count < 1 || r.Count > maxEchoCount:
		return plan{}, fmt.Errorf("count %d: want 1..%d", r.Count, maxEchoCount)
	case r.Size < 1 || r.Size > maxEchoSize:
		return plan{}, fmt.Errorf("size %d: want 1..%d bytes", r.Size, maxEchoSize)
	case r.Interval < 0 || r.Wait < 0:
		return plan{}, errors.New("interval and wait must not be negative")
	}
	p := echoParams{target: target, count: r.Count, interval: time.Duration(r.Interval), wait: r.Wait.Or(defaultWait), size: r.Size}
	busy := time.Duration(p.count-1)*p.interval + p.wait
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout + busy), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		var id uint8
		var addr netip.Addr
		_, err := u.run(ctx, func(ctx context.Context) (string, error) {
			var err error
			id, addr, err = u.activeStep(ctx)
			return "", err
		})
		if err != nil {
			return "", nil, err
		}
		out, err := n.dp.echo(ctx, u, id, addr, p)
		if err != nil {
			return addr.String(), nil, err
		}
		return addr.String(), &out, nil
	}}, nil
}

func (n *NF) planIdle(r *simapi.IdleRequest) (plan, error) {
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		_, err := u.run(ctx, func(ctx context.Context) (string, error) { return "", u.idle(ctx) })
		return "", nil, err
	}}, nil
}

func (n *NF) planDeregister(r *simapi.DeregisterRequest) (plan, error) {
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		_, err := u.run(ctx, func(ctx context.Context) (string, error) { return "", u.deregisterStep(ctx, r.SwitchOff) })
		return "", nil, err
	}}, nil
}

// runStep runs fn for every UE, at most the allowed number at once, each
// within the plan's timeout; the step also ends when the simulator stops.
func (n *NF) runStep(reqCtx context.Context, step string, p plan, ues []*UE) simapi.Results {
	ctx, cancel := context.WithCancel(reqCtx)
	defer cancel()
	stop := context.AfterFunc(n.runCtx(), cancel)
	defer stop()
	limit := p.sel.Concurrency
	if limit == 0 || limit > len(ues) {
		limit = len(ues)
	}
	limit = min(limit, n.cfg.MaxConcurrency)
	started := time.Now()
	out := make([]simapi.UEResult, len(ues))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, u := range ues {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = n.runOne(ctx, u, p)
		})
	}
	wg.Wait()
	return simapi.Results{Step: step, Started: started, Elapsed: simapi.Duration(time.Since(started)), UEs: out}
}

func (n *NF) runOne(ctx context.Context, u *UE, p plan) simapi.UEResult {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	var (
		detail string
		tr     *simapi.TrafficOutcome
		call   *simapi.CallOutcome
		err    error
	)
	if p.call != nil {
		detail, call, err = p.call(ctx, u)
	} else {
		detail, tr, err = p.fn(ctx, u)
	}
	res := simapi.UEResult{SUPI: u.supi, OK: err == nil, Millis: ms(time.Since(start)),
		Detail: detail, Traffic: tr, Call: call}
	if err != nil {
		res.Error = errText(err)
	}
	return res
}

// errText is what a failure reads as in results: a bounded set of texts.
func errText(err error) string {
	if errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return err.Error()
}
