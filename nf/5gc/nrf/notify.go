package nrf

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// subscriptions are the status subscriptions by subscriptionId.
type subscriptions struct {
	mu   sync.RWMutex
	byID map[string]models.Nrf_NFMgmt_SubscriptionData
}

func newSubscriptions() *subscriptions {
	return &subscriptions{byID: map[string]models.Nrf_NFMgmt_SubscriptionData{}}
}

func (s *subscriptions) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}

// add stores sub under a new id, unless max are held already.
func (s *subscriptions) add(sub models.Nrf_NFMgmt_SubscriptionData, max int) (models.Nrf_NFMgmt_SubscriptionData, bool) {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	sub.SubscriptionId = hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= max {
		return sub, false
	}
	s.byID[sub.SubscriptionId] = sub
	return sub, true
}

func (s *subscriptions) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.byID[id]
	delete(s.byID, id)
	return ok
}

// matching lists the callback URIs of subscriptions that want e.
func (s *subscriptions) matching(e event) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var uris []string
	for _, sub := range s.byID {
		if wants(sub, e) {
			uris = append(uris, sub.NfStatusNotificationUri)
		}
	}
	return uris
}

// wants: the event is one asked for (all when none named) and the NF meets
// the subscription's condition (nfType, nfInstanceId, nfInstanceIdList).
func wants(sub models.Nrf_NFMgmt_SubscriptionData, e event) bool {
	if len(sub.ReqNotifEvents) > 0 && !slices.Contains(sub.ReqNotifEvents, e.kind) {
		return false
	}
	c := sub.SubscrCond
	if c == nil {
		return true
	}
	return (c.NfType == "" || c.NfType == string(e.nfType)) &&
		(c.NfInstanceId == "" || c.NfInstanceId == e.id) &&
		(len(c.NfInstanceIdList) == 0 || slices.Contains(c.NfInstanceIdList, e.id))
}

// checkSubscription validates what the NRF relies on in a new subscription.
func checkSubscription(sub models.Nrf_NFMgmt_SubscriptionData) error {
	if sub.NfStatusNotificationUri == "" {
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "nfStatusNotificationUri is required")
	}
	if u, err := url.Parse(sub.NfStatusNotificationUri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidIE("/nfStatusNotificationUri", fmt.Sprintf("%q is not an http(s) URI", sub.NfStatusNotificationUri))
	}
	for _, ev := range sub.ReqNotifEvents {
		switch ev {
		case models.Nrf_NFMgmt_NotificationEventType_REGISTERED, models.Nrf_NFMgmt_NotificationEventType_DEREGISTERED,
			models.Nrf_NFMgmt_NotificationEventType_PROFILE_CHANGED:
		default:
			return invalidIE("/reqNotifEvents", fmt.Sprintf("%q is not a status event", ev))
		}
	}
	if c := sub.SubscrCond; c != nil && c.NfType != "" && !nfTypeRe.MatchString(c.NfType) {
		return invalidIE("/subscrCond/nfType", fmt.Sprintf("%q is not an NF type", c.NfType))
	}
	return nil
}

// publish queues e for every subscription that wants it. It never blocks:
// registration must not wait on a slow subscriber.
func (n *NF) publish(e event) {
	uris := n.subs.matching(e)
	if len(uris) == 0 {
		return
	}
	data := models.Nrf_NFMgmt_NotificationData{Event: e.kind, NfInstanceUri: n.apiRoot() + "/nnrf-nfm/v1/nf-instances/" + e.id}
	if e.kind != models.Nrf_NFMgmt_NotificationEventType_DEREGISTERED {
		data.NfProfile = e.profile
	}
	for _, uri := range uris {
		n.notify.enqueue(notification{uri: uri, data: data})
	}
}

type notification struct {
	uri  string
	data models.Nrf_NFMgmt_NotificationData
}

// notifier POSTs notifications from bounded queues. One worker owns each
// callback URI (by hash), so a subscriber sees its events in order.
type notifier struct {
	client *sbi.Client
	log    *slog.Logger
	stats  *stats
	queues []chan notification
}

func newNotifier(c *sbi.Client, cfg NotifyConfig, log *slog.Logger, st *stats) *notifier {
	n := &notifier{client: c, log: log, stats: st, queues: make([]chan notification, cfg.Workers)}
	per := max(cfg.Queue/cfg.Workers, 1)
	for i := range n.queues {
		n.queues[i] = make(chan notification, per)
	}
	return n
}

func (n *notifier) enqueue(m notification) {
	h := fnv.New32a()
	h.Write([]byte(m.uri))
	select {
	case n.queues[h.Sum32()%uint32(len(n.queues))] <- m:
	default:
		n.stats.notifications.WithLabelValues("dropped").Inc()
		n.log.Warn("notification queue full: dropped", "uri", m.uri, "event", m.data.Event, "nf", m.data.NfInstanceUri)
	}
}

// run sends until ctx ends; what is still queued then is dropped.
func (n *notifier) run(ctx context.Context) error {
	defer n.client.CloseIdleConnections()
	var wg sync.WaitGroup
	for _, q := range n.queues {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-q:
					n.send(ctx, m)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

func (n *notifier) send(ctx context.Context, m notification) {
	if _, err := n.client.Do(ctx, http.MethodPost, m.uri, m.data, nil); err != nil {
		n.stats.notifications.WithLabelValues("failed").Inc()
		n.log.Warn("notification failed", "uri", m.uri, "event", m.data.Event, "nf", m.data.NfInstanceUri, "err", err)
		return
	}
	n.stats.notifications.WithLabelValues("sent").Inc()
}
