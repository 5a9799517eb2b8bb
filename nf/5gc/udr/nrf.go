package udr

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// NRFConfig is the "nrf:" section of the UDR, UDM and AUSF: where to
// register, and as whom.
type NRFConfig struct {
	// URI is the NRF's apiRoot (http://host:port); empty: no NRF.
	URI string `yaml:"uri"`
	// InstanceID is our nfInstanceId; empty: a UUIDv5 of the instance name.
	InstanceID string `yaml:"instance_id"`
}

// Validate checks the NRF URI and the advertise_uri beside it: with an
// NRF, peers must learn an address to dial.
func (c NRFConfig) Validate(advertise, listen string) error {
	if advertise != "" {
		if err := CheckURI("advertise_uri", advertise); err != nil {
			return err
		}
	}
	if c.URI == "" {
		return nil
	}
	if err := CheckURI("nrf.uri", c.URI); err != nil {
		return err
	}
	if advertise == "" && !specificHost(listen) {
		return fmt.Errorf("advertise_uri is needed with nrf.uri when sbi.listen %q names no address", listen)
	}
	return nil
}

// InstanceIDOrDefault is InstanceID, or a UUIDv5 of the instance name.
func (c NRFConfig) InstanceIDOrDefault() string {
	if c.InstanceID != "" {
		return c.InstanceID
	}
	return nrfc.InstanceIDFor(nfkit.Instance())
}

// CheckURI accepts an http(s)://host[:port] apiRoot; key names it in errors.
func CheckURI(key, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want http(s)://host:port", key, s)
	}
	return nil
}

// specificHost reports whether listen ("host:port") names an address a
// peer could dial.
func specificHost(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsUnspecified()
}

// AdvertiseURI is where peers reach our SBI: the configured URI, else the
// bound address when the listen address is specific, else "".
func AdvertiseURI(configured, listen, scheme string, bound net.Addr) string {
	if configured != "" {
		return configured
	}
	if specificHost(listen) && bound != nil {
		return scheme + "://" + bound.String()
	}
	return ""
}

// NFProfile is what an NF registers: its services at apiPrefix advertise.
func NFProfile(id string, t models.Nrf_NFMgmt_NFType, advertise string,
	services ...models.Nrf_NFMgmt_ServiceName) models.Nrf_NFMgmt_NFProfile {
	p := models.Nrf_NFMgmt_NFProfile{NfInstanceId: id, NfType: t,
		NfStatus: models.Nrf_NFMgmt_NFStatus_REGISTERED}
	u, err := url.Parse(advertise)
	if err != nil {
		return p
	}
	scheme := models.UriScheme(u.Scheme)
	var eps []models.Nrf_NFMgmt_IpEndPoint
	if ip := net.ParseIP(u.Hostname()); ip != nil {
		port, _ := strconv.Atoi(u.Port())
		ep := models.Nrf_NFMgmt_IpEndPoint{Port: int32(port), Transport: models.Nrf_NFMgmt_TransportProtocol_TCP}
		if ip.To4() != nil {
			p.Ipv4Addresses = []string{ip.String()}
			ep.Ipv4Address = ip.String()
		} else {
			p.Ipv6Addresses = []string{ip.String()}
			ep.Ipv6Address = ip.String()
		}
		eps = append(eps, ep)
	} else {
		p.Fqdn = u.Hostname()
	}
	for _, s := range services {
		p.NfServices = append(p.NfServices, models.Nrf_NFMgmt_NFService{
			ServiceInstanceId: string(s), ServiceName: s, Scheme: scheme,
			NfServiceStatus: models.Nrf_NFMgmt_NFServiceStatus_REGISTERED,
			Versions:        []models.Nrf_NFMgmt_NFServiceVersion{{ApiVersionInUri: apiVersion(s), ApiFullVersion: apiVersion(s)[1:] + ".0.0"}},
			ApiPrefix:       advertise, IpEndPoints: eps,
		})
	}
	return p
}

func apiVersion(s models.Nrf_NFMgmt_ServiceName) string {
	switch s {
	case models.Nrf_NFMgmt_ServiceName_NUDR_DR, models.Nrf_NFMgmt_ServiceName_NUDM_SDM:
		return "v2"
	}
	return "v1"
}
