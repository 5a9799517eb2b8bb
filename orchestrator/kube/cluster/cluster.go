// Package cluster applies rendered profiles (orchestrator/kube) to a real
// Kubernetes cluster with client-go: server-side apply under the field
// manager "corebox", pruning by the profile label, readiness waits, status,
// scale, in-place resize and teardown. Everything is keyed by the labels
// Render puts on objects, so no state is kept outside the cluster.
package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// FieldManager owns every field corebox applies.
const FieldManager = "corebox"

// Cluster is a connection to one cluster.
type Cluster struct {
	typed  kubernetes.Interface
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	Host   string
	cfg    *rest.Config
}

// Connect reads a kubeconfig: the file given, else $KUBECONFIG, else
// ~/.kube/config (client-go's default loading rules).
func Connect(kubeconfig string) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return New(cfg)
}

// New connects with a ready REST config.
func New(cfg *rest.Config) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "corebox"
	}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", cfg.Host, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client for %s: %w", cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client for %s: %w", cfg.Host, err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return &Cluster{typed: typed, dyn: dyn, mapper: mapper, Host: cfg.Host, cfg: cfg}, nil
}

// Typed is the typed clientset, for callers (and tests) that need more.
func (c *Cluster) Typed() kubernetes.Interface { return c.typed }

// mapping finds the resource of a kind, refreshing discovery once when the
// kind is new (say, a CRD installed after we connected).
func (c *Cluster) mapping(apiVersion, kind string) (*meta.RESTMapping, error) {
	gv, gk, err := groupKind(apiVersion, kind)
	if err != nil {
		return nil, err
	}
	m, err := c.mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gk, gv.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("the cluster does not serve %s %s (%s): install it first (see docs/kubernetes.md)", apiVersion, kind, hint(kind))
		}
		return nil, fmt.Errorf("resource for %s %s: %w", apiVersion, kind, err)
	}
	return m, nil
}

func hint(kind string) string {
	if kind == "NetworkAttachmentDefinition" {
		return "Multus' CRD"
	}
	return "an API the profile needs"
}

// RESTConfig is the configuration the cluster was reached with.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.cfg) }
