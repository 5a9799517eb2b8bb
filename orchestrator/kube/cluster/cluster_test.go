package cluster_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/corebox/corebox/orchestrator/kube"
	"github.com/corebox/corebox/orchestrator/kube/cluster"
	"github.com/corebox/corebox/orchestrator/kube/kubetest"
	"github.com/corebox/corebox/profiles"
)

// TestProfileOnRealCluster applies the 5gc profile to a real apiserver,
// controller-manager and scheduler, and walks the backend's lifecycle:
// apply, readiness, idempotent re-apply, scale, resize, prune, down.
func TestProfileOnRealCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Kubernetes control plane")
	}
	cp := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := cp.InstallNADCRD(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cp.AddVolumes(ctx, 2, "1Gi"); err != nil {
		t.Fatal(err)
	}
	kubelet := cp.StartKubelet(t, "node-a")
	c, err := cluster.Connect(cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profiles.LoadShipped("5gc", profiles.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const ns = "core"
	for i := range p.NFs {
		if p.NFs[i].Name == "smf" { // sized, so it can be resized in place
			p.NFs[i].Resources = profiles.Resources{CPUs: 1, Memory: "512Mi"}
		}
	}
	objs := render(t, p, ns)

	res, err := c.Apply(ctx, p.Name, ns, objs, cluster.ApplyOptions{})
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if res.Count("created") != len(objs) {
		t.Fatalf("first apply created %d of %d objects: %+v", res.Count("created"), len(objs), res.Changes)
	}
	var progress bytes.Buffer
	if err := c.WaitReady(ctx, p.Name, ns, &progress); err != nil {
		dump(t, c, ns)
		t.Fatalf("wait ready: %v\nprogress:\n%s", err, progress.String())
	}
	if !strings.Contains(progress.String(), "ready 9/9 pods") {
		t.Errorf("progress does not end at 9/9 ready pods:\n%s", progress.String())
	}
	checkScheduled(t, ctx, c, ns, kubelet.Node, 9)

	t.Run("reapply writes nothing", func(t *testing.T) {
		before := versions(t, ctx, c, ns)
		res, err := c.Apply(ctx, p.Name, ns, render(t, p, ns), cluster.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Count("unchanged"); n != len(objs) {
			t.Errorf("second apply: %d of %d unchanged: %+v", n, len(objs), res.Changes)
		}
		if after := versions(t, ctx, c, ns); !equalMaps(before, after) {
			t.Errorf("resourceVersions changed:\nbefore %v\nafter  %v", before, after)
		}
	})

	t.Run("scale", func(t *testing.T) {
		if err := c.Scale(ctx, p.Name, ns, "amf", 3); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitReady(ctx, p.Name, ns, nil); err != nil {
			t.Fatal(err)
		}
		if got := nfStatus(t, ctx, c, ns, "amf"); got.Desired != 3 || got.Ready != 3 || len(got.Pods) != 3 {
			t.Errorf("amf after scale to 3: %+v", got)
		}
		err := c.Scale(ctx, p.Name, ns, "upf", 2)
		if err == nil || !strings.Contains(err.Error(), "HorizontalPodAutoscaler") {
			t.Errorf("scaling the HPA-owned upf: %v, want a refusal naming its HPA", err)
		}
		if err := c.Scale(ctx, p.Name, ns, "nosuch", 1); err == nil || !strings.Contains(err.Error(), "no nf nosuch") {
			t.Errorf("scaling an unknown nf: %v", err)
		}
	})

	t.Run("resize in place", func(t *testing.T) {
		want := cluster.Resources{CPU: resource.MustParse("1500m"), Memory: resource.MustParse("768Mi")}
		pods, err := c.Resize(ctx, p.Name, ns, "smf", want)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range pods {
			pod, err := c.Typed().CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			lim := pod.Spec.Containers[0].Resources.Limits
			if !lim.Cpu().Equal(want.CPU) || !lim.Memory().Equal(want.Memory) || pod.Status.StartTime == nil {
				t.Errorf("pod %s after resize: limits %v", name, lim)
			}
		}
		if len(pods) != 1 {
			t.Errorf("resized pods %v, want smf's one", pods)
		}
		_, err = c.Resize(ctx, p.Name, ns, "nrf", want)
		if err == nil || !strings.Contains(err.Error(), "BestEffort") {
			t.Errorf("resizing nrf, which has no resources: %v, want a refusal", err)
		}
	})

	t.Run("prune an nf the profile dropped", func(t *testing.T) {
		smaller := *p
		smaller.NFs = slices.DeleteFunc(slices.Clone(p.NFs), func(nf profiles.NF) bool { return nf.Name == "nssf" })
		dry, err := c.Apply(ctx, p.Name, ns, render(t, &smaller, ns), cluster.ApplyOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		// amf was scaled to 3 above: applying the profile puts back its 1.
		if dry.Count("pruned") != 3 || dry.Count("configured") != 1 {
			t.Errorf("dry run of the smaller profile: %+v", dry.Changes)
		}
		if _, err := c.Typed().AppsV1().Deployments(ns).Get(ctx, "nssf", metav1.GetOptions{}); err != nil {
			t.Errorf("the dry run removed nssf: %v", err)
		}
		res, err := c.Apply(ctx, p.Name, ns, render(t, &smaller, ns), cluster.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var pruned []string
		for _, ch := range res.Changes {
			if ch.Op == "pruned" {
				pruned = append(pruned, ch.Kind+"/"+ch.Name)
			}
		}
		slices.Sort(pruned)
		if want := []string{"ConfigMap/nssf-config", "Deployment/nssf", "Service/nssf"}; !slices.Equal(pruned, want) {
			t.Errorf("pruned %v, want %v", pruned, want)
		}
		if _, err := c.Typed().AppsV1().Deployments(ns).Get(ctx, "nssf", metav1.GetOptions{}); err == nil {
			t.Error("deployment nssf still there")
		}
	})

	t.Run("down empties the namespace", func(t *testing.T) {
		zero := int64(0)
		if _, err := c.Down(ctx, p.Name, ns, cluster.DownOptions{GracePeriod: &zero, Wait: true}); err != nil {
			t.Fatal(err)
		}
		if left := remaining(t, ctx, c, ns); len(left) > 0 {
			t.Errorf("left in %s after down: %v", ns, left)
		}
	})
}

func render(t *testing.T, p *profiles.Profile, ns string) []kube.Object {
	t.Helper()
	objs, err := kube.Render(p, kube.Options{Namespace: ns, ImageTag: "test"})
	if err != nil {
		t.Fatalf("render %s: %v", p.Name, err)
	}
	return objs
}

func nfStatus(t *testing.T, ctx context.Context, c *cluster.Cluster, ns, nf string) cluster.NFStatus {
	t.Helper()
	st, err := c.Status(ctx, "5gc", ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Name == nf {
			return s
		}
	}
	t.Fatalf("no nf %s in status %+v", nf, st)
	return cluster.NFStatus{}
}

// checkScheduled: every Deployment made a ReplicaSet, and all n pods were
// bound to the node by the scheduler.
func checkScheduled(t *testing.T, ctx context.Context, c *cluster.Cluster, ns, node string, n int) {
	t.Helper()
	rs, err := c.Typed().AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]bool{}
	for _, r := range rs.Items {
		for _, o := range r.OwnerReferences {
			owners[o.Kind+"/"+o.Name] = true
		}
	}
	for _, d := range []string{"nrf", "udm", "ausf", "pcf", "nssf", "smf", "amf"} {
		if !owners["Deployment/"+d] {
			t.Errorf("no ReplicaSet owned by Deployment %s", d)
		}
	}
	pods, err := c.Typed().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != n {
		t.Errorf("%d pods, want %d", len(pods.Items), n)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName != node || !podScheduled(&p) {
			t.Errorf("pod %s: node %q, conditions %v", p.Name, p.Spec.NodeName, p.Status.Conditions)
		}
	}
}

func podScheduled(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
