package pcf

import (
	"crypto/rand"
	"errors"
	"sync"

	"github.com/free5gc/openapi/models"
)

// errFull: the store holds max_policies associations already.
var errFull = errors.New("policy store full")

// association is one SM policy association. Stored ones are never changed
// in place: an update stores a new one, so readers need no lock.
type association struct {
	id       string
	context  models.Pcf_SMPolCtrl_SmPolicyContextData
	decision models.Pcf_SMPolCtrl_SmPolicyDecision
}

// session names the PDU session an association serves.
type session struct {
	supi string
	id   int32
}

func (a *association) session() session { return session{a.context.Supi, a.context.PduSessionId} }

// store holds associations by id, one per PDU session.
type store struct {
	mu        sync.Mutex
	max       int
	byID      map[string]*association
	bySession map[session]string
}

func newStore(max int) *store {
	return &store{max: max, byID: map[string]*association{}, bySession: map[session]string{}}
}

// add stores a under a new id. An association of the same PDU session is
// replaced (the SMF lost it, say after a restart) and its id returned.
func (s *store) add(a *association) (replaced string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, dup := s.bySession[a.session()]
	if !dup && len(s.byID) >= s.max {
		return "", errFull
	}
	if dup {
		delete(s.byID, old)
	}
	a.id = rand.Text()
	s.byID[a.id] = a
	s.bySession[a.session()] = a.id
	return old, nil
}

func (s *store) get(id string) (*association, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	return a, ok
}

// update stores fn(current) in place of association id.
func (s *store) update(id string, fn func(association) association) (*association, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	next := fn(*cur)
	next.id = id
	next.context.Supi, next.context.PduSessionId = cur.context.Supi, cur.context.PduSessionId
	s.byID[id] = &next
	return &next, true
}

func (s *store) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	if !ok {
		return false
	}
	delete(s.byID, id)
	if s.bySession[a.session()] == id {
		delete(s.bySession, a.session())
	}
	return true
}

func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
