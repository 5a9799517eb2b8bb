package pgw

import (
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/nfkit"
)

// validConfig is the default config with its ${self.s5} references filled.
func validConfig() Config {
	c := DefaultConfig()
	c.GTPC.Listen = "10.0.5.2:2123"
	c.GTPU.Listen = "10.0.5.2:2152"
	return c
}

func TestDefaultConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err == nil || !strings.Contains(err.Error(), "unresolved reference") {
		t.Errorf("raw default config: %v, want the unresolved ${self.s5}", err)
	}
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.APNs) != 2 || c.APNs[0].SGi.Network != "sgi" || c.APNs[1].SGi.Network != "ims" || c.Gx.Enabled {
		t.Errorf("defaults %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no apns", func(c *Config) { c.APNs = nil }, "apns: list at least one"},
		{"bad cidr", func(c *Config) { c.APNs[0].CIDR = "10.46.0.1/16" }, "host bits set"},
		{"overlap", func(c *Config) { c.APNs[1].CIDR = "10.46.128.0/17" }, "overlaps"},
		{"duplicate name", func(c *Config) { c.APNs[1].Name = "Internet" }, "listed twice"},
		{"bad dns", func(c *Config) { c.APNs[0].DNS = []string{"dns.example"} }, "dns[0]"},
		{"bad pcscf", func(c *Config) { c.APNs[1].PCSCF = []string{"::1"} }, "pcscf[0]"},
		{"bad mode", func(c *Config) { c.APNs[0].SGi.Mode = "kernel" }, "sgi.mode"},
		{"long tun", func(c *Config) { c.APNs[0].SGi.TUNName = "a-very-long-tun-name" }, "sgi.tun_name"},
		{"no network", func(c *Config) { c.APNs[0].SGi.Network = "" }, "sgi.network"},
		{"bad gateway", func(c *Config) { c.APNs[0].SGi.Gateway = "gw" }, "sgi.gateway"},
		{"wildcard without address", func(c *Config) { c.GTPU.Listen = ":2152" }, "gtpu.address"},
		{"zero t3", func(c *Config) { c.GTPC.T3 = 0 }, "gtpc.t3"},
		{"qci 0", func(c *Config) { c.LocalPolicy.QCI = 0 }, "local_policy.qci"},
		{"gx without peer", func(c *Config) { c.Gx.Enabled = true }, "gx.peer"},
		{"bad apn name", func(c *Config) { c.APNs[0].Name = "inter net" }, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// Unknown keys in a config file are refused with their line.
func TestConfigUnknownKey(t *testing.T) {
	c := validConfig()
	err := nfkit.Decode("pgw.yaml", []byte("apns:\n  - name: x\n    pool: 10.0.0.0/8\n"), &c)
	if err == nil || !strings.Contains(err.Error(), `pgw.yaml:3: unknown key "pool"`) {
		t.Errorf("Decode = %v", err)
	}
}
