package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Resources is a new size; a zero field keeps the current value.
type Resources struct {
	CPU    resource.Quantity // cores, e.g. 1500m
	Memory resource.Quantity // bytes
}

// Resize changes the CPU and memory of every running pod of an NF in
// place, through each pod's resize subresource (in-place vertical scaling:
// the kubelet applies it without a restart). Requests stay equal to limits,
// so the pods keep their QoS class. Pods made later get the profile's size.
func (c *Cluster) Resize(ctx context.Context, profile, ns, nf string, want Resources) ([]string, error) {
	if want.CPU.IsZero() && want.Memory.IsZero() {
		return nil, fmt.Errorf("resize %s: give a CPU or memory size", nf)
	}
	st, err := c.nfStatus(ctx, profile, ns, nf)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, p := range st.Pods {
		if p.Terminating {
			continue
		}
		if p.QOS == string(corev1.PodQOSBestEffort) {
			return done, fmt.Errorf("resize %s: pod %s has no requests or limits (BestEffort), and Kubernetes cannot change a pod's QoS class in place: give the nf resources in the profile and apply it", nf, p.Name)
		}
		if err := c.resizePod(ctx, ns, p.Name, nf, want); err != nil {
			return done, err
		}
		done = append(done, p.Name)
	}
	if len(done) == 0 {
		return nil, fmt.Errorf("resize %s: it has no running pods in %s", nf, ns)
	}
	return done, nil
}

func (c *Cluster) resizePod(ctx context.Context, ns, pod, container string, want Resources) error {
	list := corev1.ResourceList{}
	if !want.CPU.IsZero() {
		list[corev1.ResourceCPU] = want.CPU
	}
	if !want.Memory.IsZero() {
		list[corev1.ResourceMemory] = want.Memory
	}
	patch := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
		"name": container, "resources": map[string]any{"requests": list, "limits": list},
	}}}}
	b, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("resize patch for %s: %w", pod, err)
	}
	_, err = c.typed.CoreV1().Pods(ns).Patch(ctx, pod, types.StrategicMergePatchType, b,
		metav1.PatchOptions{FieldManager: FieldManager}, "resize")
	if err != nil {
		return fmt.Errorf("resize pod %s/%s: %w", ns, pod, err)
	}
	return nil
}
