package nssf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Client calls Nnssf_NSSelection (the AMF and SMF use it). Errors from
// the NSSF are *sbi.ProblemError (403 SNSSAI_NOT_SUPPORTED, 400 ...).
type Client struct {
	sbi *sbi.Client
}

// NewClient sends through s.
func NewClient(s *sbi.Client) *Client { return &Client{sbi: s} }

// Requester names the NF asking: its type and nfInstanceId.
type Requester struct {
	NfType models.Nrf_NFMgmt_NFType
	NfID   string
}

// ForRegistration asks the NSSF at apiRoot which S-NSSAIs a registering
// UE is allowed.
func (c *Client) ForRegistration(ctx context.Context, apiRoot string, who Requester,
	info models.Nssf_NSSel_SliceInfoForRegistration) (models.Nssf_NSSel_AuthorizedNetworkSliceInfo, error) {
	return c.get(ctx, apiRoot, who, ParamForRegistration, info)
}

// ForPDUSession asks which network slice instance serves a PDU session's
// S-NSSAI.
func (c *Client) ForPDUSession(ctx context.Context, apiRoot string, who Requester,
	info models.Nssf_NSSel_SliceInfoForPDUSession) (models.Nssf_NSSel_AuthorizedNetworkSliceInfo, error) {
	return c.get(ctx, apiRoot, who, ParamForPDUSession, info)
}

func (c *Client) get(ctx context.Context, apiRoot string, who Requester, param string, info any) (
	models.Nssf_NSSel_AuthorizedNetworkSliceInfo, error) {
	var out models.Nssf_NSSel_AuthorizedNetworkSliceInfo
	b, err := json.Marshal(info)
	if err != nil {
		return out, fmt.Errorf("nssf: encode %s: %w", param, err)
	}
	q := url.Values{ParamNfType: {string(who.NfType)}, ParamNfID: {who.NfID}, param: {string(b)}}
	u := strings.TrimSuffix(apiRoot, "/") + PathSliceInformation + "?" + q.Encode()
	if _, err := c.sbi.Do(ctx, http.MethodGet, u, nil, &out); err != nil {
		return out, fmt.Errorf("nssf: %s: %w", param, err)
	}
	return out, nil
}
