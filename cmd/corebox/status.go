package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/graph"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

func isNotFound(err error) bool { return errors.Is(err, api.ErrNotFound) }

func newStatusCmd(g *globals) *cobra.Command {
	var output string
	var kf kubeFlags
	cmd := &cobra.Command{
		Use:   "status [PROFILE] [--target kubernetes]",
		Short: "Show applied profiles, or one profile's NFs: ready/desired, addresses, restarts, CPU and memory",
		Args:  cobra.MaximumNArgs(1),
		RunE: g.withClientOr(&kf, func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("with --target kubernetes name the profile: corebox status PROFILE --target kubernetes")
			}
			return kubeStatus(cmd, args[0], kf, output)
		}, func(cmd *cobra.Command, c *api.Client, args []string) error {
			if len(args) == 0 {
				return listProfiles(cmd, c, output)
			}
			st, err := c.Status(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), st)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "PROFILE %s (generation %d, mgmt %s)\n", st.Name, st.Generation, st.MgmtSubnet)
			fmt.Fprintln(tw, "NF\tREADY\tINSTANCE\tPHASE\tRESTARTS\tADDRESSES\tCPU\tMEMORY\tMESSAGE\tINFO")
			for _, nf := range st.NFs {
				ready := fmt.Sprintf("%d/%d", nf.Ready, nf.Desired)
				if len(nf.Instances) == 0 {
					fmt.Fprintf(tw, "%s\t%s\t-\t\t\t\t\t\t\t\n", nf.Name, ready)
				}
				for i, in := range nf.Instances {
					name, r := nf.Name, ready
					if i > 0 {
						name, r = "", ""
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%.2fs\t%s\t%s\t%s\n", name, r, in.Name, in.Phase, in.Restarts,
						addressList(in.Addresses), float64(in.CPUUsageNanos)/1e9, humanBytes(in.MemoryBytes), in.Message, infoList(in.Info))
				}
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	addKubeFlags(cmd, &kf)
	return cmd
}

func listProfiles(cmd *cobra.Command, c *api.Client, output string) error {
	names, err := c.ProfileNames(cmd.Context())
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSON(cmd.OutOrStdout(), names)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tNFS\tINSTANCES READY")
	for _, n := range names {
		st, err := c.Status(cmd.Context(), n, false)
		if err != nil {
			return err
		}
		ready, desired := 0, 0
		for _, nf := range st.NFs {
			ready, desired = ready+nf.Ready, desired+nf.Desired
		}
		fmt.Fprintf(tw, "%s\t%d\t%d/%d\n", n, len(st.NFs), ready, desired)
	}
	return tw.Flush()
}

func addressList(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func newScaleCmd(g *globals) *cobra.Command {
	var wait bool
	var timeout time.Duration
	var kf kubeFlags
	cmd := &cobra.Command{
		Use:     "scale PROFILE NF=N... [--target kubernetes]",
		Short:   "Set the replica count of a profile's NFs (scale-in drains first)",
		Example: "  corebox scale demo gateway=3\n  corebox scale 5gc amf=2 --target kubernetes",
		Args:    cobra.MinimumNArgs(2),
		RunE: g.withClientOr(&kf, func(cmd *cobra.Command, args []string) error {
			replicas, err := replicaArgs(args[1:])
			if err != nil {
				return err
			}
			return kubeScale(cmd, args[0], replicas, kf, wait, timeout)
		}, func(cmd *cobra.Command, c *api.Client, args []string) error {
			replicas, err := replicaArgs(args[1:])
			if err != nil {
				return err
			}
			if err := c.Scale(cmd.Context(), args[0], replicas); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: scaling %s\n", args[0], strings.Join(args[1:], " "))
			if !wait {
				return nil
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return c.WaitProfileReady(ctx, args[0], cmd.OutOrStdout())
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "wait until every instance is ready (removed ones drained)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait")
	addKubeFlags(cmd, &kf)
	return cmd
}

// replicaArgs parses NF=N arguments.
func replicaArgs(kvs []string) (map[string]int, error) {
	replicas := map[string]int{}
	for _, kv := range kvs {
		nf, n, ok := strings.Cut(kv, "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 0 {
			return nil, fmt.Errorf("%q: use NF=N with N a replica count, e.g. upf=3", kv)
		}
		replicas[nf] = v
	}
	return replicas, nil
}

func newEventsCmd(g *globals) *cobra.Command {
	var follow bool
	var profile string
	var output string
	cmd := &cobra.Command{
		Use:   "events [--follow] [--profile P]",
		Short: "Show what the orchestrator did and saw: creations, restarts, drains, scaling decisions",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			return c.Events(cmd.Context(), 0, follow, func(ev state.Event) error {
				if profile != "" && ev.Profile != profile {
					return nil
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), ev)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s  %-10s %-18s %-14s %s\n", ev.Time.Local().Format(time.TimeOnly+".000"), ev.Profile, ev.Object, ev.Reason, ev.Message)
				return err
			})
		}),
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	cmd.Flags().StringVar(&profile, "profile", "", "only this profile's events")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func newGraphCmd() *cobra.Command {
	var format string
	var sets []string
	cmd := &cobra.Command{
		Use:   "graph PROFILE [--format dot|mermaid]",
		Short: "Draw a profile's NFs, networks and dependencies (Graphviz DOT or Mermaid)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := keyValues("--set", sets)
			if err != nil {
				return err
			}
			p, err := profiles.Find(args[0], profiles.LoadOptions{Set: set})
			if err != nil {
				return err
			}
			switch format {
			case "dot":
				fmt.Fprint(cmd.OutOrStdout(), graph.DOT(p))
			case "mermaid":
				fmt.Fprint(cmd.OutOrStdout(), graph.Mermaid(p))
			default:
				return fmt.Errorf("--format %q: use dot or mermaid", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "dot", "dot or mermaid")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "profile variable, VAR=VALUE (repeatable)")
	return cmd
}

// infoList shows what an NF reports on GET /info, but its kind (shown by
// the image already).
func infoList(info map[string]string) string {
	keys := make([]string, 0, len(info))
	for k := range info {
		if k != "kind" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + info[k]
	}
	return strings.Join(parts, " ")
}
