package nfsbi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Locator finds a peer NF's apiRoot: a configured URI, or the first
// REGISTERED instance the NRF offers for a service (nrfc caches the
// search). The UDM uses one for the UDR, the AUSF for the UDM.
type Locator struct {
	fixed   string
	nrf     *nrfc.Client
	query   nrfc.Query
	service models.Nrf_NFMgmt_ServiceName
}

// FixedLocator always answers uri.
func FixedLocator(uri string) *Locator { return &Locator{fixed: strings.TrimRight(uri, "/")} }

// NRFLocator discovers instances of target offering service.
func NRFLocator(nrf *nrfc.Client, target, requester models.Nrf_NFMgmt_NFType, requesterID string,
	service models.Nrf_NFMgmt_ServiceName) *Locator {
	return &Locator{nrf: nrf, service: service, query: nrfc.Query{TargetNfType: target,
		RequesterNfType: requester, RequesterNfInstanceID: requesterID, ServiceNames: []string{string(service)}}}
}

// PeerLocator is how an NF finds a peer: the configured URI when there is
// one (or no NRF), else NRF discovery.
func PeerLocator(uri string, nrf *nrfc.Client, target, requester models.Nrf_NFMgmt_NFType, requesterID string,
	service models.Nrf_NFMgmt_ServiceName) *Locator {
	if uri != "" || nrf == nil {
		return FixedLocator(uri)
	}
	return NRFLocator(nrf, target, requester, requesterID, service)
}

// ErrNoInstance: the NRF knows no usable instance of the service.
var ErrNoInstance = errors.New("no registered instance offers the service")

// Root is the apiRoot to send the next request to.
func (l *Locator) Root(ctx context.Context) (string, error) {
	if l.nrf == nil {
		return l.fixed, nil
	}
	res, err := l.nrf.Discover(ctx, l.query)
	if err != nil {
		return "", fmt.Errorf("discover %s: %w", l.service, err)
	}
	for _, p := range res.NfInstances {
		if p.NfStatus != "" && p.NfStatus != models.Nrf_NFMgmt_NFStatus_REGISTERED {
			continue
		}
		if root, ok := ServiceRoot(p, l.service); ok {
			return root, nil
		}
	}
	return "", fmt.Errorf("discover %s: %w", l.service, ErrNoInstance)
}

// Forget drops the cached discovery after a failed request, so the next
// Root asks the NRF again.
func (l *Locator) Forget() {
	if l.nrf != nil {
		l.nrf.InvalidateCache(l.query.TargetNfType, "")
	}
}

// Discovered reports whether Root asks the NRF (a retry may find another
// instance).
func (l *Locator) Discovered() bool { return l.nrf != nil }

// ServiceRoot is the apiRoot of service in a discovered profile: its
// apiPrefix, else scheme://(fqdn or address):port from its endpoints.
// A service whose root is no http(s)://host URI is skipped.
func ServiceRoot(p models.Nrf_NFDisc_NFProfile, service models.Nrf_NFMgmt_ServiceName) (string, bool) {
	svcs := slices.Clone(p.NfServices)
	for _, k := range slices.Sorted(maps.Keys(p.NfServiceList)) { // in a stable order
		svcs = append(svcs, p.NfServiceList[k])
	}
	for _, s := range svcs {
		if s.ServiceName != service || (s.NfServiceStatus != "" && s.NfServiceStatus != models.Nrf_NFMgmt_NFServiceStatus_REGISTERED) {
			continue
		}
		if root := serviceRoot(p, s); root != "" && CheckURI("", root) == nil {
			return root, true
		}
	}
	return "", false
}

func serviceRoot(p models.Nrf_NFDisc_NFProfile, s models.Nrf_NFDisc_NFService) string {
	if s.ApiPrefix != "" {
		return strings.TrimRight(s.ApiPrefix, "/")
	}
	scheme := string(s.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	host, port := endpoint(p, s)
	switch {
	case host == "":
		return ""
	case port == 0:
		if strings.Contains(host, ":") { // IPv6
			host = "[" + host + "]"
		}
		return scheme + "://" + host
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}

func endpoint(p models.Nrf_NFDisc_NFProfile, s models.Nrf_NFDisc_NFService) (string, int) {
	port := 0
	for _, ep := range s.IpEndPoints {
		port = int(ep.Port)
		if ep.Ipv4Address != "" {
			return ep.Ipv4Address, port
		}
		if ep.Ipv6Address != "" {
			return ep.Ipv6Address, port
		}
	}
	switch {
	case s.Fqdn != "":
		return s.Fqdn, port
	case p.Fqdn != "":
		return p.Fqdn, port
	case len(p.Ipv4Addresses) > 0:
		return p.Ipv4Addresses[0], port
	case len(p.Ipv6Addresses) > 0:
		return p.Ipv6Addresses[0], port
	}
	return "", 0
}

// Retryable reports whether a failed request may succeed on another
// instance: no answer at all, or 503 (draining, overloaded).
func Retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	st := sbi.StatusOf(err)
	return st == 0 || st == http.StatusServiceUnavailable
}

// Call runs do against the located root; after a retryable failure with a
// discovered peer it forgets the discovery and tries once more.
func (l *Locator) Call(ctx context.Context, do func(root string) error) error {
	for attempt := 0; ; attempt++ {
		root, err := l.Root(ctx)
		if err != nil {
			return err
		}
		err = do(root)
		if attempt > 0 || !l.Discovered() || !Retryable(ctx, err) {
			return err
		}
		l.Forget()
	}
}

// Do sends one request through c to root+path of the located peer, with
// Call's forget-and-retry; body and out are as for sbi.Client.Do.
func (l *Locator) Do(ctx context.Context, c *sbi.Client, method, path string, body, out any) (*sbi.Response, error) {
	var resp *sbi.Response
	err := l.Call(ctx, func(root string) error {
		var err error
		resp, err = c.Do(ctx, method, root+path, body, out)
		return err
	})
	return resp, err
}
