package kube

import (
	_ "embed"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

//go:embed nadcrd.yaml
var nadCRD []byte

// NADCRD is the NetworkAttachmentDefinition CRD, for a cluster without
// Multus' copy (`corebox render --crds`, and the tests' cluster).
func NADCRD() (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(nadCRD, &u.Object); err != nil {
		return nil, fmt.Errorf("NetworkAttachmentDefinition CRD: %w", err)
	}
	return u, nil
}

// NADCRDYAML is the same CRD as YAML.
func NADCRDYAML() []byte { return nadCRD }
