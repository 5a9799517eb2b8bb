package kube

import (
	"fmt"
	"path"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/corebox/corebox/profiles"
)

// nfConfig is an NF's rendered config and how the pod mounts it.
type nfConfig struct {
	configMap *corev1.ConfigMap // nil: the NF has no config
	path      string            // the file in the container
	subPath   string            // the ConfigMap key mounted there...
	indexed   bool              // ...or one key per ordinal (subPathExpr)
}

// configPath is where the NF reads its config, as on the local backend.
func configPath(nf *profiles.NF) string {
	if nf.ConfigPath != "" {
		return nf.ConfigPath
	}
	return "/etc/corebox/" + nf.Kind + ".yaml"
}

// configKey is the ConfigMap key of the config, for ordinal i when the
// config differs per pod (i < 0: one for all).
func configKey(nf *profiles.NF, i int) string {
	base := nf.Kind
	if base == "" {
		base = path.Base(nf.ConfigPath)
		base = base[:len(base)-len(path.Ext(base))]
	}
	if i < 0 {
		return base + ".yaml"
	}
	return fmt.Sprintf("%s-%d.yaml", base, i)
}

// ordinals is how many distinct pods an NF may have: a StatefulSet's
// ordinals go up to the scaling maximum.
func ordinals(nf *profiles.NF) int {
	n := nf.Replicas
	if nf.Scaling != nil {
		n = nf.Scaling.Max
	}
	return max(n, 1)
}

// configs renders the NF's config into a ConfigMap. A config using
// ${self.index} gets one key per ordinal, each with its number filled in.
func (r *renderer) configs(nf *profiles.NF) (nfConfig, error) {
	out := nfConfig{path: configPath(nf)}
	if len(nf.Config) == 0 {
		return out, nil
	}
	data := map[string]string{}
	one, indexed, err := r.configText(nf, -1)
	if err != nil {
		return out, err
	}
	if !indexed {
		out.subPath = configKey(nf, -1)
		data[out.subPath] = one
	} else {
		out.indexed = true
		for i := range ordinals(nf) {
			if data[configKey(nf, i)], _, err = r.configText(nf, i); err != nil {
				return out, err
			}
		}
	}
	out.configMap = &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(nf.Name+"-config", nf.Name),
		Data:       data,
	}
	return out, nil
}

// configText is the config of ordinal i as YAML, and whether it used
// ${self.index}.
func (r *renderer) configText(nf *profiles.NF, i int) (string, bool, error) {
	used := false
	cfg, err := resolveConfig(nf.Config, "config", r.lookup(i, &used))
	if err != nil {
		return "", false, err
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return "", false, fmt.Errorf("config: %w", err)
	}
	return selfOnPod(string(b)), used, nil
}
