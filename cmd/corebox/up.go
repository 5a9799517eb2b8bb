package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

func newUpCmd(g *globals) *cobra.Command {
	var sets []string
	var tag string
	var dryRun, wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "up PROFILE [--set VAR=VALUE]... [--dry-run]",
		Short: "Apply a profile (a shipped name or a file): create, change or remove what differs",
		Example: `  corebox up demo
  corebox up ./my.yaml --set n3_subnet=10.100.3.0/24 --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := keyValues("--set", sets)
			if err != nil {
				return err
			}
			p, err := profiles.Find(args[0], profiles.LoadOptions{Set: set})
			if err != nil {
				return err
			}
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			plan, err := c.Apply(cmd.Context(), api.ApplyRequest{Profile: *p, Set: set, ImageTag: tag, DryRun: dryRun})
			if err != nil {
				return err
			}
			printPlan(cmd.OutOrStdout(), plan, dryRun)
			if dryRun || !wait {
				return nil
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return waitReady(ctx, c, p.Name, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "profile variable, VAR=VALUE (repeatable)")
	cmd.Flags().StringVar(&tag, "tag", version, "image tag of the kind NFs (corebox/KIND:TAG)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&wait, "wait", true, "wait until every instance is ready, showing progress")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for readiness")
	return cmd
}

func printPlan(w io.Writer, plan *controller.Plan, dryRun bool) {
	verb := "applying"
	if dryRun {
		verb = "plan for"
	}
	fmt.Fprintf(w, "%s %s (generation %d): %s\n", verb, plan.Profile, plan.Generation, plan.Summary())
	for i, wave := range plan.Waves {
		fmt.Fprintf(w, "  wave %d: %s\n", i, strings.Join(wave, ", "))
	}
	signs := map[string]string{"create": "+", "remove": "-", "roll": "~", "resize": "~"}
	for _, a := range plan.Actions {
		if a.Op == "keep" && !strings.Contains(a.Detail, "cannot") {
			continue
		}
		sign := signs[a.Op]
		if sign == "" {
			sign = "!"
		}
		fmt.Fprintf(w, "  %s %s %s", sign, a.Kind, a.Name)
		if a.Detail != "" {
			fmt.Fprintf(w, " (%s)", a.Detail)
		}
		fmt.Fprintln(w)
	}
}

// failPatience is how long `up` keeps waiting while an instance cannot be
// created at all (a missing image, no capacity): the controller keeps
// retrying, but the user learns now.
const failPatience = 10 * time.Second

// waitReady follows the profile's status until every instance is ready,
// printing each NF's progress when it changes.
func waitReady(ctx context.Context, c *api.Client, name string, w io.Writer) error {
	last := map[string]string{}
	failing := map[string]time.Time{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	timedOut := func() error {
		return fmt.Errorf("%s not ready: %w (see `corebox status %s` and `corebox events`)", name, ctx.Err(), name)
	}
	for {
		st, err := c.Status(ctx, name, false)
		if err != nil {
			if ctx.Err() != nil {
				return timedOut()
			}
			return err
		}
		for _, nf := range st.NFs {
			line := fmt.Sprintf("%d/%d ready", nf.Ready, nf.Desired)
			if why := firstProblem(nf); why != "" && nf.Ready < nf.Desired {
				line += " (" + why + ")"
			}
			if last[nf.Name] != line {
				last[nf.Name] = line
				fmt.Fprintf(w, "  %6.1fs  %-12s %s\n", time.Since(start).Seconds(), nf.Name, line)
			}
		}
		if st.Ready {
			fmt.Fprintf(w, "%s ready in %.1fs\n", name, time.Since(start).Seconds())
			return nil
		}
		if err := stuck(st, failing); err != nil {
			return fmt.Errorf("%s: %w; the controller keeps retrying (see `corebox events --profile %s`)", name, err, name)
		}
		select {
		case <-ctx.Done():
			return timedOut()
		case <-tick.C:
		}
	}
}

// stuck reports instances that have failed to be created for failPatience.
func stuck(st *controller.Status, since map[string]time.Time) error {
	var errs []error
	for _, nf := range st.NFs {
		for _, in := range nf.Instances {
			if in.Phase != state.PhaseFailed {
				delete(since, in.Name)
				continue
			}
			if _, ok := since[in.Name]; !ok {
				since[in.Name] = time.Now()
			}
			if time.Since(since[in.Name]) >= failPatience {
				errs = append(errs, fmt.Errorf("%s cannot be created: %s", in.Name, in.Message))
			}
		}
	}
	return errors.Join(errs...)
}

func firstProblem(nf controller.NFStatus) string {
	for _, in := range nf.Instances {
		if in.Phase != state.PhaseReady && in.Message != "" {
			return in.Name + ": " + in.Message
		}
	}
	return ""
}

func newDownCmd(g *globals) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "down PROFILE",
		Short: "Remove every container and network a profile created",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			if err := c.Down(cmd.Context(), args[0]); err != nil {
				return err
			}
			if !wait {
				return nil
			}
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, err := c.Status(cmd.Context(), args[0], false); err != nil {
					if isNotFound(err) {
						fmt.Fprintf(cmd.OutOrStdout(), "%s removed\n", args[0])
						return nil
					}
					return err
				}
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-tick.C:
				}
			}
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "wait until everything is removed")
	return cmd
}
