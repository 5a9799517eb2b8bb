package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/bench"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure corebox against a baseline run on the same machine"}
	cmd.AddCommand(newBenchStartCmd(g))
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
