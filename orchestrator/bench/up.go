package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// UpConfig says what `corebox bench up` measures.
type UpConfig struct {
	Client   *api.Client
	Profile  *profiles.Profile
	ImageTag string
	Runs     int
	Progress func(string)
}

// UpResult holds, per run, the time from `up` to every instance ready, and
// the sum of single starts of a container like each of its instances,
// measured in the same run.
type UpResult struct {
	Instances   int             `json:"instances"`
	UpToReady   []time.Duration `json:"up_to_ready_ns"`
	SumOfSingle []time.Duration `json:"sum_of_single_starts_ns"`
}

// Up measures bring-up against sequential single starts, interleaved.
func Up(ctx context.Context, cfg UpConfig) (*UpResult, error) {
	res := &UpResult{}
	for _, nf := range cfg.Profile.NFs {
		res.Instances += max(nf.Replicas, 1)
	}
	for i := range cfg.Runs {
		d, err := upOnce(ctx, cfg)
		if err != nil {
			return nil, err
		}
		res.UpToReady = append(res.UpToReady, d)
		s, err := singleStarts(ctx, cfg)
		if err != nil {
			return nil, err
		}
		res.SumOfSingle = append(res.SumOfSingle, s)
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf("run %d/%d: up %.0f ms, %d single starts %.0f ms", i+1, cfg.Runs, ms(d), res.Instances, ms(s)))
		}
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// upOnce applies the profile, waits for every instance to be ready, and
// brings it down again (untimed).
func upOnce(ctx context.Context, cfg UpConfig) (time.Duration, error) {
	c := cfg.Client
	t0 := time.Now()
	if _, err := c.Apply(ctx, api.ApplyRequest{Profile: *cfg.Profile, ImageTag: cfg.ImageTag}); err != nil {
		return 0, fmt.Errorf("bench: up: %w", err)
	}
	if err := poll(ctx, time.Minute, func() (bool, error) {
		st, err := c.Status(ctx, cfg.Profile.Name, false)
		return err == nil && st.Ready, err
	}); err != nil {
		return 0, fmt.Errorf("bench: %s not ready: %w", cfg.Profile.Name, err)
	}
	d := time.Since(t0)
	if err := c.Down(ctx, cfg.Profile.Name); err != nil {
		return 0, fmt.Errorf("bench: down: %w", err)
	}
	err := poll(ctx, time.Minute, func() (bool, error) {
		_, err := c.Status(ctx, cfg.Profile.Name, false)
		if errors.Is(err, api.ErrNotFound) {
			return true, nil
		}
		return false, err
	})
	return d, err
}

// singleStarts starts, one after another, a container like each of the
// profile's instances (same image kind, same number of interfaces, on the
// bench's own networks), summing the time of each start.
func singleStarts(ctx context.Context, cfg UpConfig) (time.Duration, error) {
	c := cfg.Client
	nets, err := benchNetworks(ctx, c)
	if err != nil {
		return 0, err
	}
	defer removeNetworks(c, nets)
	var sum time.Duration
	var names []string
	defer func() {
		for _, n := range names {
			if err := c.Remove(context.WithoutCancel(ctx), n, true); err != nil {
				fmt.Fprintf(os.Stderr, "bench: remove %s: %v\n", n, err)
			}
		}
	}()
	for _, nf := range cfg.Profile.NFs {
		for range max(nf.Replicas, 1) {
			spec := container.Spec{Name: fmt.Sprintf("bench-single-%d", len(names)), Image: imageOf(nf, cfg.ImageTag)}
			for i, itf := range nf.Interfaces {
				if i < len(nets) {
					spec.Networks = append(spec.Networks, container.NetRequest{Network: nets[i], IfName: itf.Network})
				}
			}
			t0 := time.Now()
			_, err := c.Run(ctx, spec)
			sum += time.Since(t0)
			if err != nil {
				return 0, fmt.Errorf("bench: run %s: %w", spec.Name, err)
			}
			names = append(names, spec.Name)
		}
	}
	return sum, nil
}

func imageOf(nf profiles.NF, tag string) string {
	if nf.Image != "" {
		return nf.Image
	}
	return "corebox/" + nf.Kind + ":" + tag
}

func poll(ctx context.Context, limit time.Duration, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := done()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-tick.C:
		}
	}
}
