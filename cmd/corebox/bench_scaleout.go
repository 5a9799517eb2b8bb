package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	labbench "github.com/corebox/corebox/labs/bench"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/bench"
)

func newBenchScaleOutCmd(g *globals) *cobra.Command {
	var cfg labbench.ScaleOutConfig
	var output string
	cmd := &cobra.Command{
		Use:   "scale-out [-n RUNS] [--profile 5glab]",
		Short: "Time from a UPF scale-out to the new replica carrying new sessions (a running 5glab-like profile)",
		Long: `Scales the UPF of a running profile out by one, then opens PDU sessions one UE at a
time until one gets an address the new replica announces; the time from the scale
call to that session's answer is one run. The UEs are then deregistered and the UPF
scaled back. Bring the profile up first (corebox lab run 5g-basic --keep, say).`,
		Args: cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			cfg.Client, cfg.Progress = c, progressTo(cmd)
			runs, err := labbench.ScaleOut(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), runs)
			}
			first, ready := make([]time.Duration, len(runs)), make([]time.Duration, len(runs))
			for i, r := range runs {
				first[i], ready[i] = r.ToFirstSession, r.ToReady
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "scale-out of %s in %s, median of %d:\n", cfg.UPF, cfg.Profile, len(runs))
			fmt.Fprintf(w, "  scale call -> new replica ready          %8.1f ms  (0: the orchestrator had not polled it ready yet)\n", ms(bench.Median(ready)))
			fmt.Fprintf(w, "  scale call -> first session on it        %8.1f ms  (target < 1000 ms)\n", ms(bench.Median(first)))
			return nil
		}),
	}
	f := cmd.Flags()
	f.IntVarP(&cfg.Runs, "runs", "n", 5, "runs")
	f.StringVar(&cfg.Profile, "profile", "5glab", "running profile")
	f.StringVar(&cfg.UPF, "upf", "upf", "the UPF NF")
	f.StringVar(&cfg.UE, "ue", "ue", "the UE simulator NF")
	f.StringVar(&cfg.Network, "network", "n6", "the network the UPFs announce their pools on")
	f.StringVar(&cfg.DNN, "dnn", "internet", "DNN of the sessions")
	f.IntVar(&cfg.SST, "sst", 1, "SST of the sessions")
	f.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "give up on a run after this long")
	f.DurationVar(&cfg.Every, "every", 20*time.Millisecond, "pause between sessions (the UEs must outlast the scale-out)")
	f.StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}
