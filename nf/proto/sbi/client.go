package sbi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/free5gc/openapi/models"
)

// Client defaults.
const (
	DefaultTimeout          = 5 * time.Second
	DefaultMaxResponseBytes = 4 << 20
)

// ClientConfig tunes an SBI client; the zero value is usable.
type ClientConfig struct {
	// Timeout bounds each request unless ctx has an earlier deadline
	// (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxResponseBytes bounds response bodies (default 4 MiB).
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// CA is a PEM file of roots trusted for https:// peers; empty: system.
	CA string `yaml:"ca"`
}

// Validate checks the numbers are not negative.
func (c ClientConfig) Validate() error {
	if c.Timeout < 0 || c.MaxResponseBytes < 0 {
		return fmt.Errorf("sbi client: timeout %v and max_response_bytes %d must not be negative",
			c.Timeout, c.MaxResponseBytes)
	}
	return nil
}

// Client sends SBI requests over HTTP/2: prior-knowledge cleartext for
// http:// URIs, TLS for https://. It is safe for concurrent use.
type Client struct {
	hc      *http.Client
	timeout time.Duration
	maxBody int64
}

// NewClient builds a client from cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CA != "" {
		pem, err := os.ReadFile(cfg.CA)
		if err != nil {
			return nil, fmt.Errorf("sbi client: read CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("sbi client: no certificates in %s", cfg.CA)
		}
		tlsCfg.RootCAs = pool
	}
	var protos http.Protocols
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(true) // without HTTP1: h2c for http:// URIs
	tr := &http.Transport{
		Protocols:       &protos,
		TLSClientConfig: tlsCfg,
		DialContext:     (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// Pings find a peer that vanished (an NRF restarted elsewhere)
		// instead of waiting for the kernel to give up on the socket.
		HTTP2:               &http.HTTP2Config{SendPingTimeout: 15 * time.Second, PingTimeout: 5 * time.Second},
		TLSHandshakeTimeout: 3 * time.Second,
		IdleConnTimeout:     90 * time.Second,
	}
	c := &Client{hc: &http.Client{Transport: tr}, timeout: cfg.Timeout, maxBody: cfg.MaxResponseBytes}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	return c, nil
}

// HTTP is the underlying client, for requests the helpers do not cover.
func (c *Client) HTTP() *http.Client { return c.hc }

// CloseIdleConnections closes pooled connections (tests, shutdown).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Request is one SBI request. Body is JSON-encoded unless it is []byte or
// json.RawMessage; ContentType defaults to application/json, or
// application/json-patch+json for a []models.PatchItem body.
type Request struct {
	Method      string
	URL         string
	Body        any
	ContentType string
	Header      http.Header
}

// Response is what came back: status, headers, and the raw body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends method url with body (nil: none) and decodes a 2xx body into out
// (nil: ignore). See Send.
func (c *Client) Do(ctx context.Context, method, url string, body, out any) (*Response, error) {
	return c.Send(ctx, Request{Method: method, URL: url, Body: body}, out)
}

// Send sends req. Once a response arrives, the *Response is returned even
// with an error; a status >= 400 is a *ProblemError.
func (c *Client) Send(ctx context.Context, req Request, out any) (*Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	hreq, err := c.newRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("sbi: %s %s: %w", req.Method, req.URL, err)
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("sbi: %s %s: read response: %w", req.Method, req.URL, err)
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}
	if int64(len(body)) > c.maxBody {
		return resp, fmt.Errorf("sbi: %s %s: response body over %d bytes", req.Method, req.URL, c.maxBody)
	}
	if resp.Status >= 400 {
		return resp, problemFrom(resp)
	}
	if out != nil && len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return resp, fmt.Errorf("sbi: %s %s: decode response: %w", req.Method, req.URL, err)
		}
	}
	return resp, nil
}

func (c *Client) newRequest(ctx context.Context, req Request) (*http.Request, error) {
	var body io.Reader
	ctype := req.ContentType
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case json.RawMessage:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("sbi: encode %s %s body: %w", req.Method, req.URL, err)
		}
		body = bytes.NewReader(data)
		if _, patch := b.([]models.PatchItem); patch && ctype == "" {
			ctype = ContentPatch
		}
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("sbi: new request: %w", err)
	}
	for k, vs := range req.Header {
		hreq.Header[k] = vs
	}
	if body != nil {
		if ctype == "" {
			ctype = ContentJSON
		}
		hreq.Header.Set("Content-Type", ctype)
	}
	hreq.Header.Set("Accept", ContentJSON+", "+ContentProblem)
	return hreq, nil
}

// problemFrom decodes an error response's ProblemDetails, or makes one.
func problemFrom(resp *Response) *ProblemError {
	pe := NewProblem(resp.Status, "", "")
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && isJSON(mt) {
		var p models.ProblemDetails
		if err := json.Unmarshal(resp.Body, &p); err == nil {
			if p.Status == 0 {
				p.Status = int32(resp.Status)
			}
			pe.Problem = p
			return pe
		}
	}
	pe.Problem.Detail = truncate(string(bytes.TrimSpace(resp.Body)), 256)
	return pe
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }
