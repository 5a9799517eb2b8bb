// Package nrfc is the NRF client every corebox 5GC NF uses (TS 29.510):
// register, heartbeat, update, deregister (Nnrf_NFManagement), discover with
// a cache that honours validityPeriod (Nnrf_NFDiscovery), and status
// subscriptions whose notifications invalidate that cache.
//
// A typical NF runs Run(ctx, profile) beside its servers (it registers,
// heartbeats, re-registers when the NRF forgot it, and deregisters on stop),
// uses Registered() in its readiness, SetStatus(ctx, SUSPENDED) to drain,
// mounts NotificationHandler on its SBI server, and calls Discover.
//
// # API
//
//	func New(s *sbi.Client, nrfURI string, opts ...Option) (*Client, error)
//	Options: WithLogger(l), WithClock(now), WithHeartbeatInterval(d), WithRetryInterval(d)
//
//	func (c *Client) Run(ctx, profile models.Nrf_NFMgmt_NFProfile) error
//	func (c *Client) Register(ctx, profile) (models.Nrf_NFMgmt_NFProfile, error)
//	func (c *Client) Heartbeat(ctx) error        // PATCH /nfStatus; 404 → Register again
//	func (c *Client) Update(ctx, items []models.PatchItem) (*models.Nrf_NFMgmt_NFProfile, error)
//	func (c *Client) SetStatus(ctx, status models.Nrf_NFMgmt_NFStatus) error
//	func (c *Client) Deregister(ctx) error
//	func (c *Client) Registered() bool
//	func (c *Client) Profile() models.Nrf_NFMgmt_NFProfile
//	func (c *Client) HeartbeatInterval() time.Duration
//	func (c *Client) InstanceURI(id string) string
//
//	func (c *Client) Discover(ctx, q Query) (models.Nrf_NFDisc_SearchResult, error)
//	func (c *Client) InvalidateCache(nfType models.Nrf_NFMgmt_NFType, id string)
//	func (c *Client) CachedQueries() int
//	type Query struct{ TargetNfType, RequesterNfType models.Nrf_NFMgmt_NFType;
//	    RequesterNfInstanceID, TargetNfInstanceID string; ServiceNames []string;
//	    Snssais []models.Snssai; Dnn string; Limit int }
//	func (q Query) Values() url.Values / Encode() string
//	func ParseQuery(url.Values) (Query, error)   // errors are *sbi.ProblemError (400)
//
//	func (c *Client) Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData) (models.Nrf_NFMgmt_SubscriptionData, error)
//	func (c *Client) Unsubscribe(ctx, id string) error
//	func (c *Client) NotificationHandler(fn func(context.Context, models.Nrf_NFMgmt_NotificationData)) http.Handler
//
//	func NewInstanceID() string                  // random UUIDv4
//	func InstanceIDFor(name string) string       // stable UUIDv5 of an instance name
//	const PathNFInstances, PathSubscriptions, PathDiscovery
//	var ErrNotRegistered
package nrfc
