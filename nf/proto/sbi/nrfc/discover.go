package nrfc

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/free5gc/openapi/models"
)

// maxCacheEntries bounds the discovery cache; queries are few per NF, so
// reaching it means callers vary parameters wildly and caching buys little.
const maxCacheEntries = 1024

// Discover searches the NRF for q, answering from the cache while the
// NRF's validityPeriod for the same query lasts. Results are shared with
// the cache: treat them as read-only.
func (c *Client) Discover(ctx context.Context, q Query) (models.Nrf_NFDisc_SearchResult, error) {
	key := q.Encode()
	now := c.now()
	if r, ok := c.cache.get(key, now); ok {
		return r, nil
	}
	gen := c.cache.generation()
	var res models.Nrf_NFDisc_SearchResult
	if _, err := c.sbi.Do(ctx, http.MethodGet, c.root+PathDiscovery+"?"+key, nil, &res); err != nil {
		return res, fmt.Errorf("nrfc: discover %s: %w", key, err)
	}
	if res.ValidityPeriod > 0 {
		c.cache.put(gen, key, q.TargetNfType, res, now.Add(time.Duration(res.ValidityPeriod)*time.Second))
	}
	return res, nil
}

// InvalidateCache drops cached results for nfType and those holding
// instance id (either may be empty); both empty drops everything.
func (c *Client) InvalidateCache(nfType models.Nrf_NFMgmt_NFType, id string) {
	c.cache.invalidate(nfType, id)
}

// CachedQueries is how many discovery results the cache holds (tests, metrics).
func (c *Client) CachedQueries() int {
	c.cache.mu.Lock()
	defer c.cache.mu.Unlock()
	return len(c.cache.entries)
}

type cacheEntry struct {
	target  models.Nrf_NFMgmt_NFType
	result  models.Nrf_NFDisc_SearchResult
	expires time.Time
}

// cache maps a canonical query string to its result. gen counts
// invalidations, so a search that raced one does not store a stale answer.
type cache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cacheEntry
}

func (c *cache) get(key string, now time.Time) (models.Nrf_NFDisc_SearchResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return models.Nrf_NFDisc_SearchResult{}, false
	}
	if !now.Before(e.expires) {
		delete(c.entries, key)
		return models.Nrf_NFDisc_SearchResult{}, false
	}
	return e.result, true
}

func (c *cache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *cache) put(gen uint64, key string, target models.Nrf_NFMgmt_NFType, r models.Nrf_NFDisc_SearchResult, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= maxCacheEntries {
		clear(c.entries)
	}
	c.entries[key] = cacheEntry{target: target, result: r, expires: expires}
}

func (c *cache) invalidate(nfType models.Nrf_NFMgmt_NFType, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		hit := nfType == "" && id == "" || nfType != "" && e.target == nfType ||
			id != "" && slices.ContainsFunc(e.result.NfInstances, func(p models.Nrf_NFDisc_NFProfile) bool {
				return p.NfInstanceId == id
			})
		if hit {
			delete(c.entries, k)
		}
	}
}
