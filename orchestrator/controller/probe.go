package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/orchestrator/autoscale"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// mgmtAddr is an instance's address on the mgmt network, where its ops
// endpoints are.
func mgmtAddr(ctr container.Container) (string, error) {
	for _, a := range ctr.Attachments {
		if a.IfName == profiles.MgmtNetwork {
			return a.Address.Addr().String(), nil
		}
	}
	return "", fmt.Errorf("%s has no %s interface", ctr.Spec.Name, profiles.MgmtNetwork)
}

// Ops reaches an instance's ops endpoints over its mgmt address: its
// readiness, its drain endpoint and its metrics. Tests replace it.
type Ops interface {
	Ready(ctx context.Context, nf *profiles.NF, ctr container.Container) (bool, string)
	// StartDrain asks the instance to drain; false when it has no drain
	// endpoint (nf nil: an NF that left the profile, default settings).
	StartDrain(ctx context.Context, nf *profiles.NF, ctr container.Container) (bool, error)
	DrainStatus(ctx context.Context, nf *profiles.NF, ctr container.Container) (DrainState, error)
	Metric(ctx context.Context, ctr container.Container, metric string) (float64, error)
	// Routes reads what the instance announces on GET /routes: by
	// network, the prefixes it serves behind its address there.
	Routes(ctx context.Context, ctr container.Container) (map[string][]netip.Prefix, error)
}

// DrainState is what a drain endpoint answers.
type DrainState struct {
	Draining  bool `json:"draining"`
	Remaining int  `json:"remaining"`
}

// HTTPOps is Ops over HTTP, the default.
type HTTPOps struct{ Client *http.Client }

// Ready checks readiness the way the NF's profile says.
func (o HTTPOps) Ready(ctx context.Context, nf *profiles.NF, ctr container.Container) (bool, string) {
	r := nf.Readiness
	if r.HTTP == "" && r.TCP == 0 && r.UDP == 0 {
		return true, "" // no readiness check: started is ready
	}
	ip, err := mgmtAddr(ctr)
	if err != nil {
		return false, err.Error()
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case r.TCP != 0:
		return dialReady(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(r.TCP)))
	case r.UDP != 0:
		return udpReady(ctx, net.JoinHostPort(ip, strconv.Itoa(r.UDP)))
	}
	port := r.Port
	if port == 0 {
		port = profiles.OpsPort
	}
	return o.httpReady(ctx, "http://"+net.JoinHostPort(ip, strconv.Itoa(port))+r.HTTP)
}

func (o HTTPOps) httpReady(ctx context.Context, url string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return false, "readiness: " + err.Error()
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("readiness: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return true, ""
}

func dialReady(ctx context.Context, network, addr string) (bool, string) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return false, "readiness: " + err.Error()
	}
	conn.Close()
	return true, ""
}

// udpReady sends a datagram and wants any answer (an echo, or the
// protocol's error reply).
func udpReady(ctx context.Context, addr string) (bool, string) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return false, "readiness: " + err.Error()
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return false, err.Error()
		}
	}
	if _, err := conn.Write([]byte("corebox-readiness")); err != nil {
		return false, "readiness: " + err.Error()
	}
	buf := make([]byte, 64)
	if _, err := conn.Read(buf); err != nil {
		return false, "readiness: no answer on udp " + addr
	}
	return true, ""
}

// StartDrain implements Ops.
func (o HTTPOps) StartDrain(ctx context.Context, nf *profiles.NF, ctr container.Container) (bool, error) {
	url, err := drainURL(nf, ctr)
	if err != nil || url == "" {
		return false, err
	}
	_, err = o.callDrain(ctx, http.MethodPost, url)
	return true, err
}

// DrainStatus implements Ops.
func (o HTTPOps) DrainStatus(ctx context.Context, nf *profiles.NF, ctr container.Container) (DrainState, error) {
	url, err := drainURL(nf, ctr)
	if err != nil {
		return DrainState{}, err
	}
	st, err := o.callDrain(ctx, http.MethodGet, url)
	if err != nil {
		return DrainState{}, err
	}
	return *st, nil
}

// Metric implements Ops: it scrapes the instance's /metrics.
func (o HTTPOps) Metric(ctx context.Context, ctr container.Container, metric string) (float64, error) {
	ip, err := mgmtAddr(ctr)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return autoscale.Scrape(ctx, o.Client, "http://"+net.JoinHostPort(ip, strconv.Itoa(profiles.OpsPort))+"/metrics", metric)
}

// drainURL is the instance's drain endpoint, "" when draining is off.
func drainURL(nf *profiles.NF, ctr container.Container) (string, error) {
	dr := profiles.Drain{HTTP: "/drain", Port: profiles.OpsPort}
	if nf != nil {
		dr = nf.Drain
	}
	if dr.Disabled || dr.HTTP == "" {
		return "", nil
	}
	ip, err := mgmtAddr(ctr)
	if err != nil {
		return "", err
	}
	port := dr.Port
	if port == 0 {
		port = profiles.OpsPort
	}
	return "http://" + net.JoinHostPort(ip, strconv.Itoa(port)) + dr.HTTP, nil
}

// callDrain POSTs (start) or GETs (poll) the drain endpoint.
func (o HTTPOps) callDrain(ctx context.Context, method, url string) (*DrainState, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	var st DrainState
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&st); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	return &st, nil
}

// InfoReader is an Ops that can also read an instance's GET /info: facts
// the NF reports about itself (say, which SCTP transport it uses).
type InfoReader interface {
	Info(ctx context.Context, ctr container.Container) (map[string]string, error)
}

// Info reads GET /info on the instance's ops port.
func (o HTTPOps) Info(ctx context.Context, ctr container.Container) (map[string]string, error) {
	ip, err := mgmtAddr(ctr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(ip, strconv.Itoa(profiles.OpsPort))+"/info", nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /info: %s", resp.Status)
	}
	var info map[string]string
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&info); err != nil {
		return nil, fmt.Errorf("GET /info: %w", err)
	}
	return info, nil
}

// routesTimeout bounds GET /routes: a pass waits for it.
const routesTimeout = 500 * time.Millisecond

// maxRoutesBody bounds an answer to GET /routes (some 20000 prefixes).
const maxRoutesBody = 1 << 20

// Routes implements Ops: GET /routes on the instance's ops port.
func (o HTTPOps) Routes(ctx context.Context, ctr container.Container) (map[string][]netip.Prefix, error) {
	ip, err := mgmtAddr(ctr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, routesTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(profiles.OpsPort)) + "/routes"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	routes, err := decodeRoutes(io.LimitReader(resp.Body, maxRoutesBody))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return routes, nil
}

// decodeRoutes reads {"routes":{"n6":["10.45.0.0/18"]}} (nfkit's GET
// /routes). Prefixes are masked; a malformed one fails the whole answer,
// which then counts as no answer.
func decodeRoutes(r io.Reader) (map[string][]netip.Prefix, error) {
	var body struct {
		Routes map[string][]string `json:"routes"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode routes: %w", err)
	}
	out := make(map[string][]netip.Prefix, len(body.Routes))
	for network, list := range body.Routes {
		if network == "" {
			return nil, fmt.Errorf("decode routes: a network without a name")
		}
		ps := make([]netip.Prefix, 0, len(list))
		for _, s := range list {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("decode routes of %s: %w", network, err)
			}
			ps = append(ps, p.Masked())
		}
		out[network] = ps
	}
	return out, nil
}
