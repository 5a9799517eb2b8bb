package ausf

import (
	"crypto/subtle"
	"sync"
	"time"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// authCtx is one 5G AKA run waiting for its confirmation.
type authCtx struct {
	supi     string
	snn      string
	xresStar aka.RESStar
	kseaf    aka.Key256
	expires  time.Time
}

// verify compares RES* with XRES* in constant time.
func (a *authCtx) verify(resStar aka.RESStar) bool {
	return subtle.ConstantTimeCompare(resStar[:], a.xresStar[:]) == 1
}

// contexts holds the authentication contexts by id, at most max of them.
type contexts struct {
	mu  sync.Mutex
	m   map[string]*authCtx
	max int
}

func newContexts(max int) *contexts { return &contexts{m: map[string]*authCtx{}, max: max} }

// add stores a and returns its id; false when the table is full.
func (c *contexts) add(a *authCtx) (string, bool) {
	id := nrfc.NewInstanceID() // a random UUID: unguessable, as the id is a URI
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		return "", false
	}
	c.m[id] = a
	return id, true
}

// take removes and returns the context id if it is still live at now;
// expired reports one that outlived its deadline.
func (c *contexts) take(id string, now time.Time) (a *authCtx, expired bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[id]
	if !ok {
		return nil, false
	}
	delete(c.m, id)
	if !now.Before(a.expires) {
		return nil, true
	}
	return a, false
}

// sweep drops the contexts expired at now and says how many.
func (c *contexts) sweep(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id, a := range c.m {
		if !now.Before(a.expires) {
			delete(c.m, id)
			n++
		}
	}
	return n
}

func (c *contexts) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
