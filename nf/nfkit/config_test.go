package nfkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Listen string `yaml:"listen"`
}

type extra struct {
	Weight int `yaml:"weight"`
}

type testConfig struct {
	Name    string            `yaml:"name"`
	Ports   []int             `yaml:"ports"`
	Wait    time.Duration     `yaml:"wait"`
	Ops     inner             `yaml:"ops"`
	Peers   []inner           `yaml:"peers"`
	Labels  map[string]inner  `yaml:"labels"`
	Free    map[string]string `yaml:"free"`
	Skipped string            `yaml:"-"`
	Plain   int
	extra   `yaml:",inline"`
	invalid bool
}

func (c *testConfig) Validate() error {
	if c.Name == "bad" {
		return errors.New("name must not be bad")
	}
	return nil
}

func defaults() testConfig {
	return testConfig{Name: "dflt", Ports: []int{7}, Wait: time.Second, Ops: inner{Listen: ":9090"}}
}

func TestDecodeOverDefaults(t *testing.T) {
	cfg := defaults()
	in := "ports: [7, 9]\nwait: 250ms\nops:\n  listen: 127.0.0.1:1\nweight: 3\nplain: 4\nfree: {a: b}\n"
	if err := Decode("x.yaml", []byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "dflt" {
		t.Errorf("Name = %q, want default kept", cfg.Name)
	}
	if len(cfg.Ports) != 2 || cfg.Ports[1] != 9 || cfg.Wait != 250*time.Millisecond ||
		cfg.Ops.Listen != "127.0.0.1:1" || cfg.Weight != 3 || cfg.Plain != 4 || cfg.Free["a"] != "b" {
		t.Errorf("decoded %+v", cfg)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unknown top key", "name: a\nprot: 3\n",
			[]string{`x.yaml:2: unknown key "prot" (known: free, labels, name, ops, peers, plain, ports, wait, weight)`}},
		{"unknown nested key", "ops:\n  lisen: x\n",
			[]string{`x.yaml:2: unknown key "lisen" in ops (known: listen)`}},
		{"unknown key in list item", "peers:\n  - listen: a\n  - lsten: b\n",
			[]string{`x.yaml:3: unknown key "lsten" in peers[1]`}},
		{"unknown key in map value", "labels:\n  k:\n    nope: 1\n",
			[]string{`x.yaml:3: unknown key "nope" in labels.k`}},
		{"skipped field is unknown", "skipped: 1\n", []string{`x.yaml:1: unknown key "skipped"`}},
		{"every unknown key reported", "a: 1\nb: 2\n",
			[]string{`x.yaml:1: unknown key "a"`, `x.yaml:2: unknown key "b"`}},
		{"bad type", "name: a\nports: [x]\n", []string{"x.yaml:2: cannot unmarshal"}},
		{"bad duration", "wait: soon\n", []string{"x.yaml:1: cannot unmarshal", "time.Duration"}},
		{"syntax", "name: a\n  b: c\n", []string{"x.yaml:2: "}},
		{"two documents", "name: a\n---\nname: b\n", []string{"x.yaml:2: only one YAML document"}},
		{"not a mapping", "- 1\n", []string{"x.yaml:1: cannot unmarshal !!seq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults()
			err := Decode("x.yaml", []byte(tt.in), &cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDecodeEmptyKeepsDefaults(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "~\n"} {
		cfg := defaults()
		if err := Decode("x.yaml", []byte(in), &cfg); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if cfg.Name != "dflt" || len(cfg.Ports) != 1 {
			t.Errorf("%q changed defaults: %+v", in, cfg)
		}
	}
}

func TestDecodeNeedsPointer(t *testing.T) {
	if err := Decode("x", []byte("a: 1"), testConfig{}); err == nil {
		t.Error("non-pointer accepted")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "name: n1\n")
	cfg := defaults()
	if err := Load(good, &cfg); err != nil || cfg.Name != "n1" {
		t.Fatalf("Load = %v, name %q", err, cfg.Name)
	}

	bad := write("bad.yaml", "name: bad\n")
	err := Load(bad, &cfg)
	if err == nil || !strings.Contains(err.Error(), bad+": invalid config: name must not be bad") {
		t.Errorf("Load(bad) = %v", err)
	}
	unknown := write("dn.yaml", "name: a\n\nprot: 1\n")
	if err := Load(unknown, &cfg); err == nil || !strings.Contains(err.Error(), unknown+`:3: unknown key "prot"`) {
		t.Errorf("Load(unknown) = %v", err)
	}
	if err := Load(filepath.Join(dir, "missing.yaml"), &cfg); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestExpandSelf(t *testing.T) {
	addrs := map[string]string{"sbi": "10.1.0.5", "lo": "127.0.0.1"}
	lookup := func(iface string) (string, error) {
		if a, ok := addrs[iface]; ok {
			return a, nil
		}
		return "", fmt.Errorf("no interface %q here", iface)
	}
	got, err := ExpandSelf("c.yaml", []byte("a: ${self.sbi}:8000\nb: [${self.lo}, x]\n"), lookup)
	if err != nil || string(got) != "a: 10.1.0.5:8000\nb: [127.0.0.1, x]\n" {
		t.Errorf("got %q, %v", got, err)
	}
	_, err = ExpandSelf("c.yaml", []byte("a: 1\nb: ${self.n3}\n"), lookup)
	if err == nil || !strings.Contains(err.Error(), `c.yaml:2: ${self.n3}: no interface "n3" here`) {
		t.Errorf("missing interface: %v", err)
	}
	if a, err := InterfaceAddr("lo"); err != nil || a != "127.0.0.1" {
		t.Errorf("InterfaceAddr(lo) = %q, %v", a, err)
	}
}
