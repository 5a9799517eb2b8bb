package ausf

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Client is the AMF's (SEAF's) side of Nausf-UEAU 5G AKA.
type Client struct {
	sbi *sbi.Client
	loc *nfsbi.Locator
}

// NewClient sends through s to the AUSF that loc finds.
func NewClient(s *sbi.Client, loc *nfsbi.Locator) *Client { return &Client{sbi: s, loc: loc} }

// Challenge is what the AMF puts in AUTHENTICATION REQUEST, and where to
// confirm the UE's answer.
type Challenge struct {
	ConfirmURL string // the 5g-aka link
	Location   string // the authentication context resource
	RAND       aka.RAND
	AUTN       aka.AUTN
	HXRESStar  aka.RESStar
}

// Authenticate starts 5G AKA for info (supiOrSuci, servingNetworkName, and
// resynchronizationInfo after a synch failure).
func (c *Client) Authenticate(ctx context.Context, info models.Ausf_UEAU_AuthenticationInfo) (Challenge, error) {
	var out models.Ausf_UEAU_UEAuthenticationCtx
	resp, err := c.loc.Do(ctx, c.sbi, http.MethodPost, PathAuthentications, info, &out)
	if err != nil {
		return Challenge{}, fmt.Errorf("ausf: authenticate: %w", err)
	}
	ch, err := challengeFrom(out)
	if err != nil {
		return Challenge{}, fmt.Errorf("ausf: authenticate: %w", err)
	}
	ch.Location = resp.Header.Get("Location")
	return ch, nil
}

func challengeFrom(out models.Ausf_UEAU_UEAuthenticationCtx) (Challenge, error) {
	var ch Challenge
	if links := out.Links[LinkConfirmation]; len(links) > 0 {
		ch.ConfirmURL = links[0].Href
	}
	if out.AuthType != models.Ausf_UEAU_AuthType_5_G_AKA || ch.ConfirmURL == "" {
		return ch, fmt.Errorf("answer is not a 5G AKA context with a %s link", LinkConfirmation)
	}
	// 5gAuthData decodes as a generic map; re-decode it as Av5gAka.
	raw, err := json.Marshal(out.Var5gAuthData)
	if err != nil {
		return ch, fmt.Errorf("5gAuthData: %w", err)
	}
	var av models.Ausf_UEAU_Av5gAka
	if err := json.Unmarshal(raw, &av); err != nil {
		return ch, fmt.Errorf("5gAuthData: %w", err)
	}
	for _, f := range []struct {
		name, hex string
		dst       []byte
	}{{"rand", av.Rand, ch.RAND[:]}, {"autn", av.Autn, ch.AUTN[:]}, {"hxresStar", av.HxresStar, ch.HXRESStar[:]}} {
		b, err := hex.DecodeString(f.hex)
		if err != nil || len(b) != len(f.dst) {
			return ch, fmt.Errorf("5gAuthData %s: want %d hex digits", f.name, 2*len(f.dst))
		}
		copy(f.dst, b)
	}
	return ch, nil
}

// Confirm sends the UE's RES* to the confirmation link; the answer says
// AUTHENTICATION_SUCCESS (with SUPI and KSEAF) or AUTHENTICATION_FAILURE.
func (c *Client) Confirm(ctx context.Context, confirmURL string, resStar aka.RESStar) (models.Ausf_UEAU_ConfirmationDataResponse, error) {
	var out models.Ausf_UEAU_ConfirmationDataResponse
	rs := resStar.String()
	if _, err := c.sbi.Do(ctx, http.MethodPut, confirmURL, models.Ausf_UEAU_ConfirmationData{ResStar: &rs}, &out); err != nil {
		return out, fmt.Errorf("ausf: confirm: %w", err)
	}
	return out, nil
}
