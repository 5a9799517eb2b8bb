package mme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/naseps"
)

func TestDefaultConfigValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default.yaml does not validate: %v", err)
	}
	if got := cfg.NAS.integrity(); len(got) != 2 || got[0] != naseps.EIA2 {
		t.Errorf("integrity order %v: EIA0 must drop out without allow_null", got)
	}
	if got := cfg.NAS.ciphering(); len(got) != 3 || got[2] != naseps.EEA0 {
		t.Errorf("ciphering order %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no TACs", func(c *Config) { c.TACs = nil }, "tacs: 0 of them"},
		{"TAC twice", func(c *Config) { c.TACs = []uint16{1, 2, 1} }, "listed twice"},
		{"bad PLMN", func(c *Config) { c.PLMN.MNC = "1" }, "plmn"},
		{"no SGW", func(c *Config) { c.SGW.S11 = nil }, "sgw.s11 is empty"},
		{"SGW without port", func(c *Config) { c.SGW.S11 = []string{"10.0.0.1"} }, "sgw.s11[0]"},
		{"PGW not IPv4", func(c *Config) { c.PGW.S5C = []string{"pgw"} }, "pgw.s5c[0]"},
		{"unknown algorithm", func(c *Config) { c.NAS.Ciphering = []string{"EEA9"} }, `nas.ciphering[0] "EEA9"`},
		{"only EIA0", func(c *Config) { c.NAS.Integrity = []string{"EIA0"} }, "allow_null"},
		{"T3412 not a GPRS timer", func(c *Config) { c.Timers.T3412 = 7 * time.Second }, "timers.t3412"},
		{"zero T3460", func(c *Config) { c.Timers.T3460 = 0 }, "timers.t3460"},
		{"no S6a application", func(c *Config) { c.Diameter.Applications = []uint32{16777238} }, "diameter.applications"},
		{"no HSS realm", func(c *Config) { c.HSS.DestinationRealm = "" }, "hss.destination_realm"},
		{"max UEs", func(c *Config) { c.MaxUEs = 0 }, "max_ues"},
		{"S11 address", func(c *Config) { c.S11.Address = "::1" }, "s11.address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mod(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate: %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// A config file overrides the defaults key by key; unknown keys are
// refused with their line.
func TestConfigLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mme.yaml")
	if err := os.WriteFile(good, []byte("mme_code: 7\nnas:\n  ciphering: [EEA0]\nsgw:\n  s11: [\"10.0.0.2:2123\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := nfkit.Load(good, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MMECode != 7 || cfg.NAS.Ciphering[0] != "EEA0" || cfg.MMEGroupID != 1 || cfg.SGW.S11[0] != "10.0.0.2:2123" {
		t.Errorf("loaded %+v", cfg)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("mme_code: 7\nmme_cod: 8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = DefaultConfig()
	if err := nfkit.Load(bad, &cfg); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Fatalf("unknown key: %v, want an error at line 2", err)
	}
}

// New UEs take the SGWs in turn, new PDN connections the PGWs.
func TestPeersRoundRobin(t *testing.T) {
	cfg := DefaultConfig()
	cfg.S11.Listen = "127.0.0.1:0"
	cfg.SGW.S11 = []string{"10.0.0.1:2123", "10.0.0.2:2123", "10.0.0.3:2123"}
	cfg.PGW.S5C = []string{"10.0.1.1", "10.0.1.2"}
	m, err := New(cfg, nfkitQuiet())
	if err != nil {
		t.Fatal(err)
	}
	var sgws, pgws []string
	for range 4 {
		sgws = append(sgws, m.nextSGW().String())
		pgws = append(pgws, m.nextPGW().String())
	}
	if strings.Join(sgws, " ") != "10.0.0.1:2123 10.0.0.2:2123 10.0.0.3:2123 10.0.0.1:2123" {
		t.Errorf("SGWs in order %v", sgws)
	}
	if strings.Join(pgws, " ") != "10.0.1.1 10.0.1.2 10.0.1.1 10.0.1.2" {
		t.Errorf("PGWs in order %v", pgws)
	}
}
