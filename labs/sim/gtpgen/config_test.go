package gtpgen

import (
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// validConfig is the defaults with the instance references filled in.
func validConfig() Config {
	c := DefaultConfig()
	c.UPF.PFCP = "10.0.4.2"
	c.PFCP.Listen = "10.0.4.9:8805"
	c.N3.Listen = "10.0.3.9:2152"
	c.N6.Listen = "10.0.6.9:9000"
	return c
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Ops.Listen != ":9090" || c.UPF.GTPUPort != 2152 || c.N3.Listen != "${self.n3}:2152" ||
		c.UEPool != "10.45.0.0/16" || c.Batch != 64 || c.Drain.Timeout != 3*time.Second {
		t.Errorf("DefaultConfig = %+v", c)
	}
	// Outside an instance the defaults name what is missing.
	err := c.Validate()
	for _, want := range []string{"upf.pfcp: empty", `pfcp.listen "${self.n4}:8805": unresolved`, "n3.listen", "n6.listen"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("defaults: %v, want %q", err, want)
		}
	}
	if err := validConfig().Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	if ap, _ := validConfig().upfPFCP(); ap.String() != "10.0.4.2:8805" {
		t.Errorf("upf.pfcp without a port = %s", ap)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"upf hostname":       {func(c *Config) { c.UPF.PFCP = "upf.example" }, "upf.pfcp"},
		"upf gtpu port":      {func(c *Config) { c.UPF.GTPUPort = 0 }, "upf.gtpu_port 0"},
		"upf n6":             {func(c *Config) { c.UPF.N6 = "0.0.0.0" }, "upf.n6"},
		"upf n3":             {func(c *Config) { c.UPF.N3 = "upf" }, `upf.n3 "upf"`},
		"wildcard n3":        {func(c *Config) { c.N3.Listen = ":2152" }, "n3.listen"},
		"n6 port 0":          {func(c *Config) { c.N6.Listen = "10.0.6.9:0" }, "port 0"},
		"node id":            {func(c *Config) { c.PFCP.NodeID = "smf" }, "pfcp.node_id"},
		"t1":                 {func(c *Config) { c.PFCP.T1 = 0 }, "t1 0s"},
		"concurrency":        {func(c *Config) { c.PFCP.Concurrency = 0 }, "pfcp.concurrency 0"},
		"pool not cidr":      {func(c *Config) { c.UEPool = "10.45.0.0" }, "ue_pool"},
		"pool host bits":     {func(c *Config) { c.UEPool = "10.45.0.1/16" }, "did you mean 10.45.0.0/16"},
		"pool too small":     {func(c *Config) { c.UEPool = "10.45.0.0/24" }, "holds only 254"},
		"ue port":            {func(c *Config) { c.UEPort = 70000 }, "ue_port 70000"},
		"dnn":                {func(c *Config) { c.DNN = "" }, "dnn: empty"},
		"qfi":                {func(c *Config) { c.QFI = 64 }, "qfi 64"},
		"batch":              {func(c *Config) { c.Batch = 0 }, "batch 0"},
		"drain quiet > time": {func(c *Config) { c.Drain.Quiet = time.Minute }, "quiet <= timeout"},
		"ops":                {func(c *Config) { c.Ops.Listen = "x" }, "ops.listen"},
	} {
		c := validConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
		if _, err := New(c); err == nil {
			t.Errorf("%s: New accepted the config", name)
		}
	}
}

// The embedded defaults decode strictly and every key is documented.
func TestDefaultYAMLDocumented(t *testing.T) {
	var c Config
	if err := nfkit.Decode("default.yaml", DefaultYAML, &c); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"upf:", "pfcp:", "gtpu_port:", "n6:", "listen:", "node_id:", "t1:", "n1:",
		"heartbeat_interval:", "associate_retry:", "concurrency:", "n3:", "ue_pool:", "ue_port:", "dnn:",
		"qfi:", "max_sessions:", "batch:", "drain:", "quiet:", "timeout:"} {
		if !strings.Contains(string(DefaultYAML), key) {
			t.Errorf("default.yaml lacks %s", key)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	good := Params{Sessions: 10, RatePPS: 1000, Duration: time.Second, Size: 64}.withDefaults()
	if good.Direction != Both || good.Mode != ModeGTP || good.validate(10) != nil {
		t.Fatalf("good params: %+v %v", good, good.validate(10))
	}
	if err := (Params{Sessions: 11, Duration: time.Second, Size: 64, Direction: Uplink}).validate(10); err == nil ||
		!strings.Contains(err.Error(), "sessions 11: want 1..10") {
		t.Errorf("over max_sessions: %v", err)
	}
	// Every bad field is named at once.
	err := Params{Sessions: -1, RatePPS: -1, Duration: -1, Size: 0, Direction: "x", Mode: "y"}.validate(10)
	for _, f := range []string{"sessions -1", "rate_pps -1", "duration -1ns", "size 0", `direction "x"`, `mode "y"`} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("%v lacks %q", err, f)
		}
	}
}
