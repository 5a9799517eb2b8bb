package nrfc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// NRF resource paths (TS 29.510 §6.1.3, §6.2.3).
const (
	PathNFInstances   = "/nnrf-nfm/v1/nf-instances"
	PathSubscriptions = "/nnrf-nfm/v1/subscriptions"
	PathDiscovery     = "/nnrf-disc/v1/nf-instances"
)

// Defaults for what the NRF does not say.
const (
	DefaultHeartbeat     = 10 * time.Second // when the NRF's reply has no heartBeatTimer
	DefaultRetryInterval = 2 * time.Second  // between registration attempts in Run
	deregisterTimeout    = 3 * time.Second
)

// ErrNotRegistered is returned by calls that need a registration first.
var ErrNotRegistered = errors.New("nrfc: not registered")

// Client talks to one NRF. It is safe for concurrent use.
type Client struct {
	sbi   *sbi.Client
	root  string
	log   *slog.Logger
	now   func() time.Time
	every time.Duration // heartbeat interval override; 0: the NRF's timer
	retry time.Duration

	mu         sync.Mutex
	profile    models.Nrf_NFMgmt_NFProfile // what we register, status kept current
	registered bool
	heartbeat  time.Duration

	cache cache
}

// Option adjusts a Client.
type Option func(*Client)

// WithLogger logs to l (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock makes the discovery cache read time from now (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithHeartbeatInterval heartbeats every d whatever the NRF's timer says
// (tests; an NF should follow the NRF).
func WithHeartbeatInterval(d time.Duration) Option { return func(c *Client) { c.every = d } }

// WithRetryInterval sets the pause between registration attempts in Run.
func WithRetryInterval(d time.Duration) Option { return func(c *Client) { c.retry = d } }

// New returns a client of the NRF whose apiRoot is nrfURI
// ("http://10.0.0.5:8000"), sending through s.
func New(s *sbi.Client, nrfURI string, opts ...Option) (*Client, error) {
	u, err := url.Parse(nrfURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("nrfc: NRF URI %q: want http(s)://host:port", nrfURI)
	}
	c := &Client{sbi: s, root: strings.TrimSuffix(nrfURI, "/"), log: slog.Default(),
		now: time.Now, retry: DefaultRetryInterval, heartbeat: DefaultHeartbeat}
	for _, o := range opts {
		o(c)
	}
	c.cache.entries = map[string]cacheEntry{}
	return c, nil
}

// InstanceURI is the NRF resource of NF instance id.
func (c *Client) InstanceURI(id string) string {
	return c.root + PathNFInstances + "/" + url.PathEscape(id)
}

// Registered reports whether the NRF holds our profile, as far as we know
// (an NF's readiness).
func (c *Client) Registered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.registered
}

// Profile is the profile as last registered or updated.
func (c *Client) Profile() models.Nrf_NFMgmt_NFProfile {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.profile
}

