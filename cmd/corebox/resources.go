package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/platform/container"
)

func newStatsCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "stats NAME...",
		Short: "Show CPU, memory, pids and interface counters",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, names []string) error {
			all := map[string]*container.Stats{}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCPU TIME\tMEMORY\tLIMIT\tPIDS\tRX\tTX")
			for _, n := range names {
				st, err := c.Stats(cmd.Context(), n)
				if err != nil {
					return err
				}
				all[n] = st
				var rx, tx uint64
				for _, i := range st.Interfaces {
					rx, tx = rx+i.RxBytes, tx+i.TxBytes
				}
				fmt.Fprintf(tw, "%s\t%.2fs\t%s\t%s\t%d\t%s\t%s\n", n, float64(st.CPUUsageNanos)/1e9,
					humanBytes(st.MemoryBytes), humanBytes(st.MemoryLimit), st.Pids, humanBytes(rx), humanBytes(tx))
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), all)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func humanBytes(b uint64) string {
	const unit = 1024
	if b >= 1<<62 {
		return "unlimited"
	}
	if b < unit {
		return fmt.Sprintf("%dB", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

func newResizeCmd(g *globals) *cobra.Command {
	var cpus float64
	var memory, cpuset string
	var pids int64
	var kf kubeFlags
	cmd := &cobra.Command{
		Use:   "resize NAME [--cpus N] [--memory SIZE] [--pids N] | PROFILE/NF --target kubernetes",
		Short: "Change a running container's limits in place (same process); on Kubernetes, every pod of an NF",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClientOr(&kf, func(cmd *cobra.Command, args []string) error {
			return kubeResize(cmd, args[0], kf, cpus, memory)
		}, func(cmd *cobra.Command, c *api.Client, args []string) error {
			cur, err := c.Inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res := cur.Spec.Resources
			fl := cmd.Flags()
			if fl.Changed("cpus") {
				res.CPUs = cpus
			}
			if fl.Changed("pids") {
				res.Pids = pids
			}
			if fl.Changed("cpuset") {
				res.CPUSet = cpuset
			}
			if fl.Changed("memory") {
				if res.MemoryBytes, err = parseBytes(memory); err != nil {
					return fmt.Errorf("--memory: %w", err)
				}
			}
			ctr, err := c.Resize(cmd.Context(), args[0], res)
			if err != nil {
				return err
			}
			r := ctr.Spec.Resources
			fmt.Fprintf(cmd.OutOrStdout(), "%s resized: cpus %v, memory %s, pids %d (pid %d)\n", args[0], r.CPUs, humanBytes(uint64(r.MemoryBytes)), r.Pids, ctr.Pid)
			return nil
		}),
	}
	cmd.Flags().Float64Var(&cpus, "cpus", 0, "CPU limit, e.g. 1.5 (0: unlimited)")
	cmd.Flags().StringVar(&memory, "memory", "", "memory limit, e.g. 256Mi (0: unlimited)")
	cmd.Flags().Int64Var(&pids, "pids", 0, "process limit (0: unlimited)")
	cmd.Flags().StringVar(&cpuset, "cpuset", "", "CPUs to pin to, e.g. 1 or 0-1")
	addKubeFlags(cmd, &kf)
	return cmd
}
