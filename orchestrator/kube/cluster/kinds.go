package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// managed is every namespaced kind Render produces, in apply order: the
// kinds pruned and removed by profile label.
var managed = []struct{ APIVersion, Kind string }{
	{"k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition"},
	{"v1", "ConfigMap"},
	{"v1", "Service"},
	{"apps/v1", "Deployment"},
	{"apps/v1", "StatefulSet"},
	{"autoscaling/v2", "HorizontalPodAutoscaler"},
	{"policy/v1", "PodDisruptionBudget"},
}

func groupKind(apiVersion, kind string) (schema.GroupVersion, schema.GroupKind, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return gv, schema.GroupKind{}, fmt.Errorf("apiVersion %q of %s: %w", apiVersion, kind, err)
	}
	return gv, schema.GroupKind{Group: gv.Group, Kind: kind}, nil
}
