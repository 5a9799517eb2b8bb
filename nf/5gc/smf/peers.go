package smf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// errNoPeer: neither the config nor the NRF names an NF to call.
var errNoPeer = errors.New("no such NF configured or registered")

// peers calls the UDM, PCF and AMF, at their configured apiRoots or at
// ones the NRF knows.
type peers struct {
	cfg    PeersConfig
	sbi    *sbi.Client
	nrf    *nrfc.Client // nil without nrf.uri
	selfID string
	turn   atomic.Uint64 // spreads load over the instances found
}

// root is the apiRoot to reach an NF of type t offering service.
func (p *peers) root(ctx context.Context, t models.Nrf_NFMgmt_NFType, configured string,
	service models.Nrf_NFMgmt_ServiceName, instanceID string) (string, error) {
	if configured != "" {
		return strings.TrimSuffix(configured, "/"), nil
	}
	if p.nrf == nil {
		return "", fmt.Errorf("%s: %w", t, errNoPeer)
	}
	q := nrfc.Query{TargetNfType: t, RequesterNfType: models.Nrf_NFMgmt_NFType_SMF,
		RequesterNfInstanceID: p.selfID, ServiceNames: []string{string(service)}, TargetNfInstanceID: instanceID}
	res, err := p.nrf.Discover(ctx, q)
	if err != nil {
		return "", fmt.Errorf("discover %s: %w", t, err)
	}
	var roots []string
	for _, prof := range res.NfInstances {
		if r := apiRootOf(prof, service); r != "" {
			roots = append(roots, r)
		}
	}
	if len(roots) == 0 {
		return "", fmt.Errorf("%s offering %s: %w", t, service, errNoPeer)
	}
	return roots[p.turn.Add(1)%uint64(len(roots))], nil
}

// forget drops cached discoveries of t after a failed call, so the next
// call asks the NRF again.
func (p *peers) forget(t models.Nrf_NFMgmt_NFType, configured string, err error) {
	if p.nrf == nil || configured != "" || sbi.StatusOf(err) != 0 {
		return // answered: the peer is there
	}
	p.nrf.InvalidateCache(t, "")
}

// apiRootOf is where a profile's service is reached: its apiPrefix, else
// its first endpoint, else the profile's address.
func apiRootOf(p models.Nrf_NFDisc_NFProfile, service models.Nrf_NFMgmt_ServiceName) string {
	for _, s := range p.NfServices {
		if s.ServiceName != service {
			continue
		}
		if s.ApiPrefix != "" {
			return strings.TrimSuffix(s.ApiPrefix, "/")
		}
		scheme := string(s.Scheme)
		if scheme == "" {
			scheme = "http"
		}
		for _, ep := range s.IpEndPoints {
			if ep.Ipv4Address != "" {
				return scheme + "://" + hostPort(ep.Ipv4Address, int(ep.Port), scheme)
			}
		}
		if s.Fqdn != "" {
			return scheme + "://" + hostPort(s.Fqdn, 0, scheme)
		}
		return profileRoot(p, scheme)
	}
	return ""
}

func profileRoot(p models.Nrf_NFDisc_NFProfile, scheme string) string {
	if len(p.Ipv4Addresses) > 0 {
		return scheme + "://" + hostPort(p.Ipv4Addresses[0], 0, scheme)
	}
	if p.Fqdn != "" {
		return scheme + "://" + hostPort(p.Fqdn, 0, scheme)
	}
	return ""
}

