package core5g

import (
	"runtime"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/amf"
	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/smf"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/upf"
)

// TestStopLeavesNothingBehind runs each NF registered with the NRF, stops
// it while the NRF keeps running, and expects every goroutine it made to
// end: an NF must close its SBI client's connections when Run returns. In
// a container the process exit hides the lapse; in-process (tests, one
// corenf running several kinds) the HTTP/2 connection and its goroutines
// on both ends stay until the peer goes away, and the peer's shutdown then
// waits a second for the client to answer its GOAWAY.
func TestStopLeavesNothingBehind(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		build func(t *testing.T, nrfURI string) (component, error)
	}{
		{"udr", func(t *testing.T, nrfURI string) (component, error) {
			return udr.New(udrConfig(t.TempDir(), nrfURI), quiet())
		}},
		{"udm", func(_ *testing.T, nrfURI string) (component, error) { return udm.New(udmConfig(nrfURI), quiet()) }},
		{"ausf", func(_ *testing.T, nrfURI string) (component, error) { return ausf.New(ausfConfig(nrfURI), quiet()) }},
		{"pcf", func(_ *testing.T, nrfURI string) (component, error) { return pcf.New(pcfConfig(nrfURI), quiet()) }},
		{"nssf", func(_ *testing.T, nrfURI string) (component, error) { return nssf.New(nssfConfig(nrfURI), quiet()) }},
		{"upf", func(t *testing.T, nrfURI string) (component, error) {
			return upf.New(upfConfig(freeLoopback(t, 8805, 2152), nrfURI), quiet())
		}},
		{"smf", func(_ *testing.T, nrfURI string) (component, error) {
			cfg := smfConfig(nrfURI)
			cfg.Readiness.RequireUPF = false // alone here
			return smf.New(cfg, quiet())
		}},
		{"amf", func(_ *testing.T, nrfURI string) (component, error) { return amf.New(amfConfig(nrfURI), quiet()) }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			c := newCore(t)
			c.startNRF()
			base := runtime.NumGoroutine()
			n, err := tc.build(t, c.nrf.SBI().URL())
			c.start(tc.kind, n, err)
			c.stopLast()
			deadline := time.Now().Add(3 * time.Second)
			for runtime.NumGoroutine() > base {
				if time.Now().After(deadline) {
					t.Fatalf("%d goroutines more than before the %s started remain after it stopped:\n%s",
						runtime.NumGoroutine()-base, tc.kind, stacks())
				}
				time.Sleep(poll)
			}
		})
	}
}
