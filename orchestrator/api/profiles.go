package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// ApplyRequest is POST /v1/profiles: a profile the CLI loaded and resolved.
type ApplyRequest struct {
	Profile  profiles.Profile  `json:"profile"`
	Set      map[string]string `json:"set,omitempty"`
	ImageTag string            `json:"image_tag"`
	DryRun   bool              `json:"dry_run,omitempty"`
}

// Apply applies (or with DryRun only plans) a profile.
func (c *Client) Apply(ctx context.Context, req ApplyRequest) (*controller.Plan, error) {
	var out controller.Plan
	return &out, c.do(ctx, http.MethodPost, "/profiles", nil, req, &out)
}

// ProfileNames lists applied profiles.
func (c *Client) ProfileNames(ctx context.Context) ([]string, error) {
	var out []string
	return out, c.do(ctx, http.MethodGet, "/profiles", nil, nil, &out)
}

// Status reports one profile; withStats adds CPU and memory per instance.
func (c *Client) Status(ctx context.Context, name string, withStats bool) (*controller.Status, error) {
	var out controller.Status
	q := url.Values{"stats": {strconv.FormatBool(withStats)}}
	return &out, c.do(ctx, http.MethodGet, "/profiles/"+url.PathEscape(name), q, nil, &out)
}

// Down starts bringing a profile down.
func (c *Client) Down(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/profiles/"+url.PathEscape(name), nil, nil, nil)
}

// Scale sets replica counts of a profile's NFs.
func (c *Client) Scale(ctx context.Context, name string, replicas map[string]int) error {
	return c.do(ctx, http.MethodPost, "/profiles/"+url.PathEscape(name)+"/scale", nil, replicas, nil)
}

// Events reads the event log after seq; with follow it keeps reading
// until ctx ends, calling fn for each event.
func (c *Client) Events(ctx context.Context, after uint64, follow bool, fn func(state.Event) error) error {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "follow": {strconv.FormatBool(follow)}}
	resp, err := c.request(ctx, http.MethodGet, "/events", q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var ev state.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}
