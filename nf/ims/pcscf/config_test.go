package pcscf

import (
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"host not an IP", func(c *Config) { c.SIP.Host = "pcscf" }, "sip.host"},
		{"no transport", func(c *Config) { c.SIP.Transports = nil }, "sip.transports"},
		{"sctp", func(c *Config) { c.SIP.Transports = []string{"sctp"} }, "not udp or tcp"},
		{"icscf not a URI", func(c *Config) { c.SIP.ICSCF = "icscf" }, "sip.icscf"},
		{"no expires", func(c *Config) { c.SIP.DefaultExpires = 0 }, "default_expires"},
		{"no registrations", func(c *Config) { c.MaxRegistrations = 0 }, "max_registrations"},
		{"policy", func(c *Config) { c.Rx.Policy = "maybe" }, "rx.policy"},
		{"pcrf address", func(c *Config) { c.Rx.PCRF = "pcrf" }, "rx.pcrf"},
		{"no Rx application", func(c *Config) { c.Rx.PCRF = "127.0.0.1:3868"; c.Rx.Applications = []uint32{16777238} }, "rx.applications"},
		{"rx timeout", func(c *Config) { c.Rx.PCRF = "127.0.0.1:3868"; c.Rx.Timeout = 0 }, "rx.timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// Both transports of the default config come up; with Rx required the
// P-CSCF is not ready while the PCRF is unreachable.
func TestListensUDPAndTCP(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SIP.Port = 0
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "udp and tcp listening", func() bool {
		return n.SIPAddr("udp") != "" && n.SIPAddr("tcp") != ""
	})
	if ok, why := n.Ready(); !ok {
		t.Fatalf("not ready: %s", why)
	}

	cfg.Rx.PCRF = "127.0.0.1:1" // nothing listens there
	n2, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n2)
	nfkittest.Eventually(t, 10*time.Second, "udp and tcp listening", func() bool {
		return n2.SIPAddr("udp") != "" && n2.SIPAddr("tcp") != ""
	})
	if ok, why := n2.Ready(); ok || !strings.Contains(why, "pcrf") {
		t.Fatalf("Ready() = %v %q without a PCRF, want not ready", ok, why)
	}
}
