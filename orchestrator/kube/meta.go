package kube

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/corebox/corebox/profiles"
)

// SBIPort is where our NFs serve the SBI (the shipped profiles' :8000).
const SBIPort = 8000

// meta names an object of an NF (nf "" for the profile's own objects).
func (r *renderer) meta(name, nf string) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: r.ns, Labels: map[string]string{LabelProfile: r.p.Name}}
	if nf != "" {
		m.Labels[LabelNF] = nf
	}
	return m
}

// selector picks the pods of an NF.
func (r *renderer) selector(nf string) map[string]string {
	return map[string]string{LabelProfile: r.p.Name, LabelNF: nf}
}

func (r *renderer) namespace() Object {
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: r.ns, Labels: map[string]string{LabelProfile: r.p.Name}},
	}
	return Object{Kind: "Namespace", Name: r.ns, Obj: ns}
}

// service fronts an NF with an sbi interface: on Kubernetes the SBI rides
// on the pod network, and references to ${nf.sbi} name this Service.
func (r *renderer) service(nf *profiles.NF) *corev1.Service {
	if !hasInterface(nf, "sbi") {
		return nil
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(nf.Name, nf.Name),
		Spec: corev1.ServiceSpec{
			Selector: r.selector(nf.Name),
			Ports: []corev1.ServicePort{{
				Name: "sbi", Port: SBIPort, TargetPort: intstr.FromInt32(SBIPort), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}
