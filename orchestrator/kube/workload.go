package kube

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/corebox/corebox/profiles"
)

// refuseUnmapped names the first field of nf with no Kubernetes mapping.
func refuseUnmapped(nf *profiles.NF) error {
	switch {
	case nf.Restart != "" && nf.Restart != profiles.RestartAlways:
		return fmt.Errorf("restart: %q: Deployments and StatefulSets only restart always", nf.Restart)
	case len(nf.Routes) > 0:
		return fmt.Errorf("routes: routes from %s's announced prefixes are kept by the corebox orchestrator; no Kubernetes mapping yet", nf.Routes[0].From)
	case nf.Resources.Pids > 0:
		return fmt.Errorf("resources.pids: Kubernetes limits pids per node (kubelet podPidsLimit), not per pod")
	case nf.Readiness.UDP > 0:
		return fmt.Errorf("readiness.udp: Kubernetes has no UDP probe")
	case nf.Kind == "" && !nf.Drain.Disabled:
		return fmt.Errorf("drain.http: a foreign image has no corenf to run the drain as a preStop hook")
	}
	for i, d := range nf.Devices {
		if d != TunDevice {
			return fmt.Errorf("devices[%d]: %s: only %s has a mapping (hostPath); others need a device plugin", i, d, TunDevice)
		}
	}
	return nil
}

// usesIndex: the NF's config, env or args hold ${self.index}.
func usesIndex(nf *profiles.NF, cfg nfConfig) bool {
	if cfg.indexed {
		return true
	}
	for _, s := range append(append([]string{}, nf.Env...), nf.Args...) {
		if strings.Contains(s, "${self.index}") {
			return true
		}
	}
	return false
}

// workload is a StatefulSet when pods need an ordinal or their own
// volumes, else a Deployment. A scaling NF has no replicas: the HPA owns it.
func (r *renderer) workload(nf *profiles.NF, cfg nfConfig) (Object, error) {
	stateful := usesIndex(nf, cfg) || len(nf.Volumes) > 0
	tpl, err := r.podTemplate(nf, cfg, stateful)
	if err != nil {
		return Object{}, err
	}
	var replicas *int32
	if nf.Scaling == nil {
		n := int32(nf.Replicas)
		replicas = &n
	}
	sel := &metav1.LabelSelector{MatchLabels: r.selector(nf.Name)}
	if stateful {
		s := &appsv1.StatefulSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
			ObjectMeta: r.meta(nf.Name, nf.Name),
			Spec: appsv1.StatefulSetSpec{
				Replicas: replicas, Selector: sel, Template: tpl,
				PodManagementPolicy:  appsv1.ParallelPodManagement,
				VolumeClaimTemplates: claimTemplates(nf),
			},
		}
		if hasInterface(nf, "sbi") {
			s.Spec.ServiceName = nf.Name
		}
		return Object{Kind: "StatefulSet", Name: nf.Name, Obj: s}, nil
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: r.meta(nf.Name, nf.Name),
		Spec:       appsv1.DeploymentSpec{Replicas: replicas, Selector: sel, Template: tpl},
	}
	if pinsAddresses(nf) { // two pods must never hold one static address
		d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	}
	return Object{Kind: "Deployment", Name: nf.Name, Obj: d}, nil
}

func pinsAddresses(nf *profiles.NF) bool {
	for _, itf := range nf.Interfaces {
		if len(itf.Addresses) > 0 {
			return true
		}
	}
	return false
}

// scaling: an HPA per policy, and a PDB for NFs with more than one pod.
func (r *renderer) scaling(nf *profiles.NF, workloadKind string) ([]Object, error) {
	var out []Object
	if nf.Scaling != nil {
		h, err := r.hpa(nf, workloadKind)
		if err != nil {
			return nil, err
		}
		out = append(out, Object{Kind: "HorizontalPodAutoscaler", Name: nf.Name, Obj: h})
	}
	if nf.Scaling != nil || nf.Replicas > 1 {
		one := intstr.FromInt(1)
		pdb := &policyv1.PodDisruptionBudget{
			TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
			ObjectMeta: r.meta(nf.Name, nf.Name),
			Spec: policyv1.PodDisruptionBudgetSpec{
				MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: r.selector(nf.Name)},
			},
		}
		out = append(out, Object{Kind: "PodDisruptionBudget", Name: nf.Name, Obj: pdb})
	}
	return out, nil
}

// hpa keeps the profile's metric near its target per pod: "cpu" as the
// Resource metric in cores, anything else as a Pods metric (served by a
// Prometheus adapter under the same name).
func (r *renderer) hpa(nf *profiles.NF, kind string) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	s := nf.Scaling
	q, err := quantity(s.Target)
	if err != nil {
		return nil, fmt.Errorf("scaling.target: %w", err)
	}
	target := autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q}
	metric := autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: s.Metric}, Target: target,
	}}
	if s.Metric == "cpu" {
		metric = autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: "cpu", Target: target,
		}}
	}
	minR, window := int32(s.Min), int32(s.Cooldown.Seconds())
	rules := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &window}
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: r.meta(nf.Name, nf.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: nf.Name},
			MinReplicas:    &minR, MaxReplicas: int32(s.Max),
			Metrics:  []autoscalingv2.MetricSpec{metric},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: rules, ScaleDown: rules.DeepCopy()},
		},
	}, nil
}

func quantity(v float64) (resource.Quantity, error) {
	return resource.ParseQuantity(strconv.FormatFloat(v, 'f', -1, 64))
}
