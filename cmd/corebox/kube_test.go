package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/corebox/corebox/orchestrator/kube/cluster"
	"github.com/corebox/corebox/orchestrator/kube/kubetest"
)

// corebox runs the CLI in-process and returns its output.
func corebox(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

// TestKubernetesTarget drives the CLI's --target kubernetes verbs against
// a real control plane: up (with --wait=false, then waiting), status,
// scale, a second up that writes nothing, and down.
func TestKubernetesTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Kubernetes control plane")
	}
	cp := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cp.InstallNADCRD(ctx); err != nil {
		t.Fatal(err)
	}
	cp.StartKubelet(t, "node-b")
	if err := cp.AddVolumes(ctx, 1, "1Gi"); err != nil {
		t.Fatal(err)
	}
	kube := []string{"--target", "kubernetes", "--kubeconfig", cp.Kubeconfig, "--namespace", "lab"}
	run := func(args ...string) string {
		t.Helper()
		out, err := corebox(t, ctx, append(args, kube...)...)
		if err != nil {
			t.Fatalf("corebox %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	out := run("up", "5gc", "--wait=false")
	m := regexp.MustCompile(`namespace lab: (\d+) created, 0 configured, 0 unchanged, 0 pruned`).FindStringSubmatch(out)
	if m == nil || strings.Contains(out, "ready") {
		t.Fatalf("up --wait=false:\n%s", out)
	}
	out = run("up", "5gc")
	if !strings.Contains(out, "0 created, 0 configured, "+m[1]+" unchanged, 0 pruned") || !strings.Contains(out, "5gc ready in namespace lab") {
		t.Errorf("second up (want all %s objects unchanged, then ready):\n%s", m[1], out)
	}
	run("scale", "5gc", "pcf=2")
	var st []cluster.NFStatus
	if err := json.Unmarshal([]byte(run("status", "5gc", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Name == "pcf" && (s.Desired != 2 || s.Ready != 2) {
			t.Errorf("pcf after scale: %+v", s)
		}
	}
	out = run("down", "5gc", "--grace-period", "0", "--delete-namespace")
	if !strings.Contains(out, "5gc removed from namespace lab") {
		t.Errorf("down:\n%s", out)
	}
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "lab", metav1.GetOptions{}); err == nil {
		t.Error("namespace lab still there after down --delete-namespace")
	}
	if _, err := corebox(t, ctx, append([]string{"up", "5glab", "--wait=false"}, kube...)...); err == nil ||
		!strings.Contains(err.Error(), "nf dn: routes") {
		t.Errorf("up 5glab: %v, want a refusal naming nf dn and its routes", err)
	}
}
