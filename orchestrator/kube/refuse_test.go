package kube

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/corebox/corebox/profiles"
)

// load reads a profile given as YAML text (networks and nfs only).
func load(t *testing.T, body string) *profiles.Profile {
	t.Helper()
	text := "name: t\nnetworks:\n  - {name: sbi, subnet: 10.9.0.0/24}\n  - {name: n4, subnet: 10.9.4.0/24}\n" + body
	p, err := profiles.Load("t.yaml", profiles.LoadOptions{Files: fstest.MapFS{"t.yaml": {Data: []byte(text)}}})
	if err != nil {
		t.Fatalf("load: %v\n%s", err, text)
	}
	return p
}

// TestRefusals: what Kubernetes cannot take is refused naming NF and field.
func TestRefusals(t *testing.T) {
	tests := []struct{ name, nfs, want string }{
		{"restart", "nfs:\n  - {name: a, kind: probe, restart: on-failure}\n", "nf a: restart"},
		{"routes", "nfs:\n  - {name: a, kind: probe, interfaces: [{network: n4}]}\n  - {name: b, kind: dn, interfaces: [{network: n4}], routes: [{from: a, network: n4}]}\n", "nf b: routes"},
		{"pids", "nfs:\n  - {name: a, kind: probe, resources: {pids: 10}}\n", "nf a: resources.pids"},
		{"udp probe", "nfs:\n  - {name: a, image: x/y:1, readiness: {udp: 53}}\n", "nf a: readiness.udp"},
		{"image drain", "nfs:\n  - {name: a, image: x/y:1, drain: {http: /d}}\n", "nf a: drain.http"},
		{"device", "nfs:\n  - {name: a, kind: probe, devices: [/dev/fuse]}\n", "nf a: devices[0]"},
		{"multus ref", "nfs:\n  - {name: a, kind: probe, interfaces: [{network: n4}]}\n  - {name: b, kind: probe, config: {peer: \"${a.n4}:1\"}}\n", "nf b: config.peer: ${a.n4}"},
		{"env multus ref", "nfs:\n  - {name: a, kind: probe, interfaces: [{network: n4}]}\n  - {name: b, kind: probe, env: [\"P=${a.n4}\"]}\n", "nf b: env[0]"},
		{"replica ref", "nfs:\n  - {name: a, kind: probe, replicas: 2, interfaces: [{network: sbi}]}\n  - {name: b, kind: probe, config: {peer: \"${a.sbi[1]}\"}}\n", "nf b: config.peer"},
		{"mgmt ref without service", "nfs:\n  - {name: a, kind: probe}\n  - {name: b, kind: probe, env: [\"P=${a.mgmt}\"]}\n", "nf b: env[0]"},
		{"static replicas", "nfs:\n  - {name: a, kind: probe, replicas: 2, interfaces: [{network: n4, addresses: [10.9.4.5, 10.9.4.6]}]}\n", "nf a: interfaces[1].addresses"},
		{"dataplane memory", "nfs:\n  - {name: a, kind: upf, resources: {cpus: 2, dataplane: required}}\n", "nf a: resources.memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Render(load(t, tt.nfs), Options{})
			if err == nil {
				t.Fatalf("rendered %d objects, want refusal %q", len(objs), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

// find returns the rendered object of a kind and name.
func find(t *testing.T, objs []Object, kind, name string) Object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s in %d objects", kind, name, len(objs))
	return Object{}
}

func TestOptionsAndMappings(t *testing.T) {
	p := load(t, `nfs:
  - name: a
    kind: upf
    interfaces: [{network: sbi}, {network: n4, addresses: [10.9.4.5]}]
    env: ["SLICE=${self.index}", "ME=${self.sbi}"]
    resources: {cpus: 2, memory: 1Gi, dataplane: required}
  - name: b
    kind: probe
    scaling: {min: 2, max: 5, metric: cpu, target: 0.5, cooldown: 45s}
    config: {peer: "${a.n4}", reg: "http://${a.sbi}:8000"}
`)
	objs, err := Render(p, Options{Namespace: "ns1", ImageTag: "v2", Images: map[string]string{"probe": "reg/probe@sha256:ab"}})
	if err != nil {
		t.Fatal(err)
	}
	if ns := find(t, objs, "Namespace", "ns1"); ns.Obj == nil {
		t.Fatal("no namespace object")
	}
	a := find(t, objs, "StatefulSet", "a").Obj.(*appsv1.StatefulSet)
	c := a.Spec.Template.Spec.Containers[0]
	if c.Image != "corebox/upf:v2" || a.Namespace != "ns1" {
		t.Errorf("a: image %s namespace %s", c.Image, a.Namespace)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["SLICE"] != "$(COREBOX_INDEX)" || env["ME"] != "${self.eth0}" {
		t.Errorf("a: env %v", env)
	}
	if q := c.Resources.Requests[corev1.ResourceCPU]; q.String() != "2" || !equalLists(c.Resources.Requests, c.Resources.Limits) {
		t.Errorf("a: dataplane resources not Guaranteed: %+v", c.Resources)
	}
	if ann := a.Spec.Template.Annotations[NetworksAnnotation]; ann != `[{"name":"t-n4-static","interface":"n4","ips":["10.9.4.5/24"]}]` {
		t.Errorf("a: networks annotation %s", ann)
	}
	b := find(t, objs, "Deployment", "b").Obj.(*appsv1.Deployment)
	if b.Spec.Replicas != nil || b.Spec.Template.Spec.Containers[0].Image != "reg/probe@sha256:ab" {
		t.Errorf("b: replicas %v image %s", b.Spec.Replicas, b.Spec.Template.Spec.Containers[0].Image)
	}
	cm := find(t, objs, "ConfigMap", "b-config").Obj.(*corev1.ConfigMap)
	if got := cm.Data["probe.yaml"]; got != "peer: 10.9.4.5\nreg: http://a.ns1.svc:8000\n" {
		t.Errorf("b: config %q", got)
	}
	h := find(t, objs, "HorizontalPodAutoscaler", "b").Obj.(*autoscalingv2.HorizontalPodAutoscaler)
	m := h.Spec.Metrics[0]
	if m.Resource == nil || m.Resource.Name != corev1.ResourceCPU || m.Resource.Target.AverageValue.String() != "500m" ||
		*h.Spec.MinReplicas != 2 || h.Spec.MaxReplicas != 5 || *h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds != 45 {
		t.Errorf("b: hpa %+v", h.Spec)
	}
	find(t, objs, "PodDisruptionBudget", "b")
}

func equalLists(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, q := range a {
		if q2, ok := b[k]; !ok || q.Cmp(q2) != 0 {
			return false
		}
	}
	return true
}

// TestConfigChangeRolls: a new config changes the pod template.
func TestConfigChangeRolls(t *testing.T) {
	hash := func(v string) string {
		objs, err := Render(load(t, "nfs:\n  - {name: a, kind: probe, config: {drain_rate: "+v+"}}\n"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return find(t, objs, "Deployment", "a").Obj.(*appsv1.Deployment).Spec.Template.Annotations[AnnotationConfigHash]
	}
	if h1, h2 := hash("1"), hash("2"); h1 == "" || h1 == h2 {
		t.Errorf("config hashes %q and %q", h1, h2)
	}
}

// TestYAMLOrder: YAML orders by kind whatever order it is given.
func TestYAMLOrder(t *testing.T) {
	objs, err := Render(load(t, "nfs:\n  - {name: a, kind: probe, replicas: 2, interfaces: [{network: sbi}, {network: n4}], config: {drain_rate: 1}}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(objs)
	got, err := YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("YAML depends on input order")
	}
	var kinds []string
	for _, line := range strings.Split(string(want), "\n") {
		if k, ok := strings.CutPrefix(line, "kind: "); ok {
			kinds = append(kinds, k)
		}
	}
	order := "Namespace NetworkAttachmentDefinition ConfigMap Service Deployment PodDisruptionBudget"
	if strings.Join(kinds, " ") != order {
		t.Errorf("kinds %v, want %s", kinds, order)
	}
}
