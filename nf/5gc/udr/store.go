package udr

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/corebox/corebox/nf/aka"
)

// Store errors.
var (
	ErrNotFound      = errors.New("udr: no such subscriber")
	ErrNoContext     = errors.New("udr: no such context data")
	ErrExists        = errors.New("udr: subscriber exists")
	ErrSQNTestFailed = errors.New("udr: sqn test failed")
)

var (
	bucketSubs    = []byte("subscribers") // IMSI -> Subscriber JSON
	bucketAMF3GPP = []byte("amf3gpp")     // IMSI -> Amf3GppAccessRegistration JSON
)

// Store is the subscriber database: one bbolt file. bbolt serialises
// writers, so each method's transaction is atomic against all others.
type Store struct {
	db    *bolt.DB
	count atomic.Int64
	hot   groupCommit // per-registration writes (SQN, UECM): one commit for many
}

// OpenStore opens (creating) the database at path, waiting at most
// timeout for another process's lock on it.
func OpenStore(path string, timeout time.Duration) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("udr: create database directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("udr: open database %s: %w", path, err)
	}
	s := &Store{db: db}
	s.hot.db = db
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSubs, bucketAMF3GPP} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		s.count.Store(int64(tx.Bucket(bucketSubs).Stats().KeyN))
		return nil
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("udr: init database %s: %w", path, err), db.Close())
	}
	return s, nil
}

// Close closes the database file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("udr: close database: %w", err)
	}
	return nil
}

// Count is the number of subscribers.
func (s *Store) Count() int { return int(s.count.Load()) }

// Put stores sub. An existing IMSI is ErrExists unless replace; keepSQN
// keeps the stored SQN of a replaced subscriber.
func (s *Store) Put(sub Subscriber, replace, keepSQN bool) (replaced bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		var perr error
		replaced, perr = put(tx, sub, replace, keepSQN)
		return perr
	})
	if err == nil && !replaced {
		s.count.Add(1)
	}
	return replaced, err
}

// Import stores every subscriber in one transaction, replacing existing
// ones; keepSQN[i] keeps the stored SQN of subs[i] if it exists.
func (s *Store) Import(subs []Subscriber, keepSQN []bool) (added, replaced int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		added, replaced = 0, 0
		for i, sub := range subs {
			r, err := put(tx, sub, true, keepSQN[i])
			if err != nil {
				return err
			}
			if r {
				replaced++
			} else {
				added++
			}
		}
		return nil
	})
	if err == nil {
		s.count.Add(int64(added))
	}
	return added, replaced, err
}

func put(tx *bolt.Tx, sub Subscriber, replace, keepSQN bool) (bool, error) {
	b := tx.Bucket(bucketSubs)
	old, err := getSub(b, sub.IMSI)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if exists && !replace {
		return true, ErrExists
	}
	if exists && keepSQN {
		sub.SQN = old.SQN
	}
	return exists, putSub(b, sub)
}

// Get returns the subscriber with imsi (15 digits).
func (s *Store) Get(imsi string) (Subscriber, error) {
	var sub Subscriber
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		sub, err = getSub(tx.Bucket(bucketSubs), imsi)
		return err
	})
	return sub, err
}

// Delete removes a subscriber and its context data.
func (s *Store) Delete(imsi string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSubs)
		if b.Get([]byte(imsi)) == nil {
			return ErrNotFound
		}
		if err := b.Delete([]byte(imsi)); err != nil {
			return fmt.Errorf("delete %s: %w", imsi, err)
		}
		return tx.Bucket(bucketAMF3GPP).Delete([]byte(imsi))
	})
	if err == nil {
		s.count.Add(-1)
	}
	return err
}

// List calls fn for every subscriber in IMSI order, inside one read
// transaction; fn's error stops the walk.
func (s *Store) List(fn func(Subscriber) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSubs).ForEach(func(k, v []byte) error {
			var sub Subscriber
			if err := json.Unmarshal(v, &sub); err != nil {
				return fmt.Errorf("decode subscriber %s: %w", k, err)
			}
			return fn(sub)
		})
	})
}

// SQNOp is one step of a conditional SQN update: Test fails the whole
// update unless the SQN equals Value; otherwise the SQN becomes Value.
type SQNOp struct {
	Test  bool
	Value aka.SQN
}

// PatchSQN applies ops in order, all or nothing (ErrSQNTestFailed).
// Concurrent calls share commits (see groupCommit).
func (s *Store) PatchSQN(imsi string, ops []SQNOp) error {
	return s.hot.do(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSubs)
		sub, err := getSub(b, imsi)
		if err != nil {
			return err
		}
		cur, err := sqnOf(sub.SQN)
		if err != nil {
			return fmt.Errorf("stored %w", err)
		}
		for _, op := range ops {
			if op.Test && cur != op.Value {
				return fmt.Errorf("%w: sqn is %v, not %v", ErrSQNTestFailed, cur, op.Value)
			}
			cur = op.Value
		}
		sub.SQN = cur.String()
		if err := putSub(b, sub); err != nil {
			return fmt.Errorf("%w: %w", errWriteFailed, err)
		}
		return nil
	})
}

// PutAMF3GPP stores the AMF registration of a subscriber; created reports
// there was none before. Concurrent calls share commits (see groupCommit).
func (s *Store) PutAMF3GPP(imsi string, reg []byte) (created bool, err error) {
	err = s.hot.do(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSubs).Get([]byte(imsi)) == nil {
			return ErrNotFound
		}
		b := tx.Bucket(bucketAMF3GPP)
		created = b.Get([]byte(imsi)) == nil
		if err := b.Put([]byte(imsi), reg); err != nil {
			return fmt.Errorf("%w: %w", errWriteFailed, err)
		}
		return nil
	})
	return created, err
}

// GetAMF3GPP returns the stored AMF registration JSON.
func (s *Store) GetAMF3GPP(imsi string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSubs).Get([]byte(imsi)) == nil {
			return ErrNotFound
		}
		v := tx.Bucket(bucketAMF3GPP).Get([]byte(imsi))
		if v == nil {
			return ErrNoContext
		}
		out = append([]byte(nil), v...) // v is only valid inside the transaction
		return nil
	})
	return out, err
}

func getSub(b *bolt.Bucket, imsi string) (Subscriber, error) {
	v := b.Get([]byte(imsi))
	if v == nil {
		return Subscriber{}, ErrNotFound
	}
	var sub Subscriber
	if err := json.Unmarshal(v, &sub); err != nil {
		return Subscriber{}, fmt.Errorf("decode subscriber %s: %w", imsi, err)
	}
	return sub, nil
}

func putSub(b *bolt.Bucket, sub Subscriber) error {
	v, err := json.Marshal(sub)
	if err != nil {
		return fmt.Errorf("encode subscriber %s: %w", sub.IMSI, err)
	}
	if err := b.Put([]byte(sub.IMSI), v); err != nil {
		return fmt.Errorf("store subscriber %s: %w", sub.IMSI, err)
	}
	return nil
}