// HeartbeatInterval is how often Run heartbeats: the NRF's heartBeatTimer
// unless WithHeartbeatInterval overrides it.
func (c *Client) HeartbeatInterval() time.Duration {
	if c.every > 0 {
		return c.every
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heartbeat
}

// Register PUTs profile (nfInstanceId and nfType required; nfStatus
// defaults to REGISTERED) and returns the NRF's view of it. The NRF's
// heartBeatTimer sets the heartbeat interval.
func (c *Client) Register(ctx context.Context, profile models.Nrf_NFMgmt_NFProfile) (models.Nrf_NFMgmt_NFProfile, error) {
	if profile.NfInstanceId == "" || profile.NfType == "" {
		return models.Nrf_NFMgmt_NFProfile{}, errors.New("nrfc: register: profile needs nfInstanceId and nfType")
	}
	if profile.NfStatus == "" {
		profile.NfStatus = models.Nrf_NFMgmt_NFStatus_REGISTERED
	}
	var reply models.Nrf_NFMgmt_NFProfile
	if _, err := c.sbi.Do(ctx, http.MethodPut, c.InstanceURI(profile.NfInstanceId), profile, &reply); err != nil {
		return reply, fmt.Errorf("nrfc: register %s: %w", profile.NfInstanceId, err)
	}
	c.mu.Lock()
	c.profile = profile
	c.registered = true
	if reply.HeartBeatTimer > 0 {
		c.heartbeat = time.Duration(reply.HeartBeatTimer) * time.Second
		c.profile.HeartBeatTimer = reply.HeartBeatTimer
	}
	c.mu.Unlock()
	c.log.Info("registered with NRF", "nf_instance_id", profile.NfInstanceId,
		"nf_type", profile.NfType, "heartbeat", c.HeartbeatInterval())
	return reply, nil
}

// Heartbeat sends one heartbeat: a PATCH replacing nfStatus with the
// current status. When the NRF answers 404 (it restarted and forgot us) it
// registers the profile again.
func (c *Client) Heartbeat(ctx context.Context) error {
	c.mu.Lock()
	p, ok := c.profile, c.registered
	c.mu.Unlock()
	if !ok {
		return ErrNotRegistered
	}
	items := []models.PatchItem{{Op: models.PatchOperation_REPLACE, Path: "/nfStatus", Value: p.NfStatus}}
	_, err := c.sbi.Do(ctx, http.MethodPatch, c.InstanceURI(p.NfInstanceId), items, nil)
	if sbi.IsNotFound(err) {
		c.log.Warn("NRF does not know us: registering again", "nf_instance_id", p.NfInstanceId)
		_, err = c.Register(ctx, p)
		return err
	}
	if err != nil {
		return fmt.Errorf("nrfc: heartbeat: %w", err)
	}
	return nil
}

// Update PATCHes items (JSON Patch, e.g. /load) into our profile. It
// returns the NRF's profile when the NRF sent one (200), nil on 204. A
// replace of /nfStatus is remembered, so heartbeats keep it.
func (c *Client) Update(ctx context.Context, items []models.PatchItem) (*models.Nrf_NFMgmt_NFProfile, error) {
	c.mu.Lock()
	id, ok := c.profile.NfInstanceId, c.registered
	c.mu.Unlock()
	if !ok {
		return nil, ErrNotRegistered
	}
	var reply models.Nrf_NFMgmt_NFProfile
	resp, err := c.sbi.Do(ctx, http.MethodPatch, c.InstanceURI(id), items, &reply)
	if err != nil {
		return nil, fmt.Errorf("nrfc: update %s: %w", id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if resp.Status == http.StatusOK && reply.NfInstanceId == id {
		c.profile = reply
		return &reply, nil
	}
	for _, it := range items {
		if it.Path != "/nfStatus" || it.Op != models.PatchOperation_REPLACE {
			continue
		}
		switch s := it.Value.(type) {
		case models.Nrf_NFMgmt_NFStatus:
			c.profile.NfStatus = s
		case string:
			c.profile.NfStatus = models.Nrf_NFMgmt_NFStatus(s)
		}
	}
	return nil, nil
}

// SetStatus changes our nfStatus (SUSPENDED to drain, REGISTERED to
// resume); heartbeats keep the new status.
func (c *Client) SetStatus(ctx context.Context, status models.Nrf_NFMgmt_NFStatus) error {
	_, err := c.Update(ctx, []models.PatchItem{{Op: models.PatchOperation_REPLACE, Path: "/nfStatus", Value: status}})
	return err
}

// Deregister DELETEs our profile; an NRF that no longer has it is fine.
func (c *Client) Deregister(ctx context.Context) error {
	c.mu.Lock()
	id, ok := c.profile.NfInstanceId, c.registered
	c.registered = false
	c.mu.Unlock()
	if !ok {
		return nil
	}
	_, err := c.sbi.Do(ctx, http.MethodDelete, c.InstanceURI(id), nil, nil)
	if err != nil && !sbi.IsNotFound(err) {
		return fmt.Errorf("nrfc: deregister %s: %w", id, err)
	}
	c.log.Info("deregistered from NRF", "nf_instance_id", id)
	return nil
}

// Run registers profile (retrying until the NRF answers), heartbeats until
// ctx ends, then deregisters. Failed heartbeats are logged and retried at
// the next interval. It returns nil when ctx ends.
func (c *Client) Run(ctx context.Context, profile models.Nrf_NFMgmt_NFProfile) error {
	for {
		_, err := c.Register(ctx, profile)
		if err == nil {
			break
		}
		c.log.Warn("NRF registration failed; retrying", "err", err, "in", c.retry)
		if !sleep(ctx, c.retry) {
			return nil
		}
	}
	for sleep(ctx, c.HeartbeatInterval()) {
		if err := c.Heartbeat(ctx); err != nil && !errors.Is(err, ErrNotRegistered) && ctx.Err() == nil {
			c.log.Warn("NRF heartbeat failed", "err", err)
		}
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deregisterTimeout)
	defer cancel()
	if err := c.Deregister(dctx); err != nil {
		c.log.Warn("NRF deregistration failed", "err", err)
	}
	return nil
}

// sleep waits d, reporting false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
