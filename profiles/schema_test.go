package profiles

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("profile.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("profile.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return s
}

// asJSON reads YAML into the JSON data model the validator takes.
func asJSON(t *testing.T, text []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(text, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSchemaAcceptsShipped(t *testing.T) {
	s := compileSchema(t)
	for _, name := range Shipped() {
		text, err := fs.ReadFile(shippedFS, name+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(asJSON(t, text)); err != nil {
			t.Errorf("%s does not validate against the schema:\n%v", name, err)
		}
	}
}

func TestSchemaRefusesBroken(t *testing.T) {
	s := compileSchema(t)
	base := "name: p\nnetworks: [{name: sbi, subnet: 10.1.0.0/24}]\nnfs:\n  - name: a\n"
	for _, tc := range []struct{ name, nf string }{
		{"unknown key", "    kind: probe\n    replcas: 2\n"},
		{"replicas not an integer", "    kind: probe\n    replicas: two\n"},
		{"kind and image", "    kind: probe\n    image: x\n"},
		{"bad restart", "    kind: probe\n    restart: sometimes\n"},
		{"bad condition", "    kind: probe\n    depends_on: [{nf: b, condition: healthy}]\n"},
		{"bad duration", "    kind: probe\n    readiness: {interval: soon}\n"},
		{"non-net sysctl", "    kind: probe\n    sysctls: {kernel.shmmax: 1}\n"},
		{"bad volume", "    kind: probe\n    volumes: [data]\n"},
		{"config not a mapping", "    kind: probe\n    config: [1]\n"},
		{"route without network", "    kind: probe\n    routes: [{from: b}]\n"},
		{"route as a string", "    kind: probe\n    routes: [b]\n"},
	} {
		text := []byte(base + tc.nf)
		if err := s.Validate(asJSON(t, text)); err == nil {
			t.Errorf("%s: the schema accepts\n%s", tc.name, text)
		}
		if _, err := Load("p.yaml", LoadOptions{Files: files(map[string]string{"p.yaml": string(text)})}); err == nil {
			t.Errorf("%s: the loader accepts\n%s", tc.name, text)
		}
	}
	// Variables stand where their values will: an integer key may hold one.
	ok := []byte("name: p\nvariables: {n: 2}\nnfs:\n  - name: a\n    kind: probe\n    replicas: ${n}\n")
	if err := s.Validate(asJSON(t, ok)); err != nil {
		t.Errorf("a variable for replicas is refused: %v", err)
	}
}

// TestEveryKeyDocumented: each key of the format has a description (used
// by the schema), and README.md names it.
func TestEveryKeyDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t2 reflect.Type) {
		for t2.Kind() == reflect.Pointer || t2.Kind() == reflect.Slice || t2.Kind() == reflect.Map {
			t2 = t2.Elem()
		}
		if t2.Kind() != reflect.Struct || t2 == durationType || seen[t2] {
			return
		}
		seen[t2] = true
		for _, f := range fieldsOf(t2) {
			if docs[f.name] == "" {
				t.Errorf("%s has no entry in docs", f.name)
			}
			if !bytes.Contains(readme, []byte("| `"+f.key+"` |")) {
				t.Errorf("README.md has no row for %s", f.name)
			}
			walk(t2.Field(f.index).Type)
		}
	}
	walk(reflect.TypeFor[Profile]())
	for name := range docs {
		typ, key, _ := strings.Cut(name, ".")
		found := false
		for st := range seen {
			if st.Name() == typ {
				_, found = fieldByKey(fieldsOf(st), key)
			}
		}
		if !found {
			t.Errorf("docs describes %s, which is not a key", name)
		}
	}
	for _, n := range Shipped() {
		if !regexp.MustCompile("\\| `" + n + "` \\|").Match(readme) {
			t.Errorf("README.md does not list the shipped profile %s", n)
		}
	}
}
