package cluster

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"

	"github.com/corebox/corebox/orchestrator/kube"
)

// Change is what happened to one object in an apply.
type Change struct {
	Kind, Name string
	Op         string // created, configured, unchanged, pruned
}

// ApplyResult lists every object's change, in apply order.
type ApplyResult struct {
	Changes []Change
}

// Count is how many changes have op.
func (r ApplyResult) Count(op string) int {
	n := 0
	for _, c := range r.Changes {
		if c.Op == op {
			n++
		}
	}
	return n
}

// ApplyOptions tune an apply.
type ApplyOptions struct {
	// DryRun has the server validate and report without writing (and
	// reports what would be pruned without deleting it).
	DryRun bool
}

// Apply server-side applies objs (one profile's rendering, all in
// namespace ns) and prunes the objects of that profile the rendering no
// longer has. Applying the same objects again changes nothing.
func (c *Cluster) Apply(ctx context.Context, profile, ns string, objs []kube.Object, opts ApplyOptions) (ApplyResult, error) {
	var res ApplyResult
	desired := map[string]bool{}
	for _, o := range objs {
		u, err := toUnstructured(o.Obj)
		if err != nil {
			return res, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
		}
		op, err := c.applyOne(ctx, u, opts.DryRun)
		if err != nil {
			return res, err
		}
		desired[o.Kind+"/"+o.Name] = true
		res.Changes = append(res.Changes, Change{Kind: o.Kind, Name: o.Name, Op: op})
	}
	pruned, err := c.prune(ctx, profile, ns, opts.DryRun, func(kind, name string) bool { return desired[kind+"/"+name] })
	res.Changes = append(res.Changes, pruned...)
	return res, err
}

// applyOne applies u and reports whether the server created it, changed
// it or found nothing to write (same resourceVersion).
func (c *Cluster) applyOne(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (string, error) {
	ri, err := c.resource(u.GetAPIVersion(), u.GetKind(), u.GetNamespace())
	if err != nil {
		return "", err
	}
	what := fmt.Sprintf("%s %s", u.GetKind(), u.GetName())
	before := ""
	cur, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case err == nil:
		before = cur.GetResourceVersion()
	case !apierrors.IsNotFound(err):
		return "", fmt.Errorf("get %s: %w", what, err)
	}
	ao := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if dryRun {
		ao.DryRun = []string{metav1.DryRunAll}
	}
	after, err := ri.Apply(ctx, u.GetName(), u, ao)
	if err != nil {
		return "", fmt.Errorf("apply %s: %w", what, err)
	}
	switch {
	case before == "":
		return "created", nil
	case dryRun && sameContent(cur, after):
		return "unchanged", nil // a dry run writes nothing, so compare content
	case !dryRun && before == after.GetResourceVersion():
		return "unchanged", nil
	}
	return "configured", nil
}

// sameContent compares two versions of an object without the fields the
// server keeps for itself.
func sameContent(a, b *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy().Object
		for _, f := range []string{"managedFields", "resourceVersion", "generation"} {
			unstructured.RemoveNestedField(c, "metadata", f)
		}
		unstructured.RemoveNestedField(c, "status")
		return c
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// resource is the dynamic client for a kind, namespaced where the kind is.
func (c *Cluster) resource(apiVersion, kind, ns string) (dynamic.ResourceInterface, error) {
	m, err := c.mapping(apiVersion, kind)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

// toUnstructured converts a typed object, dropping the empty
// creationTimestamp the typed structs carry (apply must not own it).
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.DeepCopy(), nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("to unstructured: %w", err)
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	if err := stripTemplateTimestamps(u); err != nil {
		return nil, err
	}
	return u, nil
}

// stripTemplateTimestamps removes creationTimestamp: null from pod and
// claim templates, which the typed structs also carry.
func stripTemplateTimestamps(u *unstructured.Unstructured) error {
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	claims, found, err := unstructured.NestedSlice(u.Object, "spec", "volumeClaimTemplates")
	if err != nil || !found {
		return err
	}
	for i := range claims {
		if m, ok := claims[i].(map[string]any); ok {
			unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
			unstructured.RemoveNestedField(m, "status")
		}
	}
	// NestedSlice returns a deep copy: write the cleaned slice back.
	return unstructured.SetNestedSlice(u.Object, claims, "spec", "volumeClaimTemplates")
}
