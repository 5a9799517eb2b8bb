package coreepc

import (
	"fmt"
	"testing"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/epc/pcrf"
)

// TestRulesAtSessionStart: the PCRF's CCA-I for APN internet carries a
// predefined GBR rule, so the PGW asks for a dedicated bearer right after
// the Create Session Response, while the UE is still attaching. The MME
// holds it until Attach Complete, then the UE gets it (QCI 2) next to its
// default bearer.
func TestRulesAtSessionStart(t *testing.T) {
	c := startCoreWith(t, func(cfg *pcrf.Config) {
		for i := range cfg.APNs {
			if cfg.APNs[i].Name == "internet" {
				cfg.APNs[i].Rules = []pcrf.RuleConfig{{Name: "video", Precedence: 20, QCI: 2,
					ARPConfig: pcrf.ARPConfig{Priority: 3}, MBRUL: "2 Mbps", MBRDL: "2 Mbps", GBRUL: "1 Mbps", GBRDL: "1 Mbps",
					Flows: []pcrf.FlowConfig{{Description: "permit out 17 from 192.0.2.20 to assigned 7000", Direction: "downlink"}}}}
			}
		}
	})
	c.provision(1, 1, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: 1})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
	var last ue.UEPDNs
	c.eventually("a QCI 2 dedicated bearer on internet", func() bool {
		last = c.pdnsOf(sim, supi(1))
		for _, p := range last.PDNs {
			for _, b := range p.Bearers {
				if b.Dedicated && p.APN == "internet" && b.QCI == 2 {
					return true
				}
			}
		}
		return false
	}, func() string { return fmt.Sprintf("last GET /ues/pdns %+v", last) })
	c.waitGauge(c.pgw.Ops(), 1, "corebox_pgw_dedicated_bearers_total", "result", "created")
}
