package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/corebox/corebox/profiles"
)

// CorenfPath is the corenf binary in corebox images (their entrypoint).
const CorenfPath = "/usr/local/bin/corenf"

// TunDevice is the one device with a mapping: a hostPath char device,
// which the container runtimes' default device rules already allow.
const TunDevice = "/dev/net/tun"

// AnnotationConfigHash on the pod template changes with the config, so a
// new config rolls the pods (same key as the local backend's label).
const AnnotationConfigHash = "corebox.config-hash"

// drainSlack is the time a pod gets after its drain to stop cleanly.
const drainSlack = 10 * time.Second

// image is what an NF runs: Options.Images by kind, else corebox/KIND:TAG.
func (r *renderer) image(nf *profiles.NF) string {
	if nf.Image != "" {
		return nf.Image
	}
	if ref, ok := r.opts.Images[nf.Kind]; ok {
		return ref
	}
	return "corebox/" + nf.Kind + ":" + r.opts.ImageTag
}

// podTemplate is the pod of an NF; stateful says it runs in a StatefulSet
// (ordinals: COREBOX_INDEX is set).
func (r *renderer) podTemplate(nf *profiles.NF, cfg nfConfig, stateful bool) (corev1.PodTemplateSpec, error) {
	c, err := r.container(nf, cfg, stateful)
	if err != nil {
		return corev1.PodTemplateSpec{}, err
	}
	meta := metav1.ObjectMeta{Labels: r.selector(nf.Name)}
	ann, err := r.podNetworksAnnotation(nf)
	if err != nil {
		return corev1.PodTemplateSpec{}, err
	}
	meta.Annotations = map[string]string{}
	if ann != "" {
		meta.Annotations[NetworksAnnotation] = ann
	}
	if cfg.configMap != nil { // a subPath mount never sees updates: roll instead
		meta.Annotations[AnnotationConfigHash] = configHash(cfg.configMap.Data)
	}
	if len(meta.Annotations) == 0 {
		meta.Annotations = nil
	}
	spec := corev1.PodSpec{Containers: []corev1.Container{c}, Volumes: podVolumes(nf, cfg)}
	if !nf.Drain.Disabled {
		grace := int64(seconds(nf.Drain.Timeout + drainSlack))
		spec.TerminationGracePeriodSeconds = &grace
	}
	if len(nf.Sysctls) > 0 {
		spec.SecurityContext = &corev1.PodSecurityContext{}
		for _, k := range sortedKeys(nf.Sysctls) {
			spec.SecurityContext.Sysctls = append(spec.SecurityContext.Sysctls, corev1.Sysctl{Name: k, Value: nf.Sysctls[k]})
		}
	}
	return corev1.PodTemplateSpec{ObjectMeta: meta, Spec: spec}, nil
}

func (r *renderer) container(nf *profiles.NF, cfg nfConfig, stateful bool) (corev1.Container, error) {
	c := corev1.Container{Name: nf.Name, Image: r.image(nf)}
	args, argsIndex, err := r.resolveList("args", nf.Args)
	if err != nil {
		return c, err
	}
	envs, envIndex, err := r.resolveList("env", nf.Env)
	if err != nil {
		return c, err
	}
	if (argsIndex || envIndex) && !stateful {
		return c, fmt.Errorf("${self.index} outside a StatefulSet") // workload() prevents it
	}
	if nf.Kind != "" {
		c.Command = []string{CorenfPath, nf.Kind}
		if args == nil {
			args = []string{"-c", cfg.path}
		}
	}
	c.Args = args
	c.Env = podEnv(stateful)
	for _, e := range envs {
		name, value, _ := strings.Cut(e, "=") // the loader checked NAME=VALUE
		c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
	}
	c.VolumeMounts = mounts(nf, cfg)
	c.SecurityContext = securityContext(nf)
	if c.Resources, err = resources(nf); err != nil {
		return c, err
	}
	c.ReadinessProbe = readiness(nf.Readiness)
	if nf.Kind != "" {
		c.LivenessProbe = &corev1.Probe{ProbeHandler: httpGet("/healthz", profiles.OpsPort), PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}
		if !nf.Drain.Disabled {
			c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{
				CorenfPath, "drain", "--addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(nf.Drain.Port)),
				"--timeout", nf.Drain.Timeout.String(),
			}}}}
		}
	}
	return c, nil
}

// podEnv names the pod to nfkit (its instance name) and, in a
// StatefulSet, gives it its ordinal from the pod-index label.
func podEnv(stateful bool) []corev1.EnvVar {
	env := []corev1.EnvVar{{Name: "COREBOX_INSTANCE", ValueFrom: fieldRef("metadata.name")}}
	if stateful {
		env = append(env, corev1.EnvVar{Name: EnvIndex, ValueFrom: fieldRef("metadata.labels['" + appsv1.PodIndexLabel + "']")})
	}
	return env
}

func fieldRef(path string) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
}

// securityContext adds capabilities, and never makes a pod privileged.
func securityContext(nf *profiles.NF) *corev1.SecurityContext {
	no := false
	sc := &corev1.SecurityContext{Privileged: &no}
	if len(nf.Capabilities) > 0 {
		sc.Capabilities = &corev1.Capabilities{}
		for _, c := range nf.Capabilities {
			sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(strings.TrimPrefix(strings.ToUpper(c), "CAP_")))
		}
	}
	return sc
}

func readiness(p profiles.Probe) *corev1.Probe {
	if p.None() {
		return nil // an image without a check: started is ready
	}
	out := &corev1.Probe{PeriodSeconds: int32(seconds(p.Interval)), TimeoutSeconds: int32(seconds(p.Timeout)), FailureThreshold: 3}
	switch {
	case p.HTTP != "":
		out.ProbeHandler = httpGet(p.HTTP, p.Port)
	default:
		out.ProbeHandler = corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt(p.TCP)}}
	}
	return out
}

func httpGet(path string, port int) corev1.ProbeHandler {
	return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt(port)}}
}

// seconds rounds up to whole seconds, at least 1 (probe periods and grace
// periods are whole seconds).
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func configHash(data map[string]string) string {
	h := sha256.New()
	for _, k := range sortedKeys(data) {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(data[k]), data[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
