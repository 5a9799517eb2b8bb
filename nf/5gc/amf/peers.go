package amf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// errNoPeer: neither a configured URI nor the NRF names an instance.
var errNoPeer = errors.New("no instance of the peer NF is known")

// peers finds the apiRoot of the NFs the AMF calls: the configured URI,
// else the first REGISTERED instance the NRF offers (nrfc caches it).
type peers struct{ n *NF }

func newPeers(n *NF) *peers { return &peers{n: n} }

func (p *peers) ausf(ctx context.Context) (string, error) {
	return p.find(ctx, p.n.cfg.Peers.AUSF, models.Nrf_NFMgmt_NFType_AUSF, models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH, nil, "")
}

func (p *peers) udm(ctx context.Context, service models.Nrf_NFMgmt_ServiceName) (string, error) {
	return p.find(ctx, p.n.cfg.Peers.UDM, models.Nrf_NFMgmt_NFType_UDM, service, nil, "")
}

func (p *peers) smf(ctx context.Context, slice *models.Snssai, dnn string) (string, error) {
	var slices []models.Snssai
	if slice != nil {
		slices = []models.Snssai{*slice}
	}
	return p.find(ctx, p.n.cfg.Peers.SMF, models.Nrf_NFMgmt_NFType_SMF, models.Nrf_NFMgmt_ServiceName_NSMF_PDUSESSION, slices, dnn)
}

// nssf is "" without error when no NSSF is configured or registered: the
// AMF then works the allowed NSSAI out itself.
func (p *peers) nssf(ctx context.Context) string {
	root, err := p.find(ctx, p.n.cfg.Peers.NSSF, models.Nrf_NFMgmt_NFType_NSSF, models.Nrf_NFMgmt_ServiceName_NNSSF_NSSELECTION, nil, "")
	if err != nil {
		return ""
	}
	return root
}

// forget drops a discovered peer after a failed call, so the next call
// asks the NRF again.
func (p *peers) forget(t models.Nrf_NFMgmt_NFType) {
	if p.n.nrf != nil {
		p.n.nrf.InvalidateCache(t, "")
	}
}

func (p *peers) find(ctx context.Context, fixed string, t models.Nrf_NFMgmt_NFType, service models.Nrf_NFMgmt_ServiceName,
	slices []models.Snssai, dnn string) (string, error) {
	if fixed != "" {
		return strings.TrimSuffix(fixed, "/"), nil
	}
	if p.n.nrf == nil {
		return "", fmt.Errorf("%s: %w", t, errNoPeer)
	}
	res, err := p.n.nrf.Discover(ctx, nrfc.Query{TargetNfType: t, RequesterNfType: models.Nrf_NFMgmt_NFType_AMF,
		RequesterNfInstanceID: p.n.id, ServiceNames: []string{string(service)}, Snssais: slices, Dnn: dnn})
	if err != nil {
		return "", fmt.Errorf("discover %s: %w", t, err)
	}
	for _, prof := range res.NfInstances {
		if prof.NfStatus != "" && prof.NfStatus != models.Nrf_NFMgmt_NFStatus_REGISTERED {
			continue
		}
		if root, ok := serviceRoot(prof, service); ok {
			return root, nil
		}
	}
	return "", fmt.Errorf("discover %s offering %s: %w", t, service, errNoPeer)
}

// serviceRoot is the apiRoot of service in a discovered profile: its
// apiPrefix, else scheme://address:port from its endpoints.
func serviceRoot(p models.Nrf_NFDisc_NFProfile, service models.Nrf_NFMgmt_ServiceName) (string, bool) {
	svcs := append([]models.Nrf_NFDisc_NFService(nil), p.NfServices...)
	for _, s := range p.NfServiceList {
		svcs = append(svcs, s)
	}
	for _, s := range svcs {
		if s.ServiceName != service || (s.NfServiceStatus != "" && s.NfServiceStatus != models.Nrf_NFMgmt_NFServiceStatus_REGISTERED) {
			continue
		}
		if s.ApiPrefix != "" {
			return strings.TrimSuffix(s.ApiPrefix, "/"), true
		}
		scheme := string(s.Scheme)
		if scheme == "" {
			scheme = "http"
		}
		host, port := "", 0
		for _, ep := range s.IpEndPoints {
			port = int(ep.Port)
			if host = ep.Ipv4Address; host == "" {
				host = ep.Ipv6Address
			}
			if host != "" {
				break
			}
		}
		if host == "" {
			switch {
			case s.Fqdn != "":
				host = s.Fqdn
			case p.Fqdn != "":
				host = p.Fqdn
			case len(p.Ipv4Addresses) > 0:
				host = p.Ipv4Addresses[0]
			default:
				continue
			}
		}
		if port == 0 {
			return scheme + "://" + host, true
		}
		return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)), true
	}
	return "", false
}

// unreachable reports a call that got no answer or a 503: worth another
// instance.
func unreachable(err error) bool {
	st := sbi.StatusOf(err)
	return err != nil && (st == 0 || st == 503)
}
