package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/corebox/corebox/orchestrator/kube"
)

// NFStatus is one NF's workload as the cluster sees it.
type NFStatus struct {
	Name       string      `json:"name"`
	Kind       string      `json:"kind"` // Deployment or StatefulSet
	Desired    int32       `json:"desired"`
	Ready      int32       `json:"ready"`
	Updated    int32       `json:"updated"`
	Autoscaled bool        `json:"autoscaled"`
	Pods       []PodStatus `json:"pods"`
}

// PodStatus is one pod of an NF.
type PodStatus struct {
	Name        string            `json:"name"`
	Phase       string            `json:"phase"`
	Node        string            `json:"node,omitempty"`
	Ready       bool              `json:"ready"`
	Terminating bool              `json:"terminating,omitempty"`
	QOS         string            `json:"qos,omitempty"`
	Addresses   map[string]string `json:"addresses,omitempty"` // network -> IPs (eth0 is the pod network)
}

// done is whether the workload has all its desired pods updated and ready.
func (s NFStatus) done() bool { return s.Ready == s.Desired && s.Updated == s.Desired }

// Status reads every NF workload of the profile and its pods.
func (c *Cluster) Status(ctx context.Context, profile, ns string) ([]NFStatus, error) {
	sel := metav1.ListOptions{LabelSelector: profileSelector(profile)}
	deps, err := c.typed.AppsV1().Deployments(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list deployments of %s in %s: %w", profile, ns, err)
	}
	sets, err := c.typed.AppsV1().StatefulSets(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list statefulsets of %s in %s: %w", profile, ns, err)
	}
	hpas, err := c.typed.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list HPAs of %s in %s: %w", profile, ns, err)
	}
	pods, err := c.typed.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list pods of %s in %s: %w", profile, ns, err)
	}
	scaled := map[string]bool{}
	for _, h := range hpas.Items {
		scaled[h.Spec.ScaleTargetRef.Kind+"/"+h.Spec.ScaleTargetRef.Name] = true
	}
	var out []NFStatus
	for _, d := range deps.Items {
		out = append(out, deploymentStatus(&d, scaled["Deployment/"+d.Name]))
	}
	for _, s := range sets.Items {
		out = append(out, statefulSetStatus(&s, scaled["StatefulSet/"+s.Name]))
	}
	attachPods(out, pods.Items)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func deploymentStatus(d *appsv1.Deployment, autoscaled bool) NFStatus {
	s := NFStatus{Name: d.Labels[kube.LabelNF], Kind: "Deployment", Desired: replicasOf(d.Spec.Replicas),
		Ready: d.Status.ReadyReplicas, Updated: d.Status.UpdatedReplicas, Autoscaled: autoscaled}
	if d.Status.ObservedGeneration < d.Generation {
		s.Updated = 0 // the controller has not seen the latest spec yet
	}
	return s
}

func statefulSetStatus(st *appsv1.StatefulSet, autoscaled bool) NFStatus {
	s := NFStatus{Name: st.Labels[kube.LabelNF], Kind: "StatefulSet", Desired: replicasOf(st.Spec.Replicas),
		Ready: st.Status.ReadyReplicas, Updated: st.Status.UpdatedReplicas, Autoscaled: autoscaled}
	if st.Status.ObservedGeneration < st.Generation {
		s.Updated = 0
	}
	return s
}

func replicasOf(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func attachPods(nfs []NFStatus, pods []corev1.Pod) {
	idx := map[string]int{}
	for i, s := range nfs {
		idx[s.Name] = i
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for i := range pods {
		p := &pods[i]
		j, ok := idx[p.Labels[kube.LabelNF]]
		if !ok {
			continue
		}
		nfs[j].Pods = append(nfs[j].Pods, PodStatus{Name: p.Name, Phase: string(p.Status.Phase), Node: p.Spec.NodeName,
			Ready: podReady(p), Terminating: p.DeletionTimestamp != nil, QOS: string(p.Status.QOSClass), Addresses: podAddresses(p)})
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// networkStatusAnnotation is where Multus reports each attachment's IPs.
const networkStatusAnnotation = "k8s.v1.cni.cncf.io/network-status"

// podAddresses maps each interface to its IPs: eth0 from the pod status,
// the Multus interfaces (named after their networks) from Multus' report.
func podAddresses(p *corev1.Pod) map[string]string {
	out := map[string]string{}
	if p.Status.PodIP != "" {
		out["eth0"] = p.Status.PodIP
	}
	var attachments []struct {
		Interface string   `json:"interface"`
		IPs       []string `json:"ips"`
	}
	if raw := p.Annotations[networkStatusAnnotation]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &attachments); err != nil {
			out["multus"] = "unreadable " + networkStatusAnnotation + ": " + err.Error()
		}
		for _, a := range attachments {
			if a.Interface != "" && a.Interface != "eth0" && len(a.IPs) > 0 {
				out[a.Interface] = strings.Join(a.IPs, " ")
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
