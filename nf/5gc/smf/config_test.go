package smf

import (
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func TestDefaultConfigDecodes(t *testing.T) {
	c := DefaultConfig()
	if c.SBI.Listen != "${self.sbi}:8000" || c.PFCP.Listen != "${self.n4}:8805" || len(c.DNNs) != 1 ||
		c.Defaults.FiveQI != 9 || c.TPFCP.T1 != 3*time.Second || c.NRF.UPFN4Port != 8805 || !c.Readiness.RequireUPF {
		t.Errorf("defaults %+v", c)
	}
	// Unresolved ${self} references and no UDM: not runnable as is.
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "unresolved reference") {
		t.Errorf("Validate(defaults) = %v", err)
	}
}

// TestDefaultsResolved: the shipped defaults, with ${self} resolved as
// in an instance and an NRF as a profile adds, validate and build.
func TestDefaultsResolved(t *testing.T) {
	data, err := nfkit.ExpandSelf("smf.yaml", DefaultYAML, func(iface string) (string, error) {
		return map[string]string{"sbi": "10.0.1.5", "n4": "10.0.4.5"}[iface], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := nfkit.Decode("smf.yaml", data, &c); err != nil {
		t.Fatal(err)
	}
	c.NRF.URI = "http://10.0.0.2:8000"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	n, err := New(c, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if p := n.profile("http://10.0.1.5:8000"); p.SmfInfo == nil || len(p.SmfInfo.SNssaiSmfInfoList) != 1 ||
		p.SmfInfo.SNssaiSmfInfoList[0].DnnSmfInfoList[0].Dnn != "internet" || p.Ipv4Addresses[0] != "10.0.1.5" {
		t.Errorf("profile %s", dump(p))
	}
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]struct {
		mod  func(*Config)
		want string
	}{
		"no udm":            {func(c *Config) { c.Peers.UDM = "" }, "peers.udm"},
		"bad pcf uri":       {func(c *Config) { c.Peers.PCF = "pcf:8000" }, "peers.pcf"},
		"wildcard pfcp":     {func(c *Config) { c.PFCP.Listen = ":8805" }, "pfcp.node_id"},
		"bad node id":       {func(c *Config) { c.PFCP.NodeID = "::1" }, "pfcp.node_id"},
		"no dnns":           {func(c *Config) { c.DNNs = nil }, "dnns"},
		"bad dnn":           {func(c *Config) { c.DNNs[0].DNN = "-x" }, "dnns[0].dnn"},
		"sst 0":             {func(c *Config) { c.DNNs[0].SST = 0 }, "dnns[0].sst"},
		"bad sd":            {func(c *Config) { c.DNNs[0].SD = "12345" }, "dnns[0].sd"},
		"sd ffffff":         {func(c *Config) { c.DNNs[0].SD = "FFFFFF" }, "dnns[0].sd"},
		"host bits":         {func(c *Config) { c.DNNs[0].Pool = "10.45.0.1/16" }, "host bits"},
		"pool /31":          {func(c *Config) { c.DNNs[0].Pool = "10.45.0.0/31" }, "want /8 to /30"},
		"ipv6 pool":         {func(c *Config) { c.DNNs[0].Pool = "fd00::/64" }, "IPv4 CIDR"},
		"upf_prefix":        {func(c *Config) { c.DNNs[0].UPFPrefix = 12 }, "upf_prefix"},
		"bad dns":           {func(c *Config) { c.DNNs[0].DNS = []string{"dns.google"} }, "dns"},
		"mtu":               {func(c *Config) { c.DNNs[0].MTU = 100 }, "mtu"},
		"overlapping pools": {func(c *Config) { c.DNNs[1].Pool = "10.45.128.0/17" }, "overlaps"},
		"duplicate dnn": {func(c *Config) {
			c.DNNs[1].DNN, c.DNNs[1].Pool = "INTERNET", "10.47.0.0/16"
		}, "listed twice"},
		"upf n4":          {func(c *Config) { c.UPFs = []UPFConfig{{N4: "upf:8805"}} }, "upfs[0].n4"},
		"upf unknown dnn": {func(c *Config) { c.UPFs = []UPFConfig{{N4: "10.0.0.9", DNNs: []string{"x"}}} }, "upfs[0].dnns"},
		"upf pool": {func(c *Config) {
			c.UPFs = []UPFConfig{{N4: "10.0.0.9", Pools: map[string]string{testDNN: "10.45.0.0/33"}}}
		}, "upfs[0].pools"},
		"five_qi":      {func(c *Config) { c.Defaults.FiveQI = 0 }, "five_qi"},
		"arp":          {func(c *Config) { c.Defaults.ARP = 16 }, "defaults.arp"},
		"ambr":         {func(c *Config) { c.Defaults.AMBR.Uplink = "fast" }, "defaults.ambr.uplink"},
		"ambr too low": {func(c *Config) { c.Defaults.AMBR.Downlink = "10 bps" }, "1 Kbps"},
		"t1":           {func(c *Config) { c.TPFCP.T1 = 0 }, "t_pfcp"},
		"n1":           {func(c *Config) { c.TPFCP.N1 = 0 }, "t_pfcp"},
		"nrf uri":      {func(c *Config) { c.NRF.URI = "nrf" }, "nrf.uri"},
		"nrf port": {func(c *Config) {
			c.NRF.URI, c.NRF.UPFN4Port = "http://127.0.0.1:8000", 0
		}, "upf_n4_port"},
		"nrf without address": {func(c *Config) {
			c.NRF.URI, c.SBI.Listen = "http://127.0.0.1:8000", ":8000"
		}, "advertise_uri"},
	}
	for name, tc := range tests {
		c := testConfig()
		c.Peers.UDM = "http://127.0.0.1:1"
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error naming %q", name, err, tc.want)
		}
		if _, err := New(c, nfkit.WithLogger(nfkittest.Quiet())); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestBitRates(t *testing.T) {
	for s, want := range map[string]uint64{"1 Gbps": 1e9, "2.5 Mbps": 2.5e6, "100 Kbps": 1e5, "4 Tbps": 4e12, "1000 bps": 1000} {
		got, err := parseBitRate(s)
		if err != nil || got != want {
			t.Errorf("parseBitRate(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"", "1Gbps", "1 gbps", "-1 Mbps", "5 Tbps", "999 bps", "1e3 bps"} {
		if _, err := parseBitRate(bad); err == nil {
			t.Errorf("parseBitRate(%q) accepted", bad)
		}
	}
}

// New has the shape cmd/corenf's kinds table takes.
var _ func(Config, ...nfkit.Option) (*NF, error) = New
