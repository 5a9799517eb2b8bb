package nfsbi

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"
)

// apiVersions is the apiVersionInUri of each service an NF registers, as
// its stage-3 spec names it.
var apiVersions = map[models.Nrf_NFMgmt_ServiceName]string{
	models.Nrf_NFMgmt_ServiceName_NNRF_NFM:             "v1", // TS 29.510
	models.Nrf_NFMgmt_ServiceName_NNRF_DISC:            "v1", // TS 29.510
	models.Nrf_NFMgmt_ServiceName_NUDR_DR:              "v2", // TS 29.504
	models.Nrf_NFMgmt_ServiceName_NUDM_SDM:             "v2", // TS 29.503
	models.Nrf_NFMgmt_ServiceName_NUDM_UEAU:            "v1", // TS 29.503
	models.Nrf_NFMgmt_ServiceName_NUDM_UECM:            "v1", // TS 29.503
	models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH:           "v1", // TS 29.509
	models.Nrf_NFMgmt_ServiceName_NPCF_SMPOLICYCONTROL: "v1", // TS 29.512
	models.Nrf_NFMgmt_ServiceName_NNSSF_NSSELECTION:    "v2", // TS 29.531
	models.Nrf_NFMgmt_ServiceName_NSMF_PDUSESSION:      "v1", // TS 29.502
	models.Nrf_NFMgmt_ServiceName_NAMF_COMM:            "v1", // TS 29.518
}

// APIVersion is the apiVersionInUri ("v1", "v2") of service. A service
// missing from the table is an error, not a guess: a wrong version makes
// consumers build URIs the producer does not serve.
func APIVersion(service models.Nrf_NFMgmt_ServiceName) (string, error) {
	v, ok := apiVersions[service]
	if !ok {
		return "", fmt.Errorf("no API version known for service %q", service)
	}
	return v, nil
}

// NFProfile is what an NF registers: profile id of type t, REGISTERED,
// offering services at apiPrefix advertise (an http(s) URI; its host is
// the profile's address or FQDN).
func NFProfile(id string, t models.Nrf_NFMgmt_NFType, advertise string,
	services ...models.Nrf_NFMgmt_ServiceName) (models.Nrf_NFMgmt_NFProfile, error) {
	p := models.Nrf_NFMgmt_NFProfile{NfInstanceId: id, NfType: t, NfStatus: models.Nrf_NFMgmt_NFStatus_REGISTERED}
	if err := CheckURI("advertise uri", advertise); err != nil {
		return p, fmt.Errorf("nf profile: %w", err)
	}
	u, err := url.Parse(advertise)
	if err != nil {
		return p, fmt.Errorf("nf profile: advertise uri: %w", err)
	}
	eps, err := endpoints(&p, u)
	if err != nil {
		return p, fmt.Errorf("nf profile: %w", err)
	}
	prefix := strings.TrimRight(advertise, "/")
	for _, s := range services {
		v, err := APIVersion(s)
		if err != nil {
			return p, fmt.Errorf("nf profile: %w", err)
		}
		p.NfServices = append(p.NfServices, models.Nrf_NFMgmt_NFService{
			ServiceInstanceId: string(s), ServiceName: s, Scheme: models.UriScheme(u.Scheme),
			NfServiceStatus: models.Nrf_NFMgmt_NFServiceStatus_REGISTERED,
			Versions:        []models.Nrf_NFMgmt_NFServiceVersion{{ApiVersionInUri: v, ApiFullVersion: v[1:] + ".0.0"}},
			ApiPrefix:       prefix, IpEndPoints: eps,
		})
	}
	return p, nil
}

// endpoints fills p's address (or FQDN) from u and returns the service
// endpoints: one for an IP host (port defaulting by scheme), none for a
// name.
func endpoints(p *models.Nrf_NFMgmt_NFProfile, u *url.URL) ([]models.Nrf_NFMgmt_IpEndPoint, error) {
	ip := net.ParseIP(u.Hostname())
	if ip == nil {
		p.Fqdn = u.Hostname()
		return nil, nil
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if u.Port() != "" {
		n, err := strconv.ParseUint(u.Port(), 10, 16)
		if err != nil {
			return nil, fmt.Errorf("advertise uri port %q: %w", u.Port(), err)
		}
		port = int(n)
	}
	ep := models.Nrf_NFMgmt_IpEndPoint{Port: int32(port), Transport: models.Nrf_NFMgmt_TransportProtocol_TCP}
	if ip.To4() != nil {
		p.Ipv4Addresses, ep.Ipv4Address = []string{ip.String()}, ip.String()
	} else {
		p.Ipv6Addresses, ep.Ipv6Address = []string{ip.String()}, ip.String()
	}
	return []models.Nrf_NFMgmt_IpEndPoint{ep}, nil
}
