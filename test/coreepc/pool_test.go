package coreepc

import (
	"slices"
	"testing"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/epc/pgw"
)

// TestPoolSkipsServiceAddresses: with the PGW's default DNS server
// (10.46.0.1, inside the internet pool 10.46.0.0/16) and pgwtest's
// P-CSCF (10.47.0.10, inside the ims pool), a UE must not be handed the
// address its own PCO names as its DNS server or P-CSCF: packets other
// UEs send to that server would be routed down to that UE.
func TestPoolSkipsServiceAddresses(t *testing.T) {
	c := startCore(t, func(cfg *pgw.Config) {
		cfg.APNs[0].DNS = pgw.DefaultConfig().APNs[0].DNS
		cfg.APNs[1].DNS, cfg.APNs[1].PCSCF = pgw.DefaultConfig().APNs[1].DNS, []string{"10.47.0.10"}
	})
	c.provision(1, 1, false, func(p *udr.Provision) { p.DNNs = withIMS })
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: 1, pdns: []string{"ims"}})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
	for _, p := range c.pdns(sim)[0].PDNs {
		if slices.Contains(p.DNS, p.Address) || slices.Contains(p.PCSCF, p.Address) {
			t.Errorf("%s: the UE got %s, which its PCO names as DNS server %v / P-CSCF %v", p.APN, p.Address, p.DNS, p.PCSCF)
		}
	}
}
