package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/bench"
	"github.com/corebox/corebox/profiles"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure corebox against a baseline run on the same machine"}
	cmd.AddCommand(newBenchStartCmd(g), newBenchUpCmd(g), newBenchUPFCmd(g), newBenchScaleOutCmd(g))
	return cmd
}

func newBenchStartCmd(g *globals) *cobra.Command {
	var runs int
	var img, runc, output string
	cmd := &cobra.Command{
		Use:   "start [-n RUNS] [--image IMG] [--runc PATH]",
		Short: "Container start: corebox vs `runc run` on the same spec and layers, and with 3 CNI interfaces",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			if img == "" {
				img = "corebox/dn:" + version
			}
			res, err := bench.Start(cmd.Context(), bench.StartConfig{Client: c, StateRoot: g.root, Image: img, Runs: runs, Runc: runc, Progress: progressTo(cmd)})
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			ours := bench.Median(res.Corebox)
			fmt.Fprintf(cmd.OutOrStdout(), "container start, median of %d (image %s):\n", runs, img)
			fmt.Fprintf(cmd.OutOrStdout(), "  corebox run (no networks)       %8.1f ms\n", ms(ours))
			if len(res.Runc) > 0 {
				base := bench.Median(res.Runc)
				fmt.Fprintf(cmd.OutOrStdout(), "  runc run -d (baseline, %s) %8.1f ms\n", res.RuncVersion, ms(base))
				fmt.Fprintf(cmd.OutOrStdout(), "  ratio corebox/runc              %8.2fx  (target <= 1.0x)\n", float64(ours)/float64(base))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "  corebox run with 3 interfaces   %8.1f ms  (target <= 250 ms)\n", ms(bench.Median(res.ThreeIfaces)))
			return nil
		}),
	}
	cmd.Flags().IntVarP(&runs, "runs", "n", 20, "runs per series")
	cmd.Flags().StringVar(&img, "image", "", "image to start (default corebox/dn:<version>)")
	cmd.Flags().StringVar(&runc, "runc", "runc", "runc binary for the baseline (empty: skip it)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newBenchUpCmd(g *globals) *cobra.Command {
	var runs int
	var name, tag, output string
	cmd := &cobra.Command{
		Use:   "up [-n RUNS] [--profile test12]",
		Short: "Bring-up of a profile until all ready, against the sum of as many single container starts",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			p, err := profiles.Find(name, profiles.LoadOptions{})
			if err != nil {
				return err
			}
			res, err := bench.Up(cmd.Context(), bench.UpConfig{Client: c, Profile: p, ImageTag: tag, Runs: runs, Progress: progressTo(cmd)})
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			up, single := bench.Median(res.UpToReady), bench.Median(res.SumOfSingle)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "bring-up of %s (%d instances), median of %d:\n", p.Name, res.Instances, runs)
			fmt.Fprintf(w, "  up until all ready               %8.1f ms  (target <= 2000 ms)\n", ms(up))
			fmt.Fprintf(w, "  sum of %2d single starts          %8.1f ms\n", res.Instances, ms(single))
			fmt.Fprintf(w, "  ratio up/sum                     %8.2fx  (below 1: bring-up overlaps)\n", float64(up)/float64(single))
			return nil
		}),
	}
	cmd.Flags().IntVarP(&runs, "runs", "n", 5, "runs")
	cmd.Flags().StringVar(&name, "profile", "test12", "profile (shipped name or file)")
	cmd.Flags().StringVar(&tag, "tag", version, "image tag of the kind NFs")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func newBenchUPFCmd(g *globals) *cobra.Command {
	var runs, sessions int
	var sizes []int
	var duration time.Duration
	var name, tag, output string
	var sets []string
	var keep bool
	cmd := &cobra.Command{
		Use:   "upf [-n RUNS] [--duration 5s] [--sessions 64] [--tag T] [-o json]",
		Short: "UPF N3->N6 and N6->N3 throughput against kernel IP forwarding over the same veths, measured in the same run",
		Long: `Brings up the upfbench profile (a UPF and the gtpgen traffic generator),
or finds it up, and for each packet size and direction runs, flat out and
interleaved, the kernel baseline (plain UDP forwarded by the kernel of the
UPF's namespace, the UPF process idle) and the UPF itself (GTP-U with gtpgen's
PFCP sessions). Reports medians of delivered pps and Gbps, loss and latency,
the ratio UPF/kernel, and the targets: at 1400 B at least 0.5x the kernel's
pps; 415 kpps per direction where the baseline itself gets there. The
profile is brought down at the end unless --keep. Needs root (it sets the
baseline's sysctls in the generator's namespace from the host).`,
		Example: `  corebox bench upf
  corebox bench upf -n 5 --duration 10s -o json
  corebox bench upf --set dataplane=required --keep`,
		Args: cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			set, err := keyValues("--set", sets)
			if err != nil {
				return err
			}
			p, err := profiles.Find(name, profiles.LoadOptions{Set: set})
			if err != nil {
				return err
			}
			res, err := bench.UPF(cmd.Context(), bench.UPFConfig{Client: c, Profile: p, Set: set, ImageTag: tag, Runs: runs,
				Duration: duration, Sessions: sessions, Sizes: sizes, Keep: keep, Progress: progressTo(cmd)})
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			printUPFBench(cmd.OutOrStdout(), res)
			return nil
		}),
	}
	cmd.Flags().IntVarP(&runs, "runs", "n", 3, "runs of every case (medians are reported)")
	cmd.Flags().DurationVar(&duration, "duration", 5*time.Second, "sending time of each case")
	cmd.Flags().IntVar(&sessions, "sessions", 64, "PFCP sessions (UEs); probe streams in the baseline")
	cmd.Flags().IntSliceVar(&sizes, "sizes", []int{64, 1400}, "IP packet sizes in octets")
	cmd.Flags().StringVar(&name, "profile", "upfbench", "profile (shipped name or file) with NFs upf and gen")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "profile variable, VAR=VALUE (repeatable), e.g. dataplane=required")
	cmd.Flags().StringVar(&tag, "tag", version, "image tag of the kind NFs")
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the profile up afterwards")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func printUPFBench(w io.Writer, res *bench.UPFResult) {
	fmt.Fprintf(w, "UPF throughput against kernel forwarding (profile %s, %s on CPUs %s, gen on CPUs %s)\n",
		res.Profile, res.UPFImage, orShared(res.UPFCPUSet), orShared(res.GenCPUSet))
	fmt.Fprintf(w, "%d sessions, flat out, %s per case, median of %d run(s); Gbps of inner IP octets; load average %s -> %s\n\n",
		res.Sessions, res.Duration, res.Runs, res.LoadAvg[0], res.LoadAvg[1])
	fmt.Fprintf(w, "%6s  %-3s %-7s %14s %8s %7s %9s %9s %11s\n", "size", "dir", "path", "delivered pps", "Gbps", "loss", "p50 µs", "p99 µs", "UPF/kernel")
	for _, c := range res.Cases {
		for _, row := range []struct {
			name  string
			m     bench.Sample
			ratio string
		}{{"kernel", c.Kernel.Median, ""}, {"upf", c.UPF.Median, fmt.Sprintf("%.2fx", c.RatioPPS)}} {
			fmt.Fprintf(w, "%6d  %-3s %-7s %12.1f k %8.3f %6.1f%% %9.0f %9.0f %11s\n", c.Size, c.Direction, row.name,
				row.m.RxPPS/1e3, row.m.RxGbps, 100*row.m.LossRatio, row.m.P50Us, row.m.P99Us, row.ratio)
		}
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, t := range res.Targets {
		what := fmt.Sprintf("UPF/kernel pps %.2fx >= %.2fx", t.Got, t.Want)
		if t.Want > 1 {
			what = fmt.Sprintf("UPF %.0f kpps >= %.0f kpps", t.Got/1e3, t.Want/1e3)
		}
		note := ""
		if t.Note != "" {
			note = " (" + t.Note + ")"
		}
		fmt.Fprintf(w, "  %5d B %s  %-34s %s%s\n", t.Size, t.Direction, what, t.Status, note)
	}
	fmt.Fprintf(w, "\nbaseline: %s\n", res.Baseline)
	for _, leg := range res.KernelPath {
		fmt.Fprintf(w, "  %s\n", leg)
	}
}

func orShared(cpuset string) string {
	if cpuset == "" {
		return "shared"
	}
	return cpuset
}
