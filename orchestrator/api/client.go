package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Client talks to one daemon over its unix socket.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient makes a client for the daemon listening on socket.
func NewClient(socket string) *Client {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}
	return &Client{socket: socket, hc: &http.Client{Transport: &http.Transport{DialContext: dial, DisableCompression: true}}}
}

// Socket is the path the client dials.
func (c *Client) Socket() string { return c.socket }

func (c *Client) url(path string, q url.Values) string {
	u := "http://corebox/" + Version + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (c *Client) request(ctx context.Context, method, path string, q url.Values, body any) (*http.Response, error) {
	var rd io.Reader
	if r, ok := body.(io.Reader); ok {
		rd = r
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), rd)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("corebox daemon at %s: %w", c.socket, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode}
	if err := json.Unmarshal(b, &e.Body); err != nil || e.Body.Error == "" {
		e.Body = ErrorBody{Kind: KindInternal, Error: fmt.Sprintf("daemon answered %s: %s", resp.Status, bytes.TrimSpace(b))}
	}
	return e
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	resp, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer to %s %s: %w", method, path, err)
	}
	return nil
}

// stream sends a request whose answer is a stream of JSON lines; progress
// lines go to progress, and the result is decoded into out.
func stream[T any](ctx context.Context, c *Client, method, path string, q url.Values, body any, progress func(string)) (*T, error) {
	resp, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var line StreamLine[T]
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("decode stream of %s: %w", path, err)
		}
		switch {
		case line.Error != "":
			return nil, &Error{Status: StatusOf(line.Kind), Body: ErrorBody{Error: line.Error, Kind: line.Kind}}
		case line.Result != nil:
			return line.Result, nil
		case progress != nil:
			progress(line.Progress)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read stream of %s: %w", path, err)
	}
	return nil, fmt.Errorf("%s: the daemon ended the stream without a result", path)
}

// Version asks the daemon who it is; it doubles as a liveness check.
func (c *Client) Version(ctx context.Context) (*VersionInfo, error) {
	var v VersionInfo
	return &v, c.do(ctx, http.MethodGet, "/version", nil, nil, &v)
}

// WaitReady polls the daemon until it answers or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := c.Version(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("daemon at %s not ready: %w", c.socket, errors.Join(ctx.Err(), err))
		case <-tick.C:
		}
	}
}
