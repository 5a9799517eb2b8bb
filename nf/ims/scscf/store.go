package scscf

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	ims "github.com/corebox/corebox/nf/proto/sip"
)

// regSeq numbers registrations for their reginfo ids.
var regSeq atomic.Uint64

// binding is one registered contact of a user.
type binding struct {
	id      string // reginfo contact id
	uri     string // the Contact URI
	expires time.Time
	callID  string
	cseq    uint32
	path    []string // Path URIs, outermost first: the route to the UE
}

// pending is an AKA challenge sent and not answered yet.
type pending struct {
	challenge ims.Challenge
	xres      []byte
	deadline  time.Time
}

// user is what the registrar keeps per private identity (IMPI).
type user struct {
	op sync.Mutex // serialises the operations on this user (held across Cx)

	// Guarded by op; bindings, impus and subs are written under the
	// store's mu too, since routing reads them with only that.
	impi     string
	impus    []string // the implicit registration set, from User-Data
	regID    string   // reginfo registration id
	bindings []*binding
	pending  *pending
	subs     []*subscription
	nextID   int
}

func (u *user) registered(now time.Time) bool {
	return slices.ContainsFunc(u.bindings, func(b *binding) bool { return b.expires.After(now) })
}

// store holds the users; one mutex guards all of it (registrations are
// rare next to the work a SIP message costs).
type store struct {
	mu     sync.Mutex
	byIMPI map[string]*user
	byIMPU map[string]*user // registered IMPUs (canonical) to their user
}

func newStore() *store {
	return &store{byIMPI: map[string]*user{}, byIMPU: map[string]*user{}}
}

// index points every IMPU of u at u.
func (s *store) index(u *user) {
	for _, p := range u.impus {
		s.byIMPU[canonicalURI(p)] = u
	}
}

// drop forgets u.
func (s *store) drop(u *user) {
	for _, p := range u.impus {
		if s.byIMPU[canonicalURI(p)] == u {
			delete(s.byIMPU, canonicalURI(p))
		}
	}
	delete(s.byIMPI, u.impi)
}

// counts is the users registered and their bindings.
func (s *store) counts() (users, contacts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.byIMPI {
		if len(u.bindings) > 0 {
			users++
			contacts += len(u.bindings)
		}
	}
	return users, contacts
}