func hostPort(host string, port int, scheme string) string {
	if port == 0 {
		port = 80
		if scheme == "https" {
			port = 443
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// smData reads the subscriber's SM data for dnn in slice s (TS 29.503).
func (p *peers) smData(ctx context.Context, supi, dnn string, s models.Snssai) (
	[]models.Udm_SDM_SessionManagementSubscriptionData, error) {
	root, err := p.root(ctx, models.Nrf_NFMgmt_NFType_UDM, p.cfg.UDM, models.Nrf_NFMgmt_ServiceName_NUDM_SDM, "")
	if err != nil {
		return nil, err
	}
	sn, _ := json.Marshal(models.Snssai{Sst: s.Sst, Sd: s.Sd}) // two plain fields always marshal
	q := url.Values{"dnn": {dnn}, "single-nssai": {string(sn)}}
	var out []models.Udm_SDM_SessionManagementSubscriptionData
	u := root + "/nudm-sdm/v2/" + url.PathEscape(supi) + "/sm-data?" + q.Encode()
	if _, err := p.sbi.Do(ctx, http.MethodGet, u, nil, &out); err != nil {
		p.forget(models.Nrf_NFMgmt_NFType_UDM, p.cfg.UDM, err)
		return nil, fmt.Errorf("udm sm-data: %w", err)
	}
	return out, nil
}

// pcfRoot is the PCF to ask, or errNoPeer.
func (p *peers) pcfRoot(ctx context.Context) (string, error) {
	return p.root(ctx, models.Nrf_NFMgmt_NFType_PCF, p.cfg.PCF, models.Nrf_NFMgmt_ServiceName_NPCF_SMPOLICYCONTROL, "")
}

// createPolicy asks the PCF for the session's policy (TS 29.512); it
// returns the association's URI.
func (p *peers) createPolicy(ctx context.Context, root string, req models.Pcf_SMPolCtrl_SmPolicyContextData) (
	string, models.Pcf_SMPolCtrl_SmPolicyDecision, error) {
	var d models.Pcf_SMPolCtrl_SmPolicyDecision
	resp, err := p.sbi.Do(ctx, http.MethodPost, root+"/npcf-smpolicycontrol/v1/sm-policies", req, &d)
	if err != nil {
		p.forget(models.Nrf_NFMgmt_NFType_PCF, p.cfg.PCF, err)
		return "", d, fmt.Errorf("pcf create sm policy: %w", err)
	}
	loc := resp.Header.Get("Location")
	if resp.Status != http.StatusCreated || loc == "" {
		return "", d, fmt.Errorf("pcf create sm policy: status %d, Location %q: want 201 with a Location", resp.Status, loc)
	}
	return loc, d, nil
}

// deletePolicy ends a policy association.
func (p *peers) deletePolicy(ctx context.Context, uri string) error {
	if _, err := p.sbi.Do(ctx, http.MethodPost, uri+"/delete", models.Pcf_SMPolCtrl_SmPolicyDeleteData{}, nil); err != nil {
		return fmt.Errorf("pcf delete sm policy: %w", err)
	}
	return nil
}

// amfRoot is the AMF serving a session: peers.amf, else the instance the
// NRF knows as servingNfId, else the origin of its smContextStatusUri.
func (p *peers) amfRoot(ctx context.Context, servingNfID, statusURI string) (string, error) {
	if p.cfg.AMF != "" || (p.nrf != nil && servingNfID != "") {
		root, err := p.root(ctx, models.Nrf_NFMgmt_NFType_AMF, p.cfg.AMF, models.Nrf_NFMgmt_ServiceName_NAMF_COMM, servingNfID)
		if err == nil || statusURI == "" {
			return root, err
		}
	}
	u, err := url.Parse(statusURI)
	if statusURI == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("AMF %q: %w (and no usable smContextStatusUri)", servingNfID, errNoPeer)
	}
	return u.Scheme + "://" + u.Host, nil
}

// transfer sends N1N2MessageTransfer for supi to the AMF at root.
func (p *peers) transfer(ctx context.Context, root, supi string, req *smcontext.N1N2Request) (*smcontext.N1N2Result, error) {
	res, err := smcontext.TransferN1N2(ctx, p.sbi, root, supi, req)
	if err != nil {
		p.forget(models.Nrf_NFMgmt_NFType_AMF, p.cfg.AMF, err)
	}
	return res, err
}

// notifyStatus tells the AMF an SM context is gone (TS 29.502
// SmContextStatusNotify).
func (p *peers) notifyStatus(ctx context.Context, uri string, cause models.Smf_PDUSess_Cause) error {
	n := models.Smf_PDUSess_SmContextStatusNotification{StatusInfo: &models.Smf_PDUSess_StatusInfo{
		ResourceStatus: models.Smf_PDUSess_ResourceStatus_RELEASED, Cause: cause}}
	if _, err := p.sbi.Do(ctx, http.MethodPost, uri, n, nil); err != nil {
		return fmt.Errorf("sm context status notify: %w", err)
	}
	return nil
}
