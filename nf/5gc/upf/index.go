package upf

import (
	"maps"
	"sync/atomic"
)

// ueIndexShards splits the UE address index so that a change copies only
// a small map.
const ueIndexShards = 256

// ueIndex finds a session by UE IPv4 address for the downlink path.
// Lookups take no lock and write no shared memory, so downlink workers on
// several cores never contend: each shard is an immutable map, swapped
// whole by set (callers serialise set with NF.ueMu).
type ueIndex struct {
	shards [ueIndexShards]atomic.Pointer[map[uint32]*session]
}

func (x *ueIndex) get(key uint32) *session {
	m := x.shards[key%ueIndexShards].Load()
	if m == nil {
		return nil
	}
	return (*m)[key]
}

// set points key at s, or removes key when s is nil.
func (x *ueIndex) set(key uint32, s *session) {
	shard := &x.shards[key%ueIndexShards]
	next := map[uint32]*session{}
	if m := shard.Load(); m != nil {
		next = maps.Clone(*m)
	}
	if s == nil {
		delete(next, key)
	} else {
		next[key] = s
	}
	shard.Store(&next)
}
