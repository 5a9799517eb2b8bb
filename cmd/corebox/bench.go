package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/bench"
	"github.com/corebox/corebox/profiles"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure corebox against a baseline run on the same machine"}
	cmd.AddCommand(newBenchStartCmd(g), newBenchUpCmd(g))
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
