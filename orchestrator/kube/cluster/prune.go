package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/corebox/corebox/orchestrator/kube"
)

// profileSelector selects everything rendered for a profile.
func profileSelector(profile string) string { return labelProfileKey + "=" + profile }

const labelProfileKey = kube.LabelProfile

// prune deletes the profile's objects that keep reports false for, kind by
// kind in reverse apply order (HPAs before the workloads they scale).
func (c *Cluster) prune(ctx context.Context, profile, ns string, dryRun bool, keep func(kind, name string) bool) ([]Change, error) {
	var out []Change
	for i := len(managed) - 1; i >= 0; i-- {
		k := managed[i]
		items, err := c.listProfile(ctx, k.APIVersion, k.Kind, profile, ns)
		if err != nil {
			return out, err
		}
		for _, it := range items {
			if keep(k.Kind, it.GetName()) {
				continue
			}
			if !dryRun {
				if err := c.deleteObject(ctx, k.APIVersion, k.Kind, ns, it.GetName()); err != nil {
					return out, err
				}
			}
			out = append(out, Change{Kind: k.Kind, Name: it.GetName(), Op: "pruned"})
		}
	}
	return out, nil
}

// listProfile lists a kind's objects of the profile; a kind the cluster
// does not serve has none.
func (c *Cluster) listProfile(ctx context.Context, apiVersion, kind, profile, ns string) ([]unstructured.Unstructured, error) {
	ri, err := c.resource(apiVersion, kind, ns)
	if err != nil {
		if kind == "NetworkAttachmentDefinition" {
			return nil, nil // no Multus CRD: nothing of ours can exist
		}
		return nil, err
	}
	l, err := ri.List(ctx, metav1.ListOptions{LabelSelector: profileSelector(profile)})
	if err != nil {
		return nil, fmt.Errorf("list %s of profile %s in %s: %w", kind, profile, ns, err)
	}
	return l.Items, nil
}

// deleteObject deletes one object with its dependents (background
// propagation: the garbage collector removes ReplicaSets and Pods).
func (c *Cluster) deleteObject(ctx context.Context, apiVersion, kind, ns, name string) error {
	ri, err := c.resource(apiVersion, kind, ns)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s/%s: %w", kind, ns, name, err)
	}
	return nil
}
