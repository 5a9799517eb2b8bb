package cluster

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scale sets an NF's replica count through its workload's scale
// subresource. An NF under an HPA is refused: the HPA owns its count.
func (c *Cluster) Scale(ctx context.Context, profile, ns, nf string, replicas int32) error {
	st, err := c.nfStatus(ctx, profile, ns, nf)
	if err != nil {
		return err
	}
	if st.Autoscaled {
		return fmt.Errorf("nf %s is scaled by its HorizontalPodAutoscaler %s/%s: change scaling.min/max in the profile instead", nf, ns, nf)
	}
	sc := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: nf, Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}
	apps := c.typed.AppsV1()
	switch st.Kind {
	case "StatefulSet":
		cur, err := apps.StatefulSets(ns).GetScale(ctx, nf, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("scale of statefulset %s/%s: %w", ns, nf, err)
		}
		sc.ResourceVersion = cur.ResourceVersion
		_, err = apps.StatefulSets(ns).UpdateScale(ctx, nf, sc, metav1.UpdateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("scale statefulset %s/%s to %d: %w", ns, nf, replicas, err)
		}
	default:
		cur, err := apps.Deployments(ns).GetScale(ctx, nf, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("scale of deployment %s/%s: %w", ns, nf, err)
		}
		sc.ResourceVersion = cur.ResourceVersion
		_, err = apps.Deployments(ns).UpdateScale(ctx, nf, sc, metav1.UpdateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("scale deployment %s/%s to %d: %w", ns, nf, replicas, err)
		}
	}
	return nil
}

// nfStatus is the status of one NF, or an error naming what exists.
func (c *Cluster) nfStatus(ctx context.Context, profile, ns, nf string) (NFStatus, error) {
	all, err := c.Status(ctx, profile, ns)
	if err != nil {
		return NFStatus{}, err
	}
	var names []string
	for _, s := range all {
		if s.Name == nf {
			return s, nil
		}
		names = append(names, s.Name)
	}
	if len(all) == 0 {
		return NFStatus{}, fmt.Errorf("profile %s has no workloads in namespace %s (is it up there?)", profile, ns)
	}
	return NFStatus{}, fmt.Errorf("profile %s in %s has no nf %s (it has %v)", profile, ns, nf, names)
}
