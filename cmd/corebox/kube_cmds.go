package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/corebox/corebox/orchestrator/kube/cluster"
	"github.com/corebox/corebox/profiles"
)

func kubeUp(cmd *cobra.Command, p *profiles.Profile, kf kubeFlags, img imageFlags, dryRun, wait bool, timeout time.Duration) error {
	ctx := cmd.Context()
	ns := kf.ns(p.Name)
	objs, err := renderKube(ctx, p, ns, img)
	if err != nil {
		return err
	}
	c, err := kf.connect()
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "applying %s to %s (namespace %s, field manager %s)\n", p.Name, c.Host, ns, cluster.FieldManager)
	res, err := c.Apply(ctx, p.Name, ns, objs, cluster.ApplyOptions{DryRun: dryRun})
	printChanges(w, ns, res, dryRun)
	if err != nil || dryRun || !wait {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.WaitReady(ctx, p.Name, ns, w); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s ready in namespace %s\n", p.Name, ns)
	return nil
}

type kubeDownFlags struct {
	gracePeriod     int64
	deleteNamespace bool
}

func addKubeDownFlags(cmd *cobra.Command, k *kubeDownFlags) {
	cmd.Flags().Int64Var(&k.gracePeriod, "grace-period", -1, "with --target kubernetes: seconds pods get to drain (-1: each pod's own; 0: at once, for nodes whose kubelet is gone)")
	cmd.Flags().BoolVar(&k.deleteNamespace, "delete-namespace", false, "with --target kubernetes: remove the namespace too (only one corebox labelled for this profile)")
}

func kubeDown(cmd *cobra.Command, profile string, kf kubeFlags, kd kubeDownFlags, wait bool) error {
	c, err := kf.connect()
	if err != nil {
		return err
	}
	ns := kf.ns(profile)
	opts := cluster.DownOptions{Wait: wait, DeleteNamespace: kd.deleteNamespace, Progress: cmd.OutOrStdout()}
	if kd.gracePeriod >= 0 {
		opts.GracePeriod = &kd.gracePeriod
	}
	removed, err := c.Down(cmd.Context(), profile, ns, opts)
	for _, ch := range removed {
		fmt.Fprintf(cmd.OutOrStdout(), "  %s/%s deleted\n", strings.ToLower(ch.Kind), ch.Name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s removed from namespace %s (%d objects)\n", profile, ns, len(removed))
	return nil
}

func kubeStatus(cmd *cobra.Command, profile string, kf kubeFlags, output string) error {
	c, err := kf.connect()
	if err != nil {
		return err
	}
	ns := kf.ns(profile)
	st, err := c.Status(cmd.Context(), profile, ns)
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSON(cmd.OutOrStdout(), st)
	}
	return printKubeStatus(cmd.OutOrStdout(), profile, ns, st)
}

func kubeScale(cmd *cobra.Command, profile string, replicas map[string]int, kf kubeFlags, wait bool, timeout time.Duration) error {
	c, err := kf.connect()
	if err != nil {
		return err
	}
	ns := kf.ns(profile)
	for nf, n := range replicas {
		if err := c.Scale(cmd.Context(), profile, ns, nf, int32(n)); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %s scaled to %d in namespace %s\n", profile, nf, n, ns)
	}
	if !wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	return c.WaitReady(ctx, profile, ns, cmd.OutOrStdout())
}

// kubeResize resizes an NF's pods in place: NAME is PROFILE/NF.
func kubeResize(cmd *cobra.Command, name string, kf kubeFlags, cpus float64, memory string) error {
	profile, nf, ok := strings.Cut(name, "/")
	if !ok || profile == "" || nf == "" {
		return fmt.Errorf("%q: with --target kubernetes name the NF as PROFILE/NF, e.g. 5gc/smf", name)
	}
	var want cluster.Resources
	fl := cmd.Flags()
	if fl.Changed("cpus") {
		q, err := resource.ParseQuantity(strconv.FormatFloat(cpus, 'f', -1, 64))
		if err != nil || cpus <= 0 {
			return fmt.Errorf("--cpus %v: give a positive number of cores", cpus)
		}
		want.CPU = q
	}
	if fl.Changed("memory") {
		q, err := resource.ParseQuantity(memory)
		if err != nil || q.Sign() <= 0 {
			return fmt.Errorf("--memory %q: give a size such as 512Mi", memory)
		}
		want.Memory = q
	}
	if fl.Changed("pids") || fl.Changed("cpuset") {
		return fmt.Errorf("--pids and --cpuset have no in-place equivalent on Kubernetes (the CPU manager pins whole CPUs)")
	}
	c, err := kf.connect()
	if err != nil {
		return err
	}
	pods, err := c.Resize(cmd.Context(), profile, kf.ns(profile), nf, want)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s resized in place: %s\n", nf, strings.Join(pods, ", "))
	return nil
}
