// Package kube renders a loaded profile to Kubernetes objects: the same
// profile corebox runs as containers, handed to a cluster with Multus and
// whereabouts. It is pure: no cluster access (apply comes later).
// README.md lists what maps to what and the choices made.
package kube

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/corebox/corebox/profiles"
)

// Options tune a rendering.
type Options struct {
	Namespace string            // default: the profile's name
	ImageTag  string            // tag of corebox/KIND images; default "latest"
	Images    map[string]string // NF kind -> image reference (say, by digest)
}

// Object is one rendered object; Obj is a typed API object or, for kinds
// without Go types here (NetworkAttachmentDefinition), unstructured.
type Object struct {
	Kind, Name string
	Obj        runtime.Object
}

// Labels put on everything rendered (same keys as the local backend's).
const (
	LabelProfile = "corebox.profile"
	LabelNF      = "corebox.nf"
)

// kindOrder is the order YAML writes objects in: what others need first.
var kindOrder = []string{"Namespace", "NetworkAttachmentDefinition", "ConfigMap", "Service",
	"Deployment", "StatefulSet", "HorizontalPodAutoscaler", "PodDisruptionBudget"}

// renderer carries what every part of a rendering needs.
type renderer struct {
	p    *profiles.Profile
	opts Options
	ns   string
	nfs  map[string]*profiles.NF
}

// Render turns p into Kubernetes objects, or refuses with an error naming
// the NF and field that has no Kubernetes mapping.
func Render(p *profiles.Profile, opts Options) ([]Object, error) {
	if p == nil {
		return nil, fmt.Errorf("render: no profile")
	}
	r := &renderer{p: p, opts: opts, ns: opts.Namespace, nfs: map[string]*profiles.NF{}}
	if r.ns == "" {
		r.ns = p.Name
	}
	if r.opts.ImageTag == "" {
		r.opts.ImageTag = "latest"
	}
	for i := range p.NFs {
		r.nfs[p.NFs[i].Name] = &p.NFs[i]
	}
	objs := []Object{r.namespace()}
	nads, err := r.networks()
	if err != nil {
		return nil, err
	}
	objs = append(objs, nads...)
	for i := range p.NFs {
		nfObjs, err := r.renderNF(&p.NFs[i])
		if err != nil {
			return nil, fmt.Errorf("profile %s: nf %s: %w", p.Name, p.NFs[i].Name, err)
		}
		objs = append(objs, nfObjs...)
	}
	sortObjects(objs)
	return objs, nil
}

// renderNF is every object of one NF.
func (r *renderer) renderNF(nf *profiles.NF) ([]Object, error) {
	if err := refuseUnmapped(nf); err != nil {
		return nil, err
	}
	cfg, err := r.configs(nf)
	if err != nil {
		return nil, err
	}
	var out []Object
	if cfg.configMap != nil {
		out = append(out, Object{Kind: "ConfigMap", Name: cfg.configMap.Name, Obj: cfg.configMap})
	}
	if svc := r.service(nf); svc != nil {
		out = append(out, Object{Kind: "Service", Name: svc.Name, Obj: svc})
	}
	w, err := r.workload(nf, cfg)
	if err != nil {
		return nil, err
	}
	out = append(out, w)
	sc, err := r.scaling(nf, w.Kind)
	if err != nil {
		return nil, err
	}
	return append(out, sc...), nil
}

// sortObjects orders by kindOrder, keeping profile order within a kind.
func sortObjects(objs []Object) {
	slices.SortStableFunc(objs, func(a, b Object) int {
		return slices.Index(kindOrder, a.Kind) - slices.Index(kindOrder, b.Kind)
	})
}
