package upf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/corebox/corebox/nf/nfkit"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.PFCP.Listen != "${self.n4}:8805" || c.GTPU.Listen != "${self.n3}:2152" || c.N6.Mode != N6ModeTUN ||
		c.N6.TUNName != "upf0" || c.Buffer.ReportInterval != 5*time.Second || len(c.UEPools) != 1 {
		t.Fatalf("defaults %+v", c)
	}
	// Alone, the defaults name addresses only an instance can resolve.
	err := c.Validate()
	if err == nil || strings.Count(err.Error(), "unresolved reference") != 2 {
		t.Fatalf("defaults validate: %v", err)
	}
	if err := testConfig().Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := map[string]func(*Config){
		"pfcp wildcard, no node_id":  func(c *Config) { c.PFCP.Listen = ":8805" },
		"gtpu wildcard, no n3":       func(c *Config) { c.GTPU.Listen = "0.0.0.0:2152" },
		"pfcp not host:port":         func(c *Config) { c.PFCP.Listen = "127.0.0.1" },
		"pfcp IPv6":                  func(c *Config) { c.PFCP.Listen = "[::1]:8805" },
		"node_id FQDN":               func(c *Config) { c.NodeID = "upf.example" },
		"n3_address bad":             func(c *Config) { c.N3Address = "10.0.0.300" },
		"n6 mode":                    func(c *Config) { c.N6.Mode = "kernel" },
		"tun name too long":          func(c *Config) { c.N6.Mode, c.N6.TUNName = N6ModeTUN, "a-very-long-tun-name" },
		"tun mtu":                    func(c *Config) { c.N6.Mode, c.N6.MTU = N6ModeTUN, 100 },
		"no pools":                   func(c *Config) { c.UEPools = nil },
		"pool host bits":             func(c *Config) { c.UEPools[0].CIDR = "10.45.0.1/16" },
		"pool IPv6":                  func(c *Config) { c.UEPools[0].CIDR = "fd00::/64" },
		"pool without dnn":           func(c *Config) { c.UEPools[0].DNN = "" },
		"slices not a power of 2":    func(c *Config) { c.UEPools[0].Slices = 3 },
		"slice out of range":         func(c *Config) { c.UEPools[0].Slices, c.UEPools[0].Slice = 4, 4 },
		"slices too small":           func(c *Config) { c.UEPools[0].CIDR, c.UEPools[0].Slices = "10.45.0.0/29", 4 },
		"no n6 network":              func(c *Config) { c.N6.Network = "" },
		"nrf uri":                    func(c *Config) { c.NRF.URI = "nrf:8000" },
		"sst":                        func(c *Config) { c.NSSAI[0].SST = 256 },
		"sd":                         func(c *Config) { c.NSSAI[0].SD = "xyz" },
		"negative buffer":            func(c *Config) { c.Buffer.MaxPacketsPerSession = -1 },
		"zero report interval":       func(c *Config) { c.Buffer.ReportInterval = 0 },
		"bad ops listen":             func(c *Config) { c.Ops.Listen = "9090" },
		"explicit node id, wildcard": nil, // valid: see below
	}
	for name, mod := range cases {
		if mod == nil {
			continue
		}
		c := testConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := testConfig()
	c.PFCP.Listen, c.NodeID = ":8805", "10.0.4.2"
	c.GTPU.Listen, c.N3Address = ":2152", "10.0.3.2"
	c.NSSAI[0].SD = "0000AB"
	if err := c.Validate(); err != nil {
		t.Fatalf("wildcard listens with explicit addresses: %v", err)
	}
	if a, _ := c.nodeAddr(); a.String() != "10.0.4.2" {
		t.Fatalf("node id %s", a)
	}
}

// TestLoadResolvesSelf loads a config the way corenf does in an instance:
// ${self.lo} becomes the loopback interface's address.
func TestLoadResolvesSelf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upf.yaml")
	file := "pfcp: {listen: \"${self.lo}:8805\"}\ngtpu: {listen: \"${self.lo}:2152\"}\nn6: {mode: memory}\n" +
		"ue_pools: [{cidr: 10.46.0.0/16, dnn: ims}]\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := nfkit.Load(path, &c); err != nil {
		t.Fatal(err)
	}
	node, _ := c.nodeAddr()
	n3, _ := c.n3Addr()
	if c.PFCP.Listen != "127.0.0.1:8805" || node != loopback || n3 != loopback || c.UEPools[0].DNN != "ims" {
		t.Fatalf("loaded %+v", c)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("n6: {mode: memory, tun: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := nfkit.Load(bad, &c); err == nil || !strings.Contains(err.Error(), `unknown key "tun"`) {
		t.Fatalf("unknown key: %v", err)
	}
}

// TestReadmeDocumentsEveryKey keeps README.md in step with default.yaml.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(DefaultYAML, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range keyPaths(doc.Content[0], "") {
		if !strings.Contains(string(readme), "`"+key+"`") {
			t.Errorf("README.md does not document `%s`", key)
		}
	}
}

func keyPaths(n *yaml.Node, prefix string) []string {
	switch n.Kind {
	case yaml.SequenceNode:
		if len(n.Content) > 0 {
			return keyPaths(n.Content[0], prefix+"[]")
		}
	case yaml.MappingNode:
		var out []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			out = append(out, k)
			out = append(out, keyPaths(n.Content[i+1], k)...)
		}
		return out
	}
	return nil
}

// TestPoolSlices: each replica owns its part of the DNN's pool.
func TestPoolSlices(t *testing.T) {
	for _, tc := range []struct {
		cidr          string
		slices, slice int
		want          string
	}{
		{"10.45.0.0/16", 0, 0, "10.45.0.0/16"},
		{"10.45.0.0/16", 1, 0, "10.45.0.0/16"},
		{"10.45.0.0/16", 4, 0, "10.45.0.0/18"},
		{"10.45.0.0/16", 4, 1, "10.45.64.0/18"},
		{"10.45.0.0/16", 4, 3, "10.45.192.0/18"},
		{"10.45.0.0/16", 256, 255, "10.45.255.0/24"},
		{"10.45.0.0/28", 4, 2, "10.45.0.8/30"},
	} {
		c := testConfig()
		c.UEPools = []UEPool{{CIDR: tc.cidr, DNN: "internet", Slices: tc.slices, Slice: tc.slice}}
		got, err := c.pools()
		if err != nil || len(got) != 1 || got[0].String() != tc.want {
			t.Errorf("%s slice %d of %d: %v %v, want %s", tc.cidr, tc.slice, tc.slices, got, err, tc.want)
		}
	}
}
