package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/profiles"
)

func newUpCmd(g *globals) *cobra.Command {
	var sets []string
	var img imageFlags
	var kf kubeFlags
	var dryRun, wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "up PROFILE [--set VAR=VALUE]... [--dry-run] [--target kubernetes [--kubeconfig F] [--namespace NS]]",
		Short: "Apply a profile (a shipped name or a file): create, change or remove what differs",
		Example: `  corebox up demo
  corebox up ./my.yaml --set n3_subnet=10.100.3.0/24 --dry-run
  corebox up 5gc --target kubernetes --kubeconfig ~/.kube/lab --registry reg.example:5000`,
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
			if on, err := kf.kubernetes(); err != nil || on {
				if err != nil {
					return err
				}
				return kubeUp(cmd, p, kf, img, dryRun, wait, timeout)
			}
			if img.registry != "" {
				return fmt.Errorf("--registry is for --target kubernetes (corebox runs its own image store)")
			}
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			plan, err := c.Apply(cmd.Context(), api.ApplyRequest{Profile: *p, Set: set, ImageTag: img.tag, DryRun: dryRun})
			if err != nil {
				return err
			}
			printPlan(cmd.OutOrStdout(), plan, dryRun)
			if dryRun || !wait {
				return nil
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return c.WaitProfileReady(ctx, p.Name, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "profile variable, VAR=VALUE (repeatable)")
	addImageFlags(cmd, &img)
	addKubeFlags(cmd, &kf)
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

func newDownCmd(g *globals) *cobra.Command {
	var wait bool
	var kf kubeFlags
	var kd kubeDownFlags
	cmd := &cobra.Command{
		Use:   "down PROFILE [--target kubernetes [--grace-period S] [--delete-namespace]]",
		Short: "Remove every container and network a profile created",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClientOr(&kf, func(cmd *cobra.Command, args []string) error {
			return kubeDown(cmd, args[0], kf, kd, wait)
		}, func(cmd *cobra.Command, c *api.Client, args []string) error {
			if err := c.Down(cmd.Context(), args[0]); err != nil {
				return err
			}
			if !wait {
				return nil
			}
			if err := c.WaitRemoved(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s removed\n", args[0])
			return nil
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "wait until everything is removed")
	addKubeFlags(cmd, &kf)
	addKubeDownFlags(cmd, &kd)
	return cmd
}
