// Package subscribers is the client of the UDR's provisioning API (served
// on the UDR's ops server, mgmt network, port 9090). The CLI's
// `corebox subscriber` and the lab runner use it.
package subscribers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BasePath is where the UDR serves provisioning.
const BasePath = "/provisioning/v1/subscribers"

// DNN is one data network a subscriber may use, with its slice.
type DNN struct {
	DNN     string `json:"dnn"`
	SST     int    `json:"sst"`
	SD      string `json:"sd,omitempty"`
	Default bool   `json:"default,omitempty"`
}

// Subscriber is one provisioned SIM. Exactly one of OP and OPc is set when
// adding; K and OPc are never shown when listing.
type Subscriber struct {
	IMSI   string `json:"imsi"`
	K      string `json:"k,omitempty"`
	OP     string `json:"op,omitempty"`
	OPc    string `json:"opc,omitempty"`
	AMF    string `json:"amf,omitempty"`
	SQN    string `json:"sqn,omitempty"`
	MSISDN string `json:"msisdn,omitempty"`
	DNNs   []DNN  `json:"dnns,omitempty"`
}

// ImportResult is the UDR's answer to a CSV import.
type ImportResult struct {
	Added    int           `json:"added"`
	Replaced int           `json:"replaced"`
	Errors   []ImportError `json:"errors,omitempty"`
}

// ImportError is one refused CSV row.
type ImportError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// Client talks to one UDR instance.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the UDR whose ops server is at hostPort.
func New(hostPort string) *Client {
	return &Client{base: "http://" + hostPort + BasePath, http: &http.Client{Timeout: 30 * time.Second}}
}

// Add provisions s; with replace an existing IMSI is overwritten.
func (c *Client) Add(ctx context.Context, s Subscriber, replace bool) error {
	q := ""
	if replace {
		q = "?replace=true"
	}
	return c.do(ctx, http.MethodPost, c.base+q, "application/json", s, nil)
}

// List returns every subscriber (without keys).
func (c *Client) List(ctx context.Context) ([]Subscriber, error) {
	var out []Subscriber
	return out, c.do(ctx, http.MethodGet, c.base, "", nil, &out)
}

// Remove deletes one subscriber.
func (c *Client) Remove(ctx context.Context, imsi string) error {
	return c.do(ctx, http.MethodDelete, c.base+"/"+url.PathEscape(imsi), "", nil, nil)
}

// Import sends a CSV file (header imsi,k,op,opc,amf,sqn,dnn,sst,sd).
func (c *Client) Import(ctx context.Context, csv io.Reader) (*ImportResult, error) {
	var out ImportResult
	return &out, c.do(ctx, http.MethodPost, c.base+"/import", "text/csv", csv, &out)
}

func (c *Client) do(ctx context.Context, method, u, ctype string, body, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reach the UDR: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read UDR answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return &Error{Status: resp.StatusCode, Message: errorText(data)}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode UDR answer: %w", err)
		}
	}
	return nil
}

// Error is a refusal from the UDR.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("UDR: %s (HTTP %d)", e.Message, e.Status) }

// IsConflict reports whether err says the subscriber already exists.
func IsConflict(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusConflict
}

// errorText pulls the message out of a JSON error body, or returns the text.
func errorText(data []byte) string {
	var body struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
		Title  string `json:"title"`
	}
	if json.Unmarshal(data, &body) == nil {
		for _, s := range []string{body.Error, body.Detail, body.Title} {
			if s != "" {
				return s
			}
		}
	}
	return strings.TrimSpace(string(data))
}

// Range returns count subscribers like base whose IMSIs count up from
// base.IMSI (keeping its length).
func Range(base Subscriber, count int) ([]Subscriber, error) {
	if count < 1 {
		return nil, fmt.Errorf("count %d: want at least 1", count)
	}
	first, err := strconv.ParseUint(base.IMSI, 10, 64)
	if err != nil || len(base.IMSI) != 15 {
		return nil, fmt.Errorf("imsi %q: want 15 digits", base.IMSI)
	}
	out := make([]Subscriber, count)
	for i := range out {
		s := base
		s.IMSI = fmt.Sprintf("%015d", first+uint64(i))
		if len(s.IMSI) != 15 {
			return nil, fmt.Errorf("imsi %q plus %d overflows 15 digits", base.IMSI, i)
		}
		out[i] = s
	}
	return out, nil
}
