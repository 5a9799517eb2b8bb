package ue

import (
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/proto/naseps"
)

func validLTEConfig() Config {
	c := validConfig()
	c.RAT, c.GNB, c.ENB = RATLTE, "", "10.0.9.4"
	return c
}

func TestLTEConfigValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"valid":            {func(*Config) {}, ""},
		"rat":              {func(c *Config) { c.RAT = "umts" }, `rat "umts"`},
		"no enb":           {func(c *Config) { c.ENB = "" }, `enb ""`},
		"enb hostname":     {func(c *Config) { c.ENB = "enb:4997" }, `enb "enb:4997": want the eNB's IPv4 address`},
		"gnb in lte":       {func(c *Config) { c.GNB = "10.0.9.2" }, "only with rat nr"},
		"enb in nr":        {func(c *Config) { c.RAT, c.GNB = RATNR, "10.0.9.2" }, "enb \"10.0.9.4\": only with rat lte"},
		"apn label":        {func(c *Config) { c.LTE.APN = "ims..x" }, "lte.apn"},
		"apn ok":           {func(c *Config) { c.LTE.APN = "internet.mnc001.mcc001.gprs" }, ""},
		"pdn twice":        {func(c *Config) { c.LTE.PDNs = []string{"ims", "IMS"} }, `"IMS" listed twice`},
		"pdn is apn":       {func(c *Config) { c.LTE.APN, c.LTE.PDNs = "ims", []string{"ims"} }, "listed twice"},
		"too many pdns":    {func(c *Config) { c.LTE.PDNs = strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",") }, "at most 10"},
		"eia0":             {func(c *Config) { c.LTE.EIA = []string{"EIA0", "EIA2"} }, "lte.eia"},
		"no eea":           {func(c *Config) { c.LTE.EEA = nil }, "lte.eea: list at least one"},
		"eea name":         {func(c *Config) { c.LTE.EEA = []string{"NEA2"} }, "lte.eea"},
		"nr ignores lte":   {func(c *Config) { c.RAT, c.GNB, c.ENB, c.LTE.EEA = RATNR, "10.0.9.2", "", nil }, ""},
		"enb with port":    {func(c *Config) { c.ENB = "10.0.9.4:5000" }, ""},
		"imeisv still set": {func(c *Config) { c.UEs.IMEISV = "1" }, "ues.imeisv"},
	} {
		t.Run(name, func(t *testing.T) {
			c := validLTEConfig()
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

func TestLTECapabilities(t *testing.T) {
	c := validLTEConfig()
	c.LTE.EEA, c.LTE.EIA = []string{"EEA0", "eea2", "EEA1"}, []string{"EIA2", "EIA1"}
	r, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := naseps.UENetworkCapability{EEA: naseps.CapEEA0 | naseps.CapEEA1 | naseps.CapEEA2, EIA: naseps.CapEIA1 | naseps.CapEIA2}
	if r.eps.caps.EEA != want.EEA || r.eps.caps.EIA != want.EIA || !r.lte || r.gnb.Port() != 4997 {
		t.Errorf("resolved %+v, peer %v", r.eps.caps, r.gnb)
	}
}
