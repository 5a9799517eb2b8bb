// Package bench measures lab-level figures against a running profile:
// how long a scale-out decision takes to carry new sessions.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// ScaleOutConfig names a running profile with a scalable UPF and a UE
// simulator whose UEs can open sessions.
type ScaleOutConfig struct {
	Client  *api.Client
	Profile string // e.g. 5glab
	UPF     string // the NF scaled out (upf)
	UE      string // the UE simulator NF (ue)
	Network string // where the UPF announces its pool (n6)
	DNN     string
	SST     int
	Runs    int
	Timeout time.Duration // for one run's first session on the new replica
	// Every paces the sessions, so the UEs last until the replica is up
	// (the resolution of the measurement is about this).
	Every    time.Duration
	Progress func(string)
}

// ScaleOutRun is one measurement: from the scale call to the first
// session whose address the new replica routes, and how many sessions
// went elsewhere meanwhile.
type ScaleOutRun struct {
	ToFirstSession time.Duration `json:"to_first_session"`
	ToReady        time.Duration `json:"to_ready"` // the new replica's readiness as the orchestrator saw it (0: not yet)
	Elsewhere      int           `json:"sessions_elsewhere"`
}

// ScaleOut scales cfg.UPF from its current replicas to one more, opens
// sessions one at a time until one lands on the new replica, then
// deregisters the UEs and scales back; cfg.Runs times.
func ScaleOut(ctx context.Context, cfg ScaleOutConfig) ([]ScaleOutRun, error) {
	var runs []ScaleOutRun
	for i := range cfg.Runs {
		r, err := scaleOutOnce(ctx, cfg)
		if err != nil {
			return runs, fmt.Errorf("run %d: %w", i+1, err)
		}
		runs = append(runs, r)
		progress(cfg, "run %d: first session on the new replica after %v (replica ready after %v, %d sessions elsewhere)",
			i+1, r.ToFirstSession.Round(time.Millisecond), r.ToReady.Round(time.Millisecond), r.Elsewhere)
	}
	return runs, nil
}

func progress(cfg ScaleOutConfig, format string, args ...any) {
	if cfg.Progress != nil {
		cfg.Progress(fmt.Sprintf(format, args...))
	}
}

func scaleOutOnce(ctx context.Context, cfg ScaleOutConfig) (ScaleOutRun, error) {
	st, err := cfg.Client.Status(ctx, cfg.Profile, false)
	if err != nil {
		return ScaleOutRun{}, err
	}
	upf, ue := nfStatus(st, cfg.UPF), nfStatus(st, cfg.UE)
	if upf == nil || ue == nil || len(ue.Instances) == 0 {
		return ScaleOutRun{}, fmt.Errorf("profile %s needs NFs %q and %q running", cfg.Profile, cfg.UPF, cfg.UE)
	}
	before := upf.Desired
	served, err := announced(ctx, upf, cfg.Network)
	if err != nil {
		return ScaleOutRun{}, err
	}
	sim := "http://" + net.JoinHostPort(ue.Instances[0].Addresses[profiles.MgmtNetwork], strconv.Itoa(profiles.OpsPort))
	ues, err := registerAll(ctx, sim)
	if err != nil {
		return ScaleOutRun{}, err
	}
	defer restore(cfg, sim, before)

	t0 := time.Now()
	if err := cfg.Client.Scale(ctx, cfg.Profile, map[string]int{cfg.UPF: before + 1}); err != nil {
		return ScaleOutRun{}, fmt.Errorf("scale %s to %d: %w", cfg.UPF, before+1, err)
	}
	run := ScaleOutRun{}
	deadline := t0.Add(cfg.Timeout)
	for _, supi := range ues {
		if time.Now().After(deadline) {
			break
		}
		addr, err := openSession(ctx, sim, supi, cfg)
		if err != nil {
			return run, err
		}
		if !containedIn(served, addr) {
			run.ToFirstSession = time.Since(t0)
			run.ToReady = readyAfter(ctx, cfg, t0, before)
			return run, nil
		}
		run.Elsewhere++
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-time.After(cfg.Every):
		}
	}
	return run, fmt.Errorf("no session landed on the new replica within %v (%d UEs tried)", cfg.Timeout, run.Elsewhere)
}

func nfStatus(st *controller.Status, name string) *controller.NFStatus {
	i := slices.IndexFunc(st.NFs, func(n controller.NFStatus) bool { return n.Name == name })
	if i < 0 {
		return nil
	}
	return &st.NFs[i]
}

