package pcf

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Client calls Npcf_SMPolicyControl (the SMF uses it). An association is
// named by its URI, the Location of its creation, so later calls reach the
// PCF instance that holds it. Errors from the PCF are *sbi.ProblemError
// (403 POLICY_CONTEXT_DENIED, 404 CONTEXT_NOT_FOUND ...).
type Client struct {
	sbi *sbi.Client
}

// NewClient sends through s.
func NewClient(s *sbi.Client) *Client { return &Client{sbi: s} }

// Create asks the PCF at apiRoot for a session's policy; it returns the
// association's URI and the decision.
func (c *Client) Create(ctx context.Context, apiRoot string, req models.Pcf_SMPolCtrl_SmPolicyContextData) (
	string, models.Pcf_SMPolCtrl_SmPolicyDecision, error) {
	var d models.Pcf_SMPolCtrl_SmPolicyDecision
	resp, err := c.sbi.Do(ctx, http.MethodPost, strings.TrimSuffix(apiRoot, "/")+PathPolicies, req, &d)
	if err != nil {
		return "", d, fmt.Errorf("pcf: create sm policy: %w", err)
	}
	loc := resp.Header.Get("Location")
	if resp.Status != http.StatusCreated || loc == "" {
		return "", d, fmt.Errorf("pcf: create sm policy: status %d, Location %q: want 201 with a Location", resp.Status, loc)
	}
	return loc, d, nil
}

// Get reads the association at uri: its context and decision.
func (c *Client) Get(ctx context.Context, uri string) (models.Pcf_SMPolCtrl_SmPolicyControl, error) {
	var out models.Pcf_SMPolCtrl_SmPolicyControl
	if _, err := c.sbi.Do(ctx, http.MethodGet, uri, nil, &out); err != nil {
		return out, fmt.Errorf("pcf: get sm policy: %w", err)
	}
	if out.Policy == nil {
		return out, errors.New("pcf: get sm policy: reply has no policy")
	}
	return out, nil
}

// Update reports changes of the session and returns the decision.
func (c *Client) Update(ctx context.Context, uri string, upd models.Pcf_SMPolCtrl_SmPolicyUpdateContextData) (
	models.Pcf_SMPolCtrl_SmPolicyDecision, error) {
	var d models.Pcf_SMPolCtrl_SmPolicyDecision
	if _, err := c.sbi.Do(ctx, http.MethodPost, uri+"/update", upd, &d); err != nil {
		return d, fmt.Errorf("pcf: update sm policy: %w", err)
	}
	return d, nil
}

// Delete ends the association.
func (c *Client) Delete(ctx context.Context, uri string, del models.Pcf_SMPolCtrl_SmPolicyDeleteData) error {
	if _, err := c.sbi.Do(ctx, http.MethodPost, uri+"/delete", del, nil); err != nil {
		return fmt.Errorf("pcf: delete sm policy: %w", err)
	}
	return nil
}
