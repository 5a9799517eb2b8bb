package gtpv2c

import "sync"

// TEIDs allocates local TEIDs (GTPv2-C or GTP-U): non-zero, unique among
// those held, not reused right after release. The zero value is ready.
type TEIDs struct {
	mu   sync.Mutex
	last uint32
	used map[uint32]struct{}
}

// Alloc returns a free TEID.
func (t *TEIDs) Alloc() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.used == nil {
		t.used = map[uint32]struct{}{}
	}
	for {
		t.last++
		if t.last == 0 {
			continue // 0 means "not yet known" in GTP
		}
		if _, taken := t.used[t.last]; !taken {
			t.used[t.last] = struct{}{}
			return t.last
		}
	}
}

// Free releases teid.
func (t *TEIDs) Free(teid uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.used, teid)
}

// InUse is how many TEIDs are held.
func (t *TEIDs) InUse() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.used)
}
