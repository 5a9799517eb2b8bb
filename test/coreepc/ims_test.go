package coreepc

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// remoteMedia is the far end of the call the P-CSCF double authorizes.
var remoteMedia = netip.MustParseAddrPort("10.101.0.20:50000")

// TestIMSDedicatedBearer: two UEs attach (internet) and open a second
// PDN connection to ims, which brings the PGW's P-CSCF and DNS addresses
// in its PCO and the PCRF's ims QoS (QCI 5). A P-CSCF double authorizes
// audio for one UE's ims address over Rx: the PCRF pushes a PCC rule to
// the PGW (Gx RAR), which asks for a dedicated bearer (Create Bearer
// through SGW and MME, E-RAB Setup at the eNB): that UE gets a QCI 1
// bearer with the media's flows in its TFT. The STR removes it (Delete
// Bearer all the way). The other UE is left alone.
func TestIMSDedicatedBearer(t *testing.T) {
	const n = 2
	c := startCore(t)
	c.provision(1, n, false, func(p *udr.Provision) { p.DNNs = withIMS })
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	res := c.stepOK(sim, simapi.PathSessions, simapi.SessionRequest{DNN: "ims"}, n)
	for _, r := range res.UEs {
		if a, err := netip.ParseAddr(r.Detail); err != nil || !imsPool.Contains(a) {
			t.Errorf("%s: ims address %q, want one of %s", r.SUPI, r.Detail, imsPool)
		}
	}
	c.waitGauge(c.mme.Ops(), 2*n, "corebox_mme_pdn_connections")
	c.expect(c.pgw.Ops(), n, "corebox_pgw_sessions", "apn", "ims")
	c.expect(c.pcrf.Ops(), 2*n, "corebox_pcrf_gx_sessions")
	c.expect(sim.Ops(), n, "corebox_ue_pdn_connectivity_total", "result", "ok")

	ims := map[string]netip.Addr{} // by SUPI
	for _, u := range c.pdns(sim) {
		p := imsPDN(t, u)
		if !slices.Equal(p.PCSCF, []string{pcscf.String()}) || !slices.Equal(p.DNS, []string{imsDNS.String()}) {
			t.Errorf("%s: ims PCO gave P-CSCF %v and DNS %v, want %v and %v", u.SUPI, p.PCSCF, p.DNS, pcscf, imsDNS)
		}
		if len(p.Bearers) != 1 || p.Bearers[0].QCI != 5 || p.Bearers[0].Dedicated {
			t.Errorf("%s: ims bearers %+v, want the default one with QCI 5", u.SUPI, p.Bearers)
		}
		ims[u.SUPI] = netip.MustParseAddr(p.Address)
	}

	caller, other := supi(1), supi(2)
	af := pcrftest.NewAF(t, c.pcrf.DiameterAddr().String(), "pcscf."+pcrftest.IMSRealm)
	sid := af.NewSessionID()
	ctx, cancel := context.WithTimeout(c.ctx, readyWait)
	defer cancel()
	media := pcrftest.Media(1, diameter.MediaTypeAudio, netip.AddrPortFrom(ims[caller], 40000), remoteMedia, 41000)
	aaa, err := af.Authorize(ctx, sid, ims[caller], media)
	if err != nil || aaa.Result != diameter.Success {
		t.Fatalf("AAR for %v: %+v, %v; want success", ims[caller], aaa, err)
	}
	b := c.waitDedicated(sim, caller, true)
	if b.QCI != 1 || len(b.Filters) == 0 {
		t.Errorf("dedicated bearer %+v, want QCI 1 with the media's packet filters", b)
	}
	for _, f := range b.Filters {
		if !strings.Contains(f, "remote "+remoteMedia.Addr().String()+"/32") || !strings.Contains(f, "proto 17") {
			t.Errorf("packet filter %q, want UDP to or from %v", f, remoteMedia.Addr())
		}
	}
	if p := imsPDN(t, c.pdnsOf(sim, other)); len(p.Bearers) != 1 {
		t.Errorf("%s got bearers %+v, want only its default one", other, p.Bearers)
	}
	c.expect(c.pcrf.Ops(), 1, "corebox_pcrf_rar_total", "purpose", "install", "result", "ok")
	c.waitGauge(c.pgw.Ops(), 1, "corebox_pgw_dedicated_bearers_total", "result", "created")
	c.expect(c.sgw.Ops(), 1, "corebox_sgw_dedicated_bearers_total", "result", "created")
	c.expect(sim.Ops(), 1, "corebox_ue_dedicated_bearers_total", "event", "activated")
	c.waitGauge(c.enb.Ops(), 2*n+1, "corebox_enb_erabs")

	sta, err := af.Terminate(ctx, sid)
	if err != nil || sta.Result != diameter.Success {
		t.Fatalf("STR: %+v, %v; want success", sta, err)
	}
	c.waitDedicated(sim, caller, false)
	c.expect(c.pcrf.Ops(), 1, "corebox_pcrf_rar_total", "purpose", "remove", "result", "ok")
	c.waitGauge(c.pgw.Ops(), 1, "corebox_pgw_dedicated_bearers_total", "result", "deleted")
	c.waitGauge(c.sgw.Ops(), 1, "corebox_sgw_dedicated_bearers_total", "result", "deleted")
	c.waitGauge(sim.Ops(), 1, "corebox_ue_dedicated_bearers_total", "event", "deactivated")
	c.waitGauge(c.enb.Ops(), 2*n, "corebox_enb_erabs")
	c.expect(c.pcrf.Ops(), 0, "corebox_pcrf_rx_sessions")
	c.expect(c.mme.Ops(), 2*n, "corebox_mme_pdn_connections")
}

// imsPDN is a UE's PDN connection to ims, failing t without one.
func imsPDN(t *testing.T, u ue.UEPDNs) ue.PDNState {
	t.Helper()
	i := slices.IndexFunc(u.PDNs, func(p ue.PDNState) bool { return p.APN == "ims" })
	if i < 0 || len(u.PDNs) != 2 {
		t.Fatalf("%s: PDN connections %+v, want internet and ims", u.SUPI, u.PDNs)
	}
	return u.PDNs[i]
}

// pdnsOf is one UE's entry of GET /ues/pdns.
func (c *core) pdnsOf(sim *ue.NF, supi string) ue.UEPDNs {
	c.t.Helper()
	all := c.pdns(sim)
	i := slices.IndexFunc(all, func(u ue.UEPDNs) bool { return u.SUPI == supi })
	if i < 0 {
		c.t.Fatalf("no UE %s in GET /ues/pdns", supi)
	}
	return all[i]
}

// waitDedicated polls until the UE's ims PDN connection has (want) or
// has not a dedicated bearer, and returns it.
func (c *core) waitDedicated(sim *ue.NF, supi string, want bool) ue.BearerState {
	c.t.Helper()
	var found ue.BearerState
	var last ue.UEPDNs
	c.eventually(fmt.Sprintf("%s with a dedicated bearer: %v", supi, want), func() bool {
		last = c.pdnsOf(sim, supi)
		has := false
		for _, p := range last.PDNs {
			for _, b := range p.Bearers {
				if b.Dedicated && p.APN == "ims" {
					has, found = true, b
				}
			}
		}
		return has == want
	}, func() string { return fmt.Sprintf("last GET /ues/pdns %+v", last) })
	return found
}
