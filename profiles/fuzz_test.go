package profiles

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzLoad: whatever the bytes, loading does not panic, every problem has
// a place (file and line, and a column unless the YAML parser gave none),
// and a profile that loads writes out and loads back the same. The seed
// corpus (testdata/fuzz/FuzzLoad) holds the shipped and the broken
// profiles of the tests.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("name: p\nnfs: [{name: a, kind: probe}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("p.yaml", LoadOptions{Files: files(map[string]string{"p.yaml": string(data)})})
		if err != nil {
			checkPlaces(t, err)
			return
		}
		// Include records what was merged; merging again is not the point.
		p.Include = nil
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("marshal a loaded profile: %v", err)
		}
		back, err := Load("p.yaml", LoadOptions{Files: files(map[string]string{"p.yaml": string(out)})})
		if err != nil {
			t.Fatalf("a loaded profile, written out, does not load:\n%v\ninput:\n%s\nwritten:\n%s", err, data, out)
		}
		if !reflect.DeepEqual(p, back) {
			t.Fatalf("round trip differs\nfirst %#v\nagain %#v\ninput:\n%s\nwritten:\n%s", p, back, data, out)
		}
	})
}

func checkPlaces(t *testing.T, err error) {
	var ve ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		t.Fatalf("error %T without problems: %v", err, err)
	}
	for _, e := range ve {
		syntax := strings.HasPrefix(e.Msg, "YAML syntax: ")
		if e.File == "" || e.Line < 1 || (e.Column < 1 && !syntax) || e.Msg == "" {
			t.Errorf("problem without a place: %#v", e)
		}
	}
}
