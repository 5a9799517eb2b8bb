package pcf_test

import (
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func TestDefaultConfig(t *testing.T) {
	c := pcf.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := c.Policies.Default
	if c.SBI.Listen != ":8000" || c.Ops.Listen != ":9090" || c.NRF.URI != "" || d.FiveQI != 9 || d.ARP.Priority != 8 ||
		d.AMBR.Uplink != "1 Gbps" || d.AMBR.Downlink != "2 Gbps" || c.Policies.UnknownDNN != pcf.UnknownDNNDefault {
		t.Errorf("DefaultConfig = %+v", c)
	}
}

// A profile's config is decoded over the defaults: DNN entries inherit.
func TestConfigFromYAML(t *testing.T) {
	c := pcf.DefaultConfig()
	in := `
sbi: {listen: "10.0.0.7:8000"}
nrf: {uri: "http://10.0.0.5:8000"}
policies:
  dnns:
    internet: {ambr: {uplink: "100 Mbps", downlink: "1.5 Gbps"}}
  unknown_dnn: reject
`
	if err := nfkit.Decode("pcf.yaml", []byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := nfkit.Validate("pcf.yaml", c); err != nil {
		t.Fatal(err)
	}
	got := c.Policies.DNNs["internet"]
	if got.AMBR.Downlink != "1.5 Gbps" || c.Policies.Default.FiveQI != 9 || c.Policies.UnknownDNN != "reject" {
		t.Errorf("decoded %+v", c.Policies)
	}
	err := nfkit.Decode("pcf.yaml", []byte("policies:\n  dnns:\n    internet: {fiveqi: 9}\n"), &c)
	if err == nil || !strings.Contains(err.Error(), `pcf.yaml:3: unknown key "fiveqi" in policies.dnns.internet`) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	dnn := func(q pcf.QoSConfig) func(*pcf.Config) {
		return func(c *pcf.Config) { c.Policies.DNNs = map[string]pcf.QoSConfig{"internet": q} }
	}
	tests := []struct {
		name string
		mod  func(*pcf.Config)
		want string
	}{
		{"5QI 0", func(c *pcf.Config) { c.Policies.Default.FiveQI = 0 }, "policies.default.five_qi 0"},
		{"5QI 256", func(c *pcf.Config) { c.Policies.Default.FiveQI = 256 }, "five_qi 256: want 1..255"},
		{"GBR 5QI", dnn(pcf.QoSConfig{FiveQI: 1}), "policies.dnns.internet.five_qi 1 is a GBR 5QI"},
		{"ARP 16", dnn(pcf.QoSConfig{ARP: pcf.ARPConfig{Priority: 16}}), "policies.dnns.internet.arp.priority 16"},
		{"preemption", func(c *pcf.Config) { c.Policies.Default.ARP.PreemptCap = "YES" }, `arp.preempt_cap "YES"`},
		{"vulnerability", func(c *pcf.Config) { c.Policies.Default.ARP.PreemptVuln = "" }, `arp.preempt_vuln ""`},
		{"bit rate without space", dnn(pcf.QoSConfig{AMBR: pcf.AMBRConfig{Uplink: "1Gbps"}}), "policies.dnns.internet.ambr.uplink"},
		{"bit rate unit case", func(c *pcf.Config) { c.Policies.Default.AMBR.Downlink = "1 gbps" }, "policies.default.ambr.downlink"},
		{"bit rate zero", func(c *pcf.Config) { c.Policies.Default.AMBR.Uplink = "0 Mbps" }, "positive"},
		{"bad DNN", func(c *pcf.Config) { c.Policies.DNNs = map[string]pcf.QoSConfig{"my_dnn": {}} }, `"my_dnn" is not a DNN`},
		{"DNN twice", func(c *pcf.Config) {
			c.Policies.DNNs = map[string]pcf.QoSConfig{"internet": {}, "Internet": {}}
		}, "same DNN as"},
		{"unknown_dnn", func(c *pcf.Config) { c.Policies.UnknownDNN = "allow" }, `policies.unknown_dnn "allow"`},
		{"max_policies", func(c *pcf.Config) { c.Policies.MaxPolicies = 0 }, "max_policies 0"},
		{"nrf.uri", func(c *pcf.Config) { c.NRF.URI = "10.0.0.5:8000" }, "nrf.uri"},
		{"nrf without advertise", func(c *pcf.Config) { c.NRF.URI = "http://10.0.0.5:8000"; c.SBI.Listen = ":8000" }, "advertise_uri is needed"},
		{"sbi.listen", func(c *pcf.Config) { c.SBI.Listen = "8000" }, "sbi.listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pcf.DefaultConfig()
			tt.mod(&cfg)
			_, err := pcf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseBitRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"100 Mbps", 100e6, true},
		{"1.5 Gbps", 1.5e9, true},
		{"64 Kbps", 64e3, true},
		{"9 bps", 9, true},
		{"2 Tbps", 2e12, true},
		{"0.001 Kbps", 1, true},
		{"100Mbps", 0, false},
		{"100 mbps", 0, false},
		{"100 kbps", 0, false},
		{"-1 Mbps", 0, false},
		{"1e3 Mbps", 0, false},
		{".5 Mbps", 0, false},
		{"0 bps", 0, false},
		{" 1 Mbps", 0, false},
		{"1 Mbps ", 0, false},
		{"", 0, false},
		{strings.Repeat("9", 400) + " Tbps", 0, false},
	}
	for _, tt := range tests {
		got, err := pcf.ParseBitRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseBitRate(%.20q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
