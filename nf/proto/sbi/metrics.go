package sbi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts an NF's SBI requests. Register Collectors() on the NF's
// registry and wrap each service's handler with Wrap.
type Metrics struct {
	log       *slog.Logger
	requests  *prometheus.CounterVec
	malformed *prometheus.CounterVec
}

// NewMetrics names its metrics "<prefix>_requests_total" and
// "<prefix>_malformed_requests_total" (prefix such as "corebox_nrf").
func NewMetrics(prefix string, log *slog.Logger) *Metrics {
	return &Metrics{
		log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_requests_total",
			Help: "SBI requests served, by service, HTTP method and status class (2xx, 4xx ...).",
		}, []string{"service", "method", "status_class"}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_malformed_requests_total",
			Help: "SBI requests rejected because their body or query could not be decoded.",
		}, []string{"service"}),
	}
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.malformed}
}

// RequestCounter is the request count of one label set (tests, dashboards).
func (m *Metrics) RequestCounter(service, method, statusClass string) prometheus.Counter {
	return m.requests.WithLabelValues(service, method, statusClass)
}

// MalformedCounter is the malformed request count of service.
func (m *Metrics) MalformedCounter(service string) prometheus.Counter {
	return m.malformed.WithLabelValues(service)
}

type ctxKey struct{}

type reqInfo struct {
	m       *Metrics
	service string
}

// Wrap counts h's requests under service (e.g. "nnrf-nfm") and lets
// ReadJSON and Malformed count and log what they reject.
func (m *Metrics) Wrap(service string, h http.Handler) http.Handler {
	info := &reqInfo{m: m, service: service}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
		m.requests.WithLabelValues(service, methodLabel(r.Method), statusClass(sw.status())).Inc()
	})
}

// Malformed counts and logs a request the handler rejects as undecodable
// (a bad query, say) when it runs under Wrap; ReadJSON calls it itself.
func Malformed(r *http.Request, err error) {
	malformed(r, err)
}

func malformed(r *http.Request, err error) {
	info, ok := r.Context().Value(ctxKey{}).(*reqInfo)
	if !ok {
		return
	}
	info.m.malformed.WithLabelValues(info.service).Inc()
	info.m.log.Warn("malformed SBI request", "service", info.service,
		"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
}

// methodLabel keeps the label set bounded whatever clients send.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodPatch,
		http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}

func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach the real writer (Flush etc.).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
