package ue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/nfkit"
)

func validConfig() Config {
	c := DefaultConfig()
	c.GNB = "10.0.9.2"
	c.Radio.Listen = "10.0.9.3:0"
	return c
}

func TestConfigValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"valid":             {func(*Config) {}, ""},
		"no gnb":            {func(c *Config) { c.GNB = "" }, "gnb"},
		"gnb hostname":      {func(c *Config) { c.GNB = "gnb:4997" }, "gnb \"gnb:4997\""},
		"imsi":              {func(c *Config) { c.UEs.IMSI = "00101x" }, "ues.imsi"},
		"count":             {func(c *Config) { c.UEs.Count = 0 }, "ues.count 0"},
		"imsi overflow":     {func(c *Config) { c.UEs.IMSI, c.UEs.Count = "999999", 2 }, "overflow"},
		"k":                 {func(c *Config) { c.UEs.K = "00" }, "ues.k"},
		"no opc":            {func(c *Config) { c.UEs.OPc, c.UEs.OP = "", "" }, "set opc or op"},
		"op ok":             {func(c *Config) { c.UEs.OPc, c.UEs.OP = "", c.UEs.K }, ""},
		"amf":               {func(c *Config) { c.UEs.AMF = "80" }, "ues.amf"},
		"routing indicator": {func(c *Config) { c.UEs.RoutingIndicator = "12345" }, "routing_indicator"},
		"scheme":            {func(c *Config) { c.UEs.ProtectionScheme = "c" }, "protection_scheme"},
		"profile a key id":  {func(c *Config) { c.UEs.ProtectionScheme = "a" }, "hn_key_id 0"},
		"profile a key": {func(c *Config) {
			c.UEs.ProtectionScheme, c.UEs.HNKeyID, c.UEs.HNPublicKey = "a", 1, "00"
		}, "hn_public_key"},
		"null key id":   {func(c *Config) { c.UEs.HNKeyID = 2 }, "null scheme uses key ID 0"},
		"imeisv":        {func(c *Config) { c.UEs.IMEISV = "12" }, "ues.imeisv"},
		"nia0":          {func(c *Config) { c.Security.Integrity = []string{"NIA0"} }, "NIA0"},
		"cipher name":   {func(c *Config) { c.Security.Ciphering = []string{"AES"} }, "security.ciphering"},
		"no integrity":  {func(c *Config) { c.Security.Integrity = nil }, "at least one integrity"},
		"session sst":   {func(c *Config) { c.Session.SST = 0 }, "session: sst 0"},
		"session dnn":   {func(c *Config) { c.Session.DNN = "" }, "session.dnn"},
		"mode":          {func(c *Config) { c.DataPlane.Mode = "kernel" }, "data_plane.mode"},
		"tun name":      {func(c *Config) { c.DataPlane.TunName = "a-very-long-device-name" }, "tun_name"},
		"table":         {func(c *Config) { c.DataPlane.Table = 254 }, "data_plane.table 254"},
		"priority":      {func(c *Config) { c.DataPlane.RulePriority = 32766 }, "rule_priority"},
		"memory no tun": {func(c *Config) { c.DataPlane.Mode, c.DataPlane.TunName = ModeMemory, "" }, ""},
		"concurrency":   {func(c *Config) { c.MaxConcurrency = 0 }, "max_concurrency"},
		"radio listen":  {func(c *Config) { c.Radio.Listen = "${self.ran}:0" }, "radio.listen"},
	} {
		t.Run(name, func(t *testing.T) {
			c := validConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSUPIsCountUp(t *testing.T) {
	c := validConfig()
	c.UEs.IMSI, c.UEs.Count = "001010000000099", 3
	r, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"imsi-001010000000099", "imsi-001010000000100", "imsi-001010000000101"} {
		if got := r.supiOf(i); got != want {
			t.Errorf("supi %d = %s, want %s", i, got, want)
		}
	}
}

// TestLoadWithSelfAddress: a profile's config file laid over the defaults,
// with ${self.NET} resolved to this instance's address (here on lo).
func TestLoadWithSelfAddress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ue.yaml")
	yaml := "gnb: \"10.0.9.2\"\nradio:\n  listen: \"${self.lo}:0\"\nues:\n  count: 3\ndata_plane:\n  mode: memory\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := nfkit.Load(path, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Radio.Listen != "127.0.0.1:0" || cfg.UEs.Count != 3 || cfg.UEs.K != DefaultConfig().UEs.K {
		t.Errorf("loaded %+v", cfg)
	}
	if err := os.WriteFile(path, []byte("ues:\n  cuont: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := nfkit.Load(path, &cfg); err == nil || !strings.Contains(err.Error(), `unknown key "cuont"`) {
		t.Errorf("misspelt key: %v", err)
	}
}
