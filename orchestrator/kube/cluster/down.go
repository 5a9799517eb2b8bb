package cluster

import (
	"context"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DownOptions tune a teardown.
type DownOptions struct {
	// GracePeriod, when set, deletes the pods with it (0: at once, for
	// pods on a node whose kubelet cannot finish them); else each pod's
	// own terminationGracePeriodSeconds lets its preStop drain run.
	GracePeriod *int64
	// Wait polls until no pod of the profile is left.
	Wait bool
	// DeleteNamespace removes the namespace too, when the profile's label
	// is on it (so a namespace corebox did not make is never removed).
	DeleteNamespace bool
	Progress        io.Writer
}

// Down removes every object of the profile from ns.
func (c *Cluster) Down(ctx context.Context, profile, ns string, opts DownOptions) ([]Change, error) {
	removed, err := c.prune(ctx, profile, ns, false, func(string, string) bool { return false })
	if err != nil {
		return removed, err
	}
	if opts.GracePeriod != nil || opts.Wait {
		if err := c.removePods(ctx, profile, ns, opts); err != nil {
			return removed, err
		}
	}
	if opts.DeleteNamespace {
		if err := c.deleteOwnNamespace(ctx, profile, ns, opts.Wait); err != nil {
			return removed, err
		}
		removed = append(removed, Change{Kind: "Namespace", Name: ns, Op: "pruned"})
	}
	return removed, nil
}

// removePods deletes the profile's pods (with the grace period asked for)
// until none are left: the garbage collector may still be removing their
// ReplicaSets, which could make new ones meanwhile.
func (c *Cluster) removePods(ctx context.Context, profile, ns string, opts DownOptions) error {
	pods := c.typed.CoreV1().Pods(ns)
	sel := metav1.ListOptions{LabelSelector: profileSelector(profile)}
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	last := -1
	for {
		l, err := pods.List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list pods of %s in %s: %w", profile, ns, err)
		}
		if len(l.Items) == 0 {
			return nil
		}
		if len(l.Items) != last && opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%d pods terminating\n", len(l.Items))
			last = len(l.Items)
		}
		if opts.GracePeriod != nil {
			err := pods.DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: opts.GracePeriod}, sel)
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete pods of %s in %s: %w", profile, ns, err)
			}
		}
		if !opts.Wait {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %d pods of %s in %s to go: %w", len(l.Items), profile, ns, ctx.Err())
		case <-tick.C:
		}
	}
}

func (c *Cluster) deleteOwnNamespace(ctx context.Context, profile, ns string, wait bool) error {
	nss := c.typed.CoreV1().Namespaces()
	cur, err := nss.Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", ns, err)
	}
	if cur.Labels[labelProfileKey] != profile {
		return fmt.Errorf("namespace %s is not profile %s's (label %s=%q): left in place", ns, profile, labelProfileKey, cur.Labels[labelProfileKey])
	}
	if err := nss.Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for wait {
		_, err := nss.Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get namespace %s: %w", ns, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for namespace %s to go: %w", ns, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
