package udm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Client calls a UDM's Nudm APIs (the AUSF and the AMF use it). Errors
// from the UDM are *sbi.ProblemError; match them with sbi.StatusOf and
// sbi.CauseOf (404 USER_NOT_FOUND, 403 AUTHENTICATION_REJECTED ...).
type Client struct {
	sbi *sbi.Client
	loc *nfsbi.Locator
}

// NewClient sends through s to the UDM that loc finds.
func NewClient(s *sbi.Client, loc *nfsbi.Locator) *Client { return &Client{sbi: s, loc: loc} }

// GenerateAuthData asks for a 5G HE AV for supiOrSuci.
func (c *Client) GenerateAuthData(ctx context.Context, supiOrSuci string, req models.Udm_UEAU_AuthenticationInfoRequest) (
	models.Udm_UEAU_AuthenticationInfoResult, error) {
	var out models.Udm_UEAU_AuthenticationInfoResult
	path := "/nudm-ueau/v1/" + url.PathEscape(supiOrSuci) + "/security-information/generate-auth-data"
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodPost, path, req, &out); err != nil {
		return out, fmt.Errorf("udm: generate-auth-data: %w", err)
	}
	return out, nil
}

func sdmPath(supi, set string, plmn *models.PlmnId, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if plmn != nil {
		b, _ := json.Marshal(plmn) // two strings always marshal
		q.Set("plmn-id", string(b))
	}
	p := "/nudm-sdm/v2/" + url.PathEscape(supi) + "/" + set
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// AMData reads the access and mobility subscription data (nil plmn: the
// home PLMN).
func (c *Client) AMData(ctx context.Context, supi string, plmn *models.PlmnId) (models.Udm_SDM_AccessAndMobilitySubscriptionData, error) {
	var out models.Udm_SDM_AccessAndMobilitySubscriptionData
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, sdmPath(supi, "am-data", plmn, nil), nil, &out); err != nil {
		return out, fmt.Errorf("udm: am-data: %w", err)
	}
	return out, nil
}

// SMFSelectData reads the SMF selection subscription data.
func (c *Client) SMFSelectData(ctx context.Context, supi string, plmn *models.PlmnId) (models.Udm_SDM_SmfSelectionSubscriptionData, error) {
	var out models.Udm_SDM_SmfSelectionSubscriptionData
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, sdmPath(supi, "smf-select-data", plmn, nil), nil, &out); err != nil {
		return out, fmt.Errorf("udm: smf-select-data: %w", err)
	}
	return out, nil
}

// SMData reads session management data, optionally of one slice and/or dnn.
func (c *Client) SMData(ctx context.Context, supi string, plmn *models.PlmnId, slice *models.Snssai, dnn string) (
	[]models.Udm_SDM_SessionManagementSubscriptionData, error) {
	q := url.Values{}
	if slice != nil {
		q.Set("single-nssai", udr.SnssaiKey(*slice))
	}
	if dnn != "" {
		q.Set("dnn", dnn)
	}
	var out []models.Udm_SDM_SessionManagementSubscriptionData
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, sdmPath(supi, "sm-data", plmn, q), nil, &out); err != nil {
		return nil, fmt.Errorf("udm: sm-data: %w", err)
	}
	return out, nil
}

func uecmPath(ueID string) string {
	return "/nudm-uecm/v1/" + url.PathEscape(ueID) + "/registrations/amf-3gpp-access"
}

// RegisterAMF3GPP records the serving AMF for 3GPP access; created
// reports a new registration (201) rather than a replaced one (200).
func (c *Client) RegisterAMF3GPP(ctx context.Context, ueID string, reg models.Udm_UECM_Amf3GppAccessRegistration) (bool, error) {
	resp, err := c.loc.Do(ctx, c.sbi, http.MethodPut, uecmPath(ueID), reg, nil)
	if err != nil {
		return false, fmt.Errorf("udm: amf registration: %w", err)
	}
	return resp.Status == http.StatusCreated, nil
}

// AMF3GPPRegistration reads the serving AMF registration.
func (c *Client) AMF3GPPRegistration(ctx context.Context, ueID string) (models.Udm_UECM_Amf3GppAccessRegistration, error) {
	var out models.Udm_UECM_Amf3GppAccessRegistration
	if _, err := c.loc.Do(ctx, c.sbi, http.MethodGet, uecmPath(ueID), nil, &out); err != nil {
		return out, fmt.Errorf("udm: amf registration: %w", err)
	}
	return out, nil
}
