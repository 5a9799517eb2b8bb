package pcrf_test

import (
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/nfkit"
)

func TestDefaultConfigValid(t *testing.T) {
	cfg := pcrf.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.APNs) != 2 || cfg.APNs[0].Name != "internet" || cfg.APNs[1].Name != "ims" || cfg.Dedicated.Audio.QCI != 1 {
		t.Errorf("default config %+v", cfg)
	}
}

func TestConfigFromYAML(t *testing.T) {
	cfg := pcrf.DefaultConfig()
	doc := `
apns:
  - name: iot
    qci: 8
    arp: 12
    ambr_ul: "128 Kbps"
    ambr_dl: "256 Kbps"
    rules:
      - name: telemetry
        qci: 3
        arp: 9
        gbr_ul: "64 Kbps"
        gbr_dl: "64 Kbps"
        flows: [{description: "permit out 17 from 192.0.2.1 5683 to assigned", direction: uplink}]
unknown_apn: iot
dedicated: {apns: []}
`
	if err := nfkit.Decode("pcrf.yaml", []byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.APNs) != 1 || cfg.APNs[0].Rules[0].GBRUL != "64 Kbps" || cfg.Dedicated.Audio.QCI != 1 {
		t.Errorf("decoded %+v", cfg)
	}
	bad := cfg
	if err := nfkit.Decode("pcrf.yaml", []byte("apns: [{name: x, qos: 9}]"), &bad); err == nil ||
		!strings.Contains(err.Error(), "qos") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestConfigValidateRefuses(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*pcrf.Config)
		want string
	}{
		{"no Rx application", func(c *pcrf.Config) { c.Diameter.Applications = []uint32{16777238} }, "serves Gx"},
		{"bad listen", func(c *pcrf.Config) { c.Diameter.Listen = "3868" }, "diameter.listen"},
		{"no APNs", func(c *pcrf.Config) { c.APNs = nil }, "list at least one APN"},
		{"GBR default bearer", func(c *pcrf.Config) { c.APNs[0].QCI = 1 }, "apns[0].qci 1"},
		{"ARP out of range", func(c *pcrf.Config) { c.APNs[1].Priority = 16 }, "apns[1].arp 16"},
		{"APN twice", func(c *pcrf.Config) { c.APNs[1].Name = "INTERNET" }, "listed twice"},
		{"bad APN name", func(c *pcrf.Config) { c.APNs[0].Name = "in ternet" }, "apns[0].name"},
		{"AMBR not a rate", func(c *pcrf.Config) { c.APNs[0].AMBRUL = "fast" }, "apns[0].ambr_ul"},
		{"AMBR over Unsigned32", func(c *pcrf.Config) { c.APNs[0].AMBRDL = "5 Gbps" }, "above 4294967295"},
		{"unknown_apn not listed", func(c *pcrf.Config) { c.UnknownAPN = "nowhere" }, "unknown_apn"},
		{"rule with an rx- name", func(c *pcrf.Config) {
			c.APNs[0].Rules = []pcrf.RuleConfig{{Name: "rx-1", QCI: 9, ARPConfig: pcrf.ARPConfig{Priority: 1},
				Flows: []pcrf.FlowConfig{{Description: "permit out ip from any to assigned", Direction: "downlink"}}}}
		}, `"rx-1"`},
		{"GBR rule without GBR", func(c *pcrf.Config) {
			c.APNs[0].Rules = []pcrf.RuleConfig{{Name: "v", QCI: 1, ARPConfig: pcrf.ARPConfig{Priority: 1},
				Flows: []pcrf.FlowConfig{{Description: "permit out ip from any to assigned", Direction: "downlink"}}}}
		}, "set gbr_ul and gbr_dl"},
		{"rule flow in", func(c *pcrf.Config) {
			c.APNs[0].Rules = []pcrf.RuleConfig{{Name: "v", QCI: 9, ARPConfig: pcrf.ARPConfig{Priority: 1},
				Flows: []pcrf.FlowConfig{{Description: "permit in ip from assigned to any", Direction: "uplink"}}}}
		}, `direction "out"`},
		{"rule flow direction", func(c *pcrf.Config) {
			c.APNs[0].Rules = []pcrf.RuleConfig{{Name: "v", QCI: 9, ARPConfig: pcrf.ARPConfig{Priority: 1},
				Flows: []pcrf.FlowConfig{{Description: "permit out ip from any to assigned", Direction: "up"}}}}
		}, "flows[0].direction"},
		{"dedicated precedence", func(c *pcrf.Config) { c.Dedicated.Precedence = 0 }, "dedicated.precedence"},
		{"dedicated bandwidth", func(c *pcrf.Config) { c.Dedicated.Audio.Bandwidth = "" }, "dedicated.audio.bandwidth"},
		{"dedicated APN", func(c *pcrf.Config) { c.Dedicated.APNs = []string{"-"} }, "dedicated.apns[0]"},
		{"max_sessions", func(c *pcrf.Config) { c.MaxSessions = 0 }, "max_sessions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pcrf.DefaultConfig()
			tc.mod(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
			}
			if _, err := pcrf.New(cfg); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}
