package pcscf

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Registration is what a 200 to REGISTER taught us about one UE.
type Registration struct {
	Token        string   // our Path user part: terminating requests name it
	IMPUs        []string // P-Associated-URI, the default IMPU first
	ServiceRoute []string // preloaded as Route of originating requests
	Contact      string   // the UE's Contact URI
	Source       string   // ip:port the UE sends from (and receives on)
	Transport    string   // UDP or TCP
	Expires      time.Time
}

// DefaultIMPU is the first P-Associated-URI.
func (r *Registration) DefaultIMPU() string {
	if len(r.IMPUs) == 0 {
		return ""
	}
	return r.IMPUs[0]
}

// registrar holds registrations by source address and by Path token.
type registrar struct {
	mu       sync.Mutex
	max      int
	bySource map[string]*Registration
	byToken  map[string]*Registration
	now      func() time.Time
}

func newRegistrar(max int) *registrar {
	return &registrar{max: max, bySource: map[string]*Registration{}, byToken: map[string]*Registration{}, now: time.Now}
}

// tokenFor is the Path token of source: the one it holds, or a new one.
func (s *registrar) tokenFor(source string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.bySource[source]; ok {
		return r.Token
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "t" + hex.EncodeToString(b)
}

// put stores r (replacing its source's); false when full.
func (s *registrar) put(r *Registration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.bySource[r.Source]
	if !ok && len(s.bySource) >= s.max {
		return false
	}
	if ok {
		delete(s.byToken, old.Token)
	}
	s.bySource[r.Source] = r
	s.byToken[r.Token] = r
	return true
}

func (s *registrar) remove(source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.bySource[source]; ok {
		delete(s.byToken, r.Token)
		delete(s.bySource, source)
	}
}

// bySrc is the live registration of source.
func (s *registrar) bySrc(source string) (*Registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(s.bySource[source])
}

func (s *registrar) byTok(token string) (*Registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(s.byToken[token])
}

// live drops r when expired; callers hold mu.
func (s *registrar) live(r *Registration) (*Registration, bool) {
	if r == nil {
		return nil, false
	}
	if s.now().After(r.Expires) {
		delete(s.byToken, r.Token)
		delete(s.bySource, r.Source)
		return nil, false
	}
	c := *r
	c.IMPUs, c.ServiceRoute = slices.Clone(r.IMPUs), slices.Clone(r.ServiceRoute)
	return &c, true
}

func (s *registrar) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bySource)
}
