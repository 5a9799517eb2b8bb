package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketProfiles  = []byte("profiles")
	bucketInstances = []byte("instances")
	bucketEvents    = []byte("events")
)

// ErrNotFound: no such profile or instance.
var ErrNotFound = errors.New("not found")

// maxEvents bounds the event log; older events are dropped.
const maxEvents = 10000

// Store is the orchestrator's database.
type Store struct{ db *bolt.DB }

// Open opens or creates the database at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketProfiles, bucketInstances, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("init state %s: %w", path, err), db.Close())
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

func get(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return fmt.Errorf("%s %s: %w", bucket, key, ErrNotFound)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

// PutProfile stores a profile's desired state.
func (s *Store) PutProfile(d *Desired) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketProfiles, d.Name, d) })
}

// Profile reads a profile's desired state.
func (s *Store) Profile(name string) (*Desired, error) {
	var d Desired
	return &d, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketProfiles, name, &d) })
}

// UpdateProfile reads, changes and writes a profile in one transaction.
func (s *Store) UpdateProfile(name string, change func(*Desired) error) (*Desired, error) {
	var d Desired
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bucketProfiles, name, &d); err != nil {
			return err
		}
		if err := change(&d); err != nil {
			return err
		}
		return put(tx, bucketProfiles, name, &d)
	})
	return &d, err
}

// Profiles lists every profile, by name.
func (s *Store) Profiles() ([]*Desired, error) {
	var out []*Desired
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProfiles).ForEach(func(k, v []byte) error {
			var d Desired
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode profile %s: %w", k, err)
			}
			out = append(out, &d)
			return nil
		})
	})
	return out, err
}

// DeleteProfile removes a profile and its instance records.
func (s *Store) DeleteProfile(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketProfiles).Delete([]byte(name)); err != nil {
			return err
		}
		insts, err := instancesOf(tx, name)
		if err != nil {
			return err
		}
		for _, in := range insts {
			if err := tx.Bucket(bucketInstances).Delete([]byte(in.Name)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutInstance stores an instance record.
func (s *Store) PutInstance(in *Instance) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketInstances, in.Name, in) })
}

// DeleteInstance removes an instance record.
func (s *Store) DeleteInstance(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketInstances).Delete([]byte(name)) })
}

// Instances lists a profile's instance records ("" for all), by name.
func (s *Store) Instances(profile string) ([]*Instance, error) {
	var out []*Instance
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = instancesOf(tx, profile)
		return err
	})
	return out, err
}

func instancesOf(tx *bolt.Tx, profile string) ([]*Instance, error) {
	var out []*Instance
	err := tx.Bucket(bucketInstances).ForEach(func(k, v []byte) error {
		var in Instance
		if err := json.Unmarshal(v, &in); err != nil {
			return fmt.Errorf("decode instance %s: %w", k, err)
		}
		if profile == "" || in.Profile == profile {
			out = append(out, &in)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// AddEvent appends an event, numbering it; the log keeps the newest
// maxEvents.
func (s *Store) AddEvent(e *Event) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		if err := put(tx, bucketEvents, string(seqKey(seq)), e); err != nil {
			return err
		}
		if seq > maxEvents {
			return b.Delete(seqKey(seq - maxEvents))
		}
		return nil
	})
}

// Events returns events after seq (0: from the oldest kept), at most limit.
func (s *Store) Events(after uint64, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
