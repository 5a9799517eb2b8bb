package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/labs/capture"
	"github.com/corebox/corebox/labs/lab"
	"github.com/corebox/corebox/orchestrator/api"
)

func newLabCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run labs (simulated gNBs and UEs against a profile) and capture their traffic",
	}
	cmd.AddCommand(newLabRunCmd(g), newLabLsCmd(), newLabCaptureCmd(g))
	return cmd
}

func newLabLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the shipped labs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range lab.Shipped() {
				l, err := lab.Find(name, nil)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-12s %s (profile %s)\n", name, l.Description, l.Profile)
			}
			return nil
		},
	}
}

func newLabRunCmd(g *globals) *cobra.Command {
	var (
		sets      []string
		ues       int
		pairs     int
		tag       string
		keep      bool
		reportDir string
		pcap      string
		timeout   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run LAB [--ues N | --pairs N] [--set VAR=VALUE]...",
		Short: "Bring a lab's profile up, run its steps and write report.json and report.html",
		Example: `  corebox lab run 5g-basic
  corebox lab run 5g-basic --ues 100 --capture 5g.pcap --keep
  corebox lab run volte-call --pairs 5`,
		Args: cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			set, err := keyValues("--set", sets)
			if err != nil {
				return err
			}
			for name, v := range map[string]int{"ues": ues, "pairs": pairs} {
				if cmd.Flags().Changed(name) {
					if set == nil {
						set = map[string]string{}
					}
					set[name] = strconv.Itoa(v)
				}
			}
			l, err := lab.Find(args[0], set)
			if err != nil {
				return err
			}
			if reportDir == "" {
				reportDir = filepath.Join("lab-reports", l.Name+"-"+time.Now().Format("20060102-150405"))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			r := &lab.Runner{API: c}
			opts := lab.Options{ImageTag: tag, Keep: keep, ReadyTimeout: timeout, Progress: cmd.OutOrStdout()}
			if pcap != "" {
				opts.OnNetworks = func(ctx context.Context, profile string) (func() error, error) {
					return startCapture(ctx, c, profile, nil, pcap, cmd)
				}
			}
			rep, runErr := r.Run(ctx, l, opts)
			if err := rep.Write(reportDir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(reportDir, "report.html"))
			return runErr
		}),
	}
	f := cmd.Flags()
	f.StringArrayVar(&sets, "set", nil, "lab variable, VAR=VALUE (repeatable)")
	f.IntVar(&ues, "ues", 10, "number of UEs (sets the variable ues)")
	f.IntVar(&pairs, "pairs", 2, "number of calling pairs of a call lab (sets the variable pairs)")
	f.StringVar(&tag, "tag", version, "image tag of the kind NFs (corebox/KIND:TAG)")
	f.BoolVar(&keep, "keep", false, "leave the profile up after the run")
	f.StringVar(&reportDir, "report", "", "report directory (default lab-reports/LAB-TIME)")
	f.StringVar(&pcap, "capture", "", "write a pcap of the lab's networks, from their creation to the end of the steps")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the profile to be ready")
	return cmd
}

func newLabCaptureCmd(g *globals) *cobra.Command {
	var (
		out  string
		nets []string
		dur  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "capture PROFILE -w FILE.pcap [--net n2]... [--for 30s]",
		Short: "Write a pcap of a running profile's networks (until Ctrl-C or --for)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			if out == "" {
				return fmt.Errorf("-w FILE.pcap is required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if dur > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, dur)
				defer cancel()
			}
			finish, err := startCapture(ctx, c, args[0], nets, out, cmd)
			if err != nil {
				return err
			}
			<-ctx.Done()
			return finish()
		}),
	}
	cmd.Flags().StringVarP(&out, "write", "w", "", "pcap file to write")
	cmd.Flags().StringArrayVar(&nets, "net", nil, "capture only these networks (default: all but mgmt)")
	cmd.Flags().DurationVar(&dur, "for", 0, "stop after this long (default: until Ctrl-C)")
	return cmd
}

// startCapture captures the profile's bridges (all but mgmt, or only nets)
// into path; the returned func stops it and reports what it wrote.
func startCapture(ctx context.Context, c *api.Client, profile string, nets []string, path string, cmd *cobra.Command) (func() error, error) {
	st, err := c.Status(ctx, profile, false)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", profile, err)
	}
	var bridges []string
	for _, n := range st.Networks {
		if n.Name == "mgmt" && len(nets) == 0 || len(nets) > 0 && !slices.Contains(nets, n.Name) {
			continue
		}
		net, err := c.Network(ctx, n.Host)
		if err != nil {
			return nil, fmt.Errorf("network %s: %w", n.Host, err)
		}
		if net.Bridge != "" {
			bridges = append(bridges, net.Bridge)
		}
	}
	if len(bridges) == 0 {
		return nil, fmt.Errorf("profile %s has no bridge network to capture (networks: %v)", profile, nets)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("capture file: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("capture file: %w", err)
	}
	cp, err := capture.Start(context.WithoutCancel(ctx), bridges, f, 0)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "capturing %v into %s\n", bridges, path)
	return func() error {
		st, err := cp.Stop()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		fmt.Fprintf(cmd.OutOrStdout(), "captured %d frames (%d bytes) into %s\n", st.Frames, st.Bytes, path)
		if err == nil && st.Dropped > 0 {
			err = fmt.Errorf("capture %s misses %d frames the kernel dropped: gaps in it are not the network's", path, st.Dropped)
		}
		return err
	}, nil
}
