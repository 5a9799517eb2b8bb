package kube

import (
	"bytes"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// YAML writes objs as one multi-document stream, ordered by kind
// (Namespace, NADs, ConfigMaps, Services, workloads, HPAs, PDBs) and, within
// a kind, as given. Empty status fields are left out: these are requests.
func YAML(objs []Object) ([]byte, error) {
	sorted := slices.Clone(objs)
	sortObjects(sorted)
	var buf bytes.Buffer
	for _, o := range sorted {
		if o.Obj == nil {
			return nil, fmt.Errorf("%s %s: no object", o.Kind, o.Name)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
		}
		delete(m, "status")
		b, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
