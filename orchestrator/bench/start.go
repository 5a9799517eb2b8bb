// Package bench measures corebox against baselines run on the same machine
// in the same run, so the result is a ratio rather than a time that depends
// on how busy the machine is.
package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/image"
)

// StartConfig says what to measure.
type StartConfig struct {
	Client    *api.Client
	StateRoot string
	Image     string
	Runs      int
	Runc      string // runc binary for the baseline; "" skips it
	Progress  func(string)
}

// StartResult holds the samples and their medians.
type StartResult struct {
	Corebox     []time.Duration `json:"corebox_ns"`
	Runc        []time.Duration `json:"runc_ns,omitempty"`
	ThreeIfaces []time.Duration `json:"three_interfaces_ns"`
	RuncVersion string          `json:"runc_version,omitempty"`
}

// Median of a sample set.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// Start measures, interleaved so load changes hit every series alike:
// corebox run without networks (create until the process runs), `runc run
// -d` of the same OCI spec and layers, and corebox run with three CNI
// interfaces.
func Start(ctx context.Context, cfg StartConfig) (*StartResult, error) {
	nets, err := benchNetworks(ctx, cfg.Client)
	if err != nil {
		return nil, err
	}
	defer removeNetworks(cfg.Client, nets)
	var bundle *runcBundle
	res := &StartResult{}
	if cfg.Runc != "" {
		if bundle, err = newRuncBundle(ctx, cfg); err != nil {
			return nil, err
		}
		defer bundle.close()
		res.RuncVersion = bundle.version
	}
	for i := range cfg.Runs {
		d, err := timeRun(ctx, cfg, fmt.Sprintf("bench-plain-%d", i), nil)
		if err != nil {
			return nil, err
		}
		res.Corebox = append(res.Corebox, d)
		if bundle != nil {
			d, err := bundle.timeRun(ctx, fmt.Sprintf("corebox-bench-runc-%d-%d", os.Getpid(), i))
			if err != nil {
				return nil, err
			}
			res.Runc = append(res.Runc, d)
		}
		d, err = timeRun(ctx, cfg, fmt.Sprintf("bench-3if-%d", i), nets)
		if err != nil {
			return nil, err
		}
		res.ThreeIfaces = append(res.ThreeIfaces, d)
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf("run %d/%d", i+1, cfg.Runs))
		}
	}
	return res, nil
}

func timeRun(ctx context.Context, cfg StartConfig, name string, nets []string) (time.Duration, error) {
	spec := container.Spec{Name: name, Image: cfg.Image}
	for _, n := range nets {
		spec.Networks = append(spec.Networks, container.NetRequest{Network: n})
	}
	t0 := time.Now()
	_, err := cfg.Client.Run(ctx, spec)
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("bench: run %s: %w", name, err)
	}
	if err := cfg.Client.Remove(context.WithoutCancel(ctx), name, true); err != nil {
		return 0, fmt.Errorf("bench: remove %s: %w", name, err)
	}
	return d, nil
}

// benchNetworks creates three networks on subnets no existing network uses.
func benchNetworks(ctx context.Context, c *api.Client) ([]string, error) {
	var made []string
	for i, third := 0, 200; len(made) < 3 && third < 250; third++ {
		name := fmt.Sprintf("bench%d", i)
		_, err := c.CreateNetwork(ctx, cni.NetworkSpec{Name: name, Subnet: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 254, byte(third), 0}), 24).String(), Type: cni.TypeBridge, Gateway: true})
		if errors.Is(err, api.ErrConflict) {
			continue
		}
		if err != nil {
			removeNetworks(c, made)
			return nil, fmt.Errorf("bench: create network %s: %w", name, err)
		}
		made = append(made, name)
		i++
	}
	if len(made) < 3 {
		removeNetworks(c, made)
		return nil, errors.New("bench: no free subnets in 10.254.200-249.0/24 for three networks")
	}
	return made, nil
}

func removeNetworks(c *api.Client, names []string) {
	for _, n := range names {
		if err := c.RemoveNetwork(context.Background(), n); err != nil {
			fmt.Fprintf(os.Stderr, "bench: remove network %s: %v\n", n, err)
		}
	}
}

// runcBundle is an OCI bundle over the same image layers and the same spec
// corebox would run, for `runc run`.
type runcBundle struct {
	runc, dir, rootfs, version string
}

func newRuncBundle(ctx context.Context, cfg StartConfig) (*runcBundle, error) {
	out, err := exec.CommandContext(ctx, cfg.Runc, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("bench: %s --version: %w (install it: apt-get install runc)", cfg.Runc, err)
	}
	store, err := image.Open(cfg.StateRoot)
	if err != nil {
		return nil, err
	}
	img, err := store.Unpack(ctx, cfg.Image)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	dir, err := os.MkdirTemp("", "corebox-bench-runc-")
	if err != nil {
		return nil, err
	}
	b := &runcBundle{runc: cfg.Runc, dir: dir, rootfs: filepath.Join(dir, "rootfs"), version: strings.SplitN(string(out), "\n", 2)[0]}
	if err := b.prepare(img); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}
