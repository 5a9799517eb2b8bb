package udr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// ErrSQNConflict: a conditional SQN update lost against another writer;
// read the subscription again and retry.
var ErrSQNConflict = errors.New("udr: sqn changed by another writer")

// Client calls a UDR's Nudr-DR API (the UDM and the HSS use it). Errors
// from the UDR are *sbi.ProblemError (404 USER_NOT_FOUND for an unknown
// UE); match them with sbi.StatusOf and sbi.CauseOf.
type Client struct {
	sbi *sbi.Client
	loc *nfsbi.Locator
}

// NewClient sends through s to the UDR that loc finds.
func NewClient(s *sbi.Client, loc *nfsbi.Locator) *Client { return &Client{sbi: s, loc: loc} }

func ueBase(supi string) string { return APIRoot + "/subscription-data/" + url.PathEscape(supi) }

// AuthSubscription reads the authentication subscription of supi.
func (c *Client) AuthSubscription(ctx context.Context, supi string) (models.Udr_DR_AuthenticationSubscription, error) {
	var out models.Udr_DR_AuthenticationSubscription
	_, err := c.loc.Do(ctx, c.sbi, http.MethodGet, ueBase(supi)+"/authentication-data/authentication-subscription", nil, &out)
	if err != nil {
		return out, fmt.Errorf("udr: authentication subscription of %s: %w", supi, err)
	}
	return out, nil
}

// UpdateSQN moves the SQN of supi from old to next, unless another writer
// changed it first (an error matching ErrSQNConflict).
func (c *Client) UpdateSQN(ctx context.Context, supi, old, next string) error {
	_, err := c.loc.Do(ctx, c.sbi, http.MethodPatch, ueBase(supi)+"/authentication-data/authentication-subscription",
		SQNPatch(old, next), nil)
	if sbi.StatusOf(err) == http.StatusConflict {
		return fmt.Errorf("%w: %w", ErrSQNConflict, err)
	}
	if err != nil {
		return fmt.Errorf("udr: update sqn of %s: %w", supi, err)
	}
	return nil
}

func provisioned(supi, plmn, set string) string {
	return ueBase(supi) + "/" + url.PathEscape(plmn) + "/provisioned-data/" + set
}

// AMData reads the access and mobility subscription data.
func (c *Client) AMData(ctx context.Context, supi, plmn string) (models.Udr_DR_AccessAndMobilitySubscriptionData, error) {
	var out models.Udr_DR_AccessAndMobilitySubscriptionData
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, provisioned(supi, plmn, "am-data"), nil, &out); err != nil {
		return out, fmt.Errorf("udr: am-data of %s: %w", supi, err)
	}
	return out, nil
}

// SMFSelectionData reads the SMF selection subscription data.
func (c *Client) SMFSelectionData(ctx context.Context, supi, plmn string) (models.Udr_DR_SmfSelectionSubscriptionData, error) {
	var out models.Udr_DR_SmfSelectionSubscriptionData
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, provisioned(supi, plmn, "smf-selection-subscription-data"), nil, &out); err != nil {
		return out, fmt.Errorf("udr: smf-selection data of %s: %w", supi, err)
	}
	return out, nil
}

// SMData reads the session management data, optionally for one slice
// and/or dnn.
func (c *Client) SMData(ctx context.Context, supi, plmn string, slice *models.Snssai, dnn string) ([]models.Udm_SDM_SessionManagementSubscriptionData, error) {
	q := url.Values{}
	if slice != nil {
		q.Set("single-nssai", SnssaiKey(*slice))
	}
	if dnn != "" {
		q.Set("dnn", dnn)
	}
	path := provisioned(supi, plmn, "sm-data")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []models.Udm_SDM_SessionManagementSubscriptionData
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, path, nil, &out); err != nil {
		return nil, fmt.Errorf("udr: sm-data of %s: %w", supi, err)
	}
	return out, nil
}

// PutAMF3GPP stores the serving AMF registration; created reports that
// there was none.
func (c *Client) PutAMF3GPP(ctx context.Context, supi string, reg models.Udr_DR_Amf3GppAccessRegistration) (created bool, err error) {
	resp, err := c.loc.Do(ctx, c.sbi, http.MethodPut, ueBase(supi)+"/context-data/amf-3gpp-access", reg, nil)
	if err != nil {
		return false, fmt.Errorf("udr: store amf registration of %s: %w", supi, err)
	}
	return resp.Status == http.StatusCreated, nil
}

// AMF3GPP reads the serving AMF registration.
func (c *Client) AMF3GPP(ctx context.Context, supi string) (models.Udr_DR_Amf3GppAccessRegistration, error) {
	var out models.Udr_DR_Amf3GppAccessRegistration
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, ueBase(supi)+"/context-data/amf-3gpp-access", nil, &out); err != nil {
		return out, fmt.Errorf("udr: amf registration of %s: %w", supi, err)
	}
	return out, nil
}