// announced is what the running replicas route now (GET /routes).
func announced(ctx context.Context, upf *controller.NFStatus, network string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, in := range upf.Instances {
		if in.Phase == state.PhaseDraining {
			continue // leaving: a new replica may take its slice
		}
		var rs nfkit.RoutesStatus
		url := "http://" + net.JoinHostPort(in.Addresses[profiles.MgmtNetwork], strconv.Itoa(profiles.OpsPort)) + "/routes"
		if err := call(ctx, http.MethodGet, url, nil, &rs); err != nil {
			return nil, fmt.Errorf("routes of %s: %w", in.Name, err)
		}
		out = append(out, rs.Routes[network]...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the %s replicas announce nothing on %s", upf.Name, network)
	}
	return out, nil
}

func containedIn(ps []netip.Prefix, a netip.Addr) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}

// registerAll registers the simulator's UEs and lists them.
func registerAll(ctx context.Context, sim string) ([]string, error) {
	var res simapi.Results
	if err := call(ctx, http.MethodPost, sim+simapi.PathRegister, simapi.RegisterRequest{}, &res); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	if n := res.Failed(); n > 0 {
		return nil, fmt.Errorf("register: %d of %d UEs failed (first: %s)", n, len(res.UEs), firstError(res))
	}
	var out []string
	for _, u := range res.UEs {
		out = append(out, u.SUPI)
	}
	return out, nil
}

func openSession(ctx context.Context, sim, supi string, cfg ScaleOutConfig) (netip.Addr, error) {
	var res simapi.Results
	req := simapi.SessionRequest{Selector: simapi.Selector{UEs: []string{supi}}, DNN: cfg.DNN, SST: cfg.SST}
	if err := call(ctx, http.MethodPost, sim+simapi.PathSessions, req, &res); err != nil {
		return netip.Addr{}, fmt.Errorf("session for %s: %w", supi, err)
	}
	if len(res.UEs) != 1 || !res.UEs[0].OK {
		return netip.Addr{}, fmt.Errorf("session for %s: %s", supi, firstError(res))
	}
	a, err := netip.ParseAddr(res.UEs[0].Detail)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("session for %s: address %q: %w", supi, res.UEs[0].Detail, err)
	}
	return a, nil
}

// readyAfter is when the orchestrator saw the new replica ready.
func readyAfter(ctx context.Context, cfg ScaleOutConfig, t0 time.Time, index int) time.Duration {
	st, err := cfg.Client.Status(ctx, cfg.Profile, false)
	if err != nil {
		return 0
	}
	upf := nfStatus(st, cfg.UPF)
	if upf == nil {
		return 0
	}
	name := profiles.InstanceName(cfg.Profile, cfg.UPF, index)
	for _, in := range upf.Instances {
		if in.Name == name && !in.ReadyAt.IsZero() {
			return in.ReadyAt.Sub(t0)
		}
	}
	return 0 // not seen ready yet: sessions can land before the orchestrator's next readiness poll
}

// restore deregisters the UEs (their sessions go) and scales back.
func restore(cfg ScaleOutConfig, sim string, replicas int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res simapi.Results
	if err := call(ctx, http.MethodPost, sim+simapi.PathDeregister, simapi.DeregisterRequest{}, &res); err != nil {
		progress(cfg, "deregister: %v", err)
	}
	if err := cfg.Client.Scale(ctx, cfg.Profile, map[string]int{cfg.UPF: replicas}); err != nil {
		progress(cfg, "scale back to %d: %v", replicas, err)
		return
	}
	if err := cfg.Client.WaitProfileReady(ctx, cfg.Profile, io.Discard); err != nil {
		progress(cfg, "waiting for %s: %v", cfg.Profile, err)
	}
	// Ready holds while a drained replica is still going away: wait until
	// it is gone, so the next run starts from the same replicas.
	for ctx.Err() == nil {
		st, err := cfg.Client.Status(ctx, cfg.Profile, false)
		if err == nil {
			if nf := nfStatus(st, cfg.UPF); nf != nil && len(nf.Instances) == replicas {
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	progress(cfg, "%s did not get back to %d replicas", cfg.UPF, replicas)
}

func firstError(res simapi.Results) string {
	for _, u := range res.UEs {
		if !u.OK {
			return u.SUPI + ": " + u.Error
		}
	}
	return "no UE answered"
}

var httpClient = &http.Client{Timeout: time.Minute}

func call(ctx context.Context, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	return nil
}
