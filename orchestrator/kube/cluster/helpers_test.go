package cluster_test

import (
	"context"
	"maps"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/corebox/corebox/orchestrator/kube/cluster"
)

// kinds listed to check a namespace: what corebox applies and what the
// controllers make from it.
var kinds = []schema.GroupVersionResource{
	{Group: "k8s.cni.cncf.io", Version: "v1", Resource: "network-attachment-definitions"},
	{Version: "v1", Resource: "configmaps"},
	{Version: "v1", Resource: "services"},
	{Version: "v1", Resource: "pods"},
	{Group: "apps", Version: "v1", Resource: "deployments"},
	{Group: "apps", Version: "v1", Resource: "statefulsets"},
	{Group: "apps", Version: "v1", Resource: "replicasets"},
	{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
}

func dynClient(t *testing.T, c *cluster.Cluster) dynamic.Interface {
	t.Helper()
	d, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// versions is KIND/NAME -> resourceVersion of the profile's objects.
func versions(t *testing.T, ctx context.Context, c *cluster.Cluster, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	d := dynClient(t, c)
	for _, k := range kinds {
		if k.Resource == "pods" || k.Resource == "replicasets" {
			continue
		}
		l, err := d.Resource(k).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: "corebox.profile"})
		if err != nil {
			t.Fatalf("list %s: %v", k.Resource, err)
		}
		for _, it := range l.Items {
			out[k.Resource+"/"+it.GetName()] = it.GetResourceVersion()
		}
	}
	ns0, err := c.Typed().CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out["namespaces/"+ns] = ns0.ResourceVersion
	return out
}

// remaining is every object of the checked kinds left in ns (the
// kube-root-ca.crt ConfigMap the controller-manager publishes aside).
func remaining(t *testing.T, ctx context.Context, c *cluster.Cluster, ns string) []string {
	t.Helper()
	var out []string
	d := dynClient(t, c)
	for _, k := range kinds {
		l, err := d.Resource(k).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", k.Resource, err)
		}
		for _, it := range l.Items {
			if k.Resource == "configmaps" && it.GetName() == "kube-root-ca.crt" {
				continue
			}
			out = append(out, k.Resource+"/"+it.GetName())
		}
	}
	return out
}

func equalMaps(a, b map[string]string) bool { return maps.Equal(a, b) }

// dump logs pods and events of ns, for a failed wait.
func dump(t *testing.T, c *cluster.Cluster, ns string) {
	t.Helper()
	ctx := context.Background()
	pods, err := c.Typed().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("list pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		t.Logf("pod %s node=%q phase=%s conditions=%v", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.Conditions)
	}
	ev, err := c.Typed().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("list events: %v", err)
		return
	}
	for _, e := range ev.Items {
		t.Logf("event %s %s: %s %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
}
