// Package sbi is the 5G Service Based Interface plumbing every corebox 5GC
// NF shares: an HTTP/2 server and client (cleartext h2c by default, TLS when
// configured), JSON and ProblemDetails (TS 29.500 §5.2.7) helpers, and
// Prometheus metrics for SBI traffic. Payloads are the models of
// github.com/free5gc/openapi/models; the NRF client is in package
// nf/proto/sbi/nrfc.
//
// # API
//
// Server (HTTP/2 prior-knowledge cleartext and HTTP/1.1 on one port; h2 and
// HTTP/1.1 over TLS when TLS is set):
//
//	type TLSConfig struct{ Cert, Key string }           // yaml: cert, key (PEM files)
//	type ServerConfig struct{ Listen string; TLS *TLSConfig } // yaml: listen, tls
//	func (c ServerConfig) Validate() error
//	func (c ServerConfig) Scheme() string               // "http" or "https"
//	func NewServer(cfg ServerConfig, log *slog.Logger) (*Server, error)
//	func (s *Server) Run(ctx context.Context, h http.Handler) error // graceful stop on ctx
//	func (s *Server) Serve(ctx context.Context, ln net.Listener, h http.Handler) error
//	func (s *Server) Addr() net.Addr                    // nil until listening
//	func (s *Server) URL() string                       // scheme://addr, "" until listening
//
// Client (h2c prior knowledge for http://, h2 over TLS for https://):
//
//	type ClientConfig struct{ Timeout time.Duration; MaxResponseBytes int64; CA string }
//	func NewClient(cfg ClientConfig) (*Client, error)   // zero cfg: 5s, 4 MiB, system roots
//	func (c *Client) Do(ctx, method, url string, body, out any) (*Response, error)
//	func (c *Client) Send(ctx context.Context, req Request, out any) (*Response, error)
//	func (c *Client) HTTP() *http.Client
//	func (c *Client) CloseIdleConnections()
//	type Request struct{ Method, URL string; Body any; ContentType string; Header http.Header }
//	type Response struct{ Status int; Header http.Header; Body []byte }
//
// Body is JSON-encoded ([]byte and json.RawMessage are sent as they are;
// []models.PatchItem goes as application/json-patch+json). A 2xx body is
// decoded into out when out is non-nil. A status >= 400 returns a non-nil
// *Response and a *ProblemError, which callers match with errors.As:
//
//	type ProblemError struct{ Status int; Problem models.ProblemDetails }
//	func StatusOf(err error) int                        // ProblemError status, else 0
//	func CauseOf(err error) string                      // ProblemError cause, else ""
//
//	func NewProblem(status int, cause, detail string) *ProblemError
//	func IsNotFound(err error) bool
//
// Server-side JSON and problems:
//
//	func WriteJSON(w http.ResponseWriter, status int, v any)
//	func WriteProblem(w http.ResponseWriter, status int, cause, detail string)
//	func WriteProblemDetails(w http.ResponseWriter, p models.ProblemDetails)
//	func WriteError(w http.ResponseWriter, err error)   // a *ProblemError as is, else 500
//	func ReadJSON(w http.ResponseWriter, r *http.Request, v any) error // answers 4xx itself
//	func ParseJSON(data []byte, v any) *ProblemError    // the decoding ReadJSON does
//	func Malformed(r *http.Request, err error)          // count+log a rejected request
//	const ContentJSON, ContentProblem, ContentPatch     // media types
//	const MaxBodyBytes                                  // 1 MiB request bodies
//	const Cause...                                      // TS 29.500 causes
//
// ReadJSON answers a malformed body with 400 ProblemDetails (cause
// INVALID_MSG_FORMAT for bad JSON, MANDATORY_IE_INCORRECT for a wrong type,
// with invalidParams naming the field), 413 for bodies over MaxBodyBytes and
// 415 for non-JSON content types, then returns the error: the handler just
// returns. Under Metrics.Wrap the body is also counted and logged.
//
// Metrics:
//
//	func NewMetrics(prefix string, log *slog.Logger) *Metrics
//	func (m *Metrics) Collectors() []prometheus.Collector
//	func (m *Metrics) Wrap(service string, h http.Handler) http.Handler
//	func (m *Metrics) RequestCounter(service, method, statusClass string) prometheus.Counter
//	func (m *Metrics) MalformedCounter(service string) prometheus.Counter
//
// With prefix "corebox_nrf": corebox_nrf_requests_total{service, method,
// status_class} and corebox_nrf_malformed_requests_total{service}.
//
// # Notes on the free5gc models (v1.3.0)
//
//   - Every attribute is `omitempty`: an int32 0 (load 0, priority 0) or a
//     false bool is absent on the wire. Readers must treat absent as zero;
//     the corebox NRF lets JSON Patch replace/remove an absent member.
//   - Times are *time.Time (or time.Time in maps), RFC 3339 on the wire.
//   - NF profiles come in two types with the same JSON names:
//     models.Nrf_NFMgmt_NFProfile (register, notifications) and
//     models.Nrf_NFDisc_NFProfile (SearchResult.NfInstances).
//   - models.PatchItem.Value is `any`: after decoding, numbers are float64.
//   - Nrf_NFMgmt_SubscrCond flattens the spec's oneOf conditions into one
//     struct (NfType, NfInstanceId, NfInstanceIdList, ServiceName, ...).
//   - Import only github.com/free5gc/openapi/models: the generated client
//     packages pull in testing and a mocking library.
package sbi
