package pcf

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// NRFConfig is the "nrf:" section: where to register, and as whom.
type NRFConfig struct {
	// URI is the NRF's apiRoot (http://host:port); empty: no NRF.
	URI string `yaml:"uri"`
	// InstanceID is our nfInstanceId; empty: a UUIDv5 of the instance name.
	InstanceID string `yaml:"instance_id"`
}

// Validate checks the NRF URI and the advertise_uri beside it: with an
// NRF, SMFs must learn an address to dial.
func (c NRFConfig) Validate(advertise, listen string) error {
	if advertise != "" {
		if err := checkURI("advertise_uri", advertise); err != nil {
			return err
		}
	}
	if c.URI == "" {
		return nil
	}
	if err := checkURI("nrf.uri", c.URI); err != nil {
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

func checkURI(key, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want http(s)://host:port", key, s)
	}
	return nil
}

// specificHost reports whether listen names an address a peer could dial.
func specificHost(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsUnspecified()
}

// advertiseURI is where SMFs reach us: the configured URI, else the bound
// address when the listen address is specific.
func advertiseURI(configured, listen, scheme string, bound net.Addr) string {
	if configured != "" {
		return configured
	}
	if specificHost(listen) && bound != nil {
		return scheme + "://" + bound.String()
	}
	return ""
}

// nfProfile is a profile offering one service at advertise.
func nfProfile(id string, t models.Nrf_NFMgmt_NFType, advertise string,
	service models.Nrf_NFMgmt_ServiceName, version string) models.Nrf_NFMgmt_NFProfile {
	p := models.Nrf_NFMgmt_NFProfile{NfInstanceId: id, NfType: t, NfStatus: models.Nrf_NFMgmt_NFStatus_REGISTERED}
	u, err := url.Parse(advertise)
	if err != nil || u.Host == "" {
		return p
	}
	var eps []models.Nrf_NFMgmt_IpEndPoint
	if ip := net.ParseIP(u.Hostname()); ip != nil {
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			port = 80
			if u.Scheme == "https" {
				port = 443
			}
		}
		ep := models.Nrf_NFMgmt_IpEndPoint{Port: int32(port), Transport: models.Nrf_NFMgmt_TransportProtocol_TCP}
		if ip.To4() != nil {
			p.Ipv4Addresses, ep.Ipv4Address = []string{ip.String()}, ip.String()
		} else {
			p.Ipv6Addresses, ep.Ipv6Address = []string{ip.String()}, ip.String()
		}
		eps = append(eps, ep)
	} else {
		p.Fqdn = u.Hostname()
	}
	p.NfServices = []models.Nrf_NFMgmt_NFService{{
		ServiceInstanceId: string(service), ServiceName: service, Scheme: models.UriScheme(u.Scheme),
		NfServiceStatus: models.Nrf_NFMgmt_NFServiceStatus_REGISTERED,
		Versions:        []models.Nrf_NFMgmt_NFServiceVersion{{ApiVersionInUri: version, ApiFullVersion: version[1:] + ".0.0"}},
		ApiPrefix:       advertise, IpEndPoints: eps,
	}}
	return p
}

// suspendRetry is the pause between attempts to mark us SUSPENDED.
const suspendRetry = time.Second

// suspendOnDrain marks our NRF profile SUSPENDED once drain closes, so
// discovery stops offering us. It retries until it succeeds: a drain may
// start before the registration did, or while the NRF is away.
func suspendOnDrain(ctx context.Context, drain <-chan struct{}, nrf *nrfc.Client, log *slog.Logger) error {
	select {
	case <-ctx.Done():
		return nil
	case <-drain:
	}
	t := time.NewTicker(suspendRetry)
	defer t.Stop()
	for {
		err := nrf.SetStatus(ctx, models.Nrf_NFMgmt_NFStatus_SUSPENDED)
		if err == nil {
			log.Info("drain: NRF profile SUSPENDED")
			return nil
		}
		log.Warn("drain: could not mark the NRF profile SUSPENDED; retrying", "err", err, "in", suspendRetry)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
