package kube

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/yaml"
)

func itoa(i int) string { return strconv.Itoa(i) }

// strictDecoder decodes YAML into the typed kinds we render, refusing
// unknown or duplicate fields.
func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}

// TestDecodeBack decodes every rendered document with the typed scheme
// (NADs as unstructured) and checks it equals the object rendered.
func TestDecodeBack(t *testing.T) {
	dec := strictDecoder(t)
	for name, p := range goldenCases(t) {
		objs, err := Render(p, Options{ImageTag: "test"})
		if err != nil {
			continue // a refusal: TestGolden pins its text
		}
		b, err := YAML(objs)
		if err != nil {
			t.Fatalf("%s: YAML: %v", name, err)
		}
		docs := strings.Split(strings.TrimPrefix(string(b), "---\n"), "\n---\n")
		if len(docs) != len(objs) {
			t.Fatalf("%s: %d documents for %d objects", name, len(docs), len(objs))
		}
		sortObjects(objs)
		for i, doc := range docs {
			checkDoc(t, dec, name, doc, objs[i])
		}
	}
}

func checkDoc(t *testing.T, dec runtime.Decoder, profile, doc string, want Object) {
	t.Helper()
	if want.Kind == "NetworkAttachmentDefinition" {
		checkNAD(t, profile, doc, want)
		return
	}
	got, gvk, err := dec.Decode([]byte(doc), nil, nil)
	if err != nil {
		t.Errorf("%s: %s %s: decode: %v", profile, want.Kind, want.Name, err)
		return
	}
	if gvk.Kind != want.Kind {
		t.Errorf("%s: decoded kind %s, want %s", profile, gvk.Kind, want.Kind)
	}
	if !equality.Semantic.DeepEqual(got, want.Obj) {
		t.Errorf("%s: %s %s changed through YAML:\n got %#v\nwant %#v", profile, want.Kind, want.Name, got, want.Obj)
	}
}

// checkNAD: Multus reads spec.config as a CNI config whose name is the
// NAD's.
func checkNAD(t *testing.T, profile, doc string, want Object) {
	t.Helper()
	var u unstructured.Unstructured
	if err := yaml.UnmarshalStrict([]byte(doc), &u.Object); err != nil {
		t.Errorf("%s: NAD %s: %v", profile, want.Name, err)
		return
	}
	if u.GetAPIVersion() != "k8s.cni.cncf.io/v1" || u.GetKind() != "NetworkAttachmentDefinition" || u.GetName() != want.Name {
		t.Errorf("%s: NAD header %s %s %s", profile, u.GetAPIVersion(), u.GetKind(), u.GetName())
	}
	text, _, err := unstructured.NestedString(u.Object, "spec", "config")
	if err != nil {
		t.Errorf("%s: NAD %s spec.config: %v", profile, want.Name, err)
		return
	}
	var conf struct {
		CNIVersion, Name, Type string
		IPAM                   struct{ Type string }
	}
	if err := json.Unmarshal([]byte(text), &conf); err != nil {
		t.Errorf("%s: NAD %s config JSON: %v", profile, want.Name, err)
		return
	}
	if conf.Name != want.Name || conf.Type == "" || conf.IPAM.Type == "" || conf.CNIVersion == "" {
		t.Errorf("%s: NAD %s config incomplete: %+v", profile, want.Name, conf)
	}
}
