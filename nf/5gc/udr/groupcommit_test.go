package udr

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func testDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "g.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

func putKey(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(k), []byte("v")) }
}

func keys(t *testing.T, db *bolt.DB) int {
	t.Helper()
	n := 0
	if err := db.View(func(tx *bolt.Tx) error { n = tx.Bucket([]byte("b")).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every concurrent write lands and gets its own answer; refusals write
// nothing and do not disturb the group.
func TestGroupCommitConcurrent(t *testing.T) {
	db := testDB(t)
	g := &groupCommit{db: db}
	refused := errors.New("refused")
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			fn := putKey(fmt.Sprint(i))
			want := error(nil)
			if i%10 == 0 {
				fn = func(*bolt.Tx) error { return refused }
				want = refused
			}
			if err := g.do(fn); !errors.Is(err, want) || (want == nil && err != nil) {
				t.Errorf("write %d: %v, want %v", i, err, want)
			}
		})
	}
	wg.Wait()
	if n := keys(t, db); n != 180 {
		t.Errorf("%d keys, want 180", n)
	}
	if g.leading || len(g.pending) != 0 {
		t.Errorf("left leading=%v with %d pending", g.leading, len(g.pending))
	}
}

// A failed write rolls its whole group back and every member hears of it.
func TestGroupCommitAbort(t *testing.T) {
	db := testDB(t)
	g := &groupCommit{db: db}
	a, b := &write{fn: putKey("a"), done: make(chan struct{})}, &write{done: make(chan struct{})}
	b.fn = func(tx *bolt.Tx) error {
		if err := putKey("b")(tx); err != nil {
			return err
		}
		return fmt.Errorf("%w: disk on fire", errWriteFailed)
	}
	g.commit([]*write{a, b})
	if !errors.Is(a.err, errAbort) || !errors.Is(b.err, errWriteFailed) || !errors.Is(b.err, errAbort) {
		t.Errorf("a: %v, b: %v", a.err, b.err)
	}
	if n := keys(t, db); n != 0 {
		t.Errorf("%d keys survived an aborted group", n)
	}
}
