package nrfc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Subscribe asks the NRF to POST status notifications to
// sub.NfStatusNotificationUri; the reply carries the subscriptionId.
func (c *Client) Subscribe(ctx context.Context, sub models.Nrf_NFMgmt_SubscriptionData) (models.Nrf_NFMgmt_SubscriptionData, error) {
	if sub.NfStatusNotificationUri == "" {
		return sub, errors.New("nrfc: subscribe: nfStatusNotificationUri is required")
	}
	var reply models.Nrf_NFMgmt_SubscriptionData
	if _, err := c.sbi.Do(ctx, http.MethodPost, c.root+PathSubscriptions, sub, &reply); err != nil {
		return reply, fmt.Errorf("nrfc: subscribe: %w", err)
	}
	if reply.SubscriptionId == "" {
		return reply, errors.New("nrfc: subscribe: the NRF's reply has no subscriptionId")
	}
	return reply, nil
}

// Unsubscribe DELETEs subscription id.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	_, err := c.sbi.Do(ctx, http.MethodDelete, c.root+PathSubscriptions+"/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return fmt.Errorf("nrfc: unsubscribe %s: %w", id, err)
	}
	return nil
}

// NotificationHandler receives the NRF's status notifications (POST of
// NotificationData to the nfStatusNotificationUri): it invalidates the
// discovery cache for the NF concerned, then calls fn (may be nil), and
// answers 204. Malformed notifications get 400 ProblemDetails.
func (c *Client) NotificationHandler(fn func(context.Context, models.Nrf_NFMgmt_NotificationData)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			sbi.WriteProblem(w, http.StatusMethodNotAllowed, "", r.Method+" not allowed")
			return
		}
		var n models.Nrf_NFMgmt_NotificationData
		if err := sbi.ReadJSON(w, r, &n); err != nil {
			return
		}
		id, err := checkNotification(n)
		if err != nil {
			sbi.Malformed(r, err)
			sbi.WriteError(w, err)
			return
		}
		var nfType models.Nrf_NFMgmt_NFType
		if n.NfProfile != nil {
			nfType = n.NfProfile.NfType
		}
		c.InvalidateCache(nfType, id)
		c.log.Debug("NRF notification", "event", n.Event, "nf_instance_id", id, "nf_type", nfType)
		if fn != nil {
			fn(r.Context(), n)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// checkNotification requires a known event and an nfInstanceUri, and
// returns the instance id (the URI's last segment).
func checkNotification(n models.Nrf_NFMgmt_NotificationData) (string, error) {
	switch n.Event {
	case models.Nrf_NFMgmt_NotificationEventType_REGISTERED,
		models.Nrf_NFMgmt_NotificationEventType_DEREGISTERED,
		models.Nrf_NFMgmt_NotificationEventType_PROFILE_CHANGED:
	default:
		return "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			fmt.Sprintf("event %q is not a status event", n.Event))
	}
	u, err := url.Parse(n.NfInstanceUri)
	if n.NfInstanceUri == "" || err != nil {
		return "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			fmt.Sprintf("nfInstanceUri %q is not a URI", n.NfInstanceUri))
	}
	id := path.Base(u.Path)
	if id == "." || id == "/" {
		return "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			fmt.Sprintf("nfInstanceUri %q names no instance", n.NfInstanceUri))
	}
	return id, nil
}
