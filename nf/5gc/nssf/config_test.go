package nssf_test

import (
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func TestDefaultConfig(t *testing.T) {
	c := nssf.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.SBI.Listen != ":8000" || c.Ops.Listen != ":9090" || c.NRF.URI != "" ||
		len(c.Slices) != 1 || c.Slices[0] != (nssf.SliceConfig{SST: 1}) {
		t.Errorf("DefaultConfig = %+v", c)
	}
}

// A profile's slices replace the default list.
func TestConfigFromYAML(t *testing.T) {
	c := nssf.DefaultConfig()
	in := `
slices:
  - {sst: 1, sd: "010203", nsi_id: embb-1, nrf_uri: "http://10.0.0.2:8000"}
  - {sst: 2}
`
	if err := nfkit.Decode("nssf.yaml", []byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := nfkit.Validate("nssf.yaml", c); err != nil {
		t.Fatal(err)
	}
	want := []nssf.SliceConfig{{SST: 1, SD: "010203", NSI: "embb-1", NRF: "http://10.0.0.2:8000"}, {SST: 2}}
	if len(c.Slices) != 2 || c.Slices[0] != want[0] || c.Slices[1] != want[1] {
		t.Errorf("slices %+v, want %+v", c.Slices, want)
	}
	err := nfkit.Decode("nssf.yaml", []byte("slices:\n  - {sst: 1, nsi: x}\n"), &c)
	if err == nil || !strings.Contains(err.Error(), `nssf.yaml:2: unknown key "nsi" in slices[0]`) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	slices := func(s ...nssf.SliceConfig) func(*nssf.Config) { return func(c *nssf.Config) { c.Slices = s } }
	tests := []struct {
		name string
		mod  func(*nssf.Config)
		want string
	}{
		{"no slices", slices(), "at least one"},
		{"SST 256", slices(nssf.SliceConfig{SST: 256}), "slices[0]: sst 256"},
		{"SST huge", slices(nssf.SliceConfig{SST: 1 << 32}), "slices[0]: sst 4294967296"},
		{"SD short", slices(nssf.SliceConfig{SST: 1, SD: "12345"}), `slices[0]: sd "12345"`},
		{"duplicate", slices(nssf.SliceConfig{SST: 1}, nssf.SliceConfig{SST: 1, SD: "FFFFFF"}), "slices[1]: same S-NSSAI as slices[0]"},
		{"bad nrf_uri", slices(nssf.SliceConfig{SST: 1, NRF: "nrf:8000"}), "slices[0].nrf_uri"},
		{"nrf without advertise", func(c *nssf.Config) { c.NRF.URI = "http://10.0.0.5:8000" }, "advertise_uri is needed"},
		{"advertise_uri", func(c *nssf.Config) { c.AdvertiseURI = "nssf" }, "advertise_uri"},
		{"ops.listen", func(c *nssf.Config) { c.Ops.Listen = "" }, "ops.listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := nssf.DefaultConfig()
			tt.mod(&cfg)
			_, err := nssf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
