package udr_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/aka"
)

func openStore(t *testing.T) *udr.Store {
	t.Helper()
	st, err := udr.OpenStore(filepath.Join(t.TempDir(), "sub", "udr.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

func putSub(t *testing.T, st *udr.Store, imsi string) {
	t.Helper()
	s, _, err := udr.Provision{IMSI: imsi, K: testK, OPc: testOPc}.Subscriber(udr.DefaultConfig().Defaults, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(s, false, false); err != nil {
		t.Fatal(err)
	}
}

// Many writers move two subscribers' SQNs by conditional updates that
// share commits; refused ones (lost tests, an unknown IMSI) in the same
// groups do not disturb the others, and every step lands once.
func TestStoreGroupedSQNUpdates(t *testing.T) {
	st := openStore(t)
	putSub(t, st, imsi1)
	putSub(t, st, imsi2)
	const writers, each = 16, 25
	var wg sync.WaitGroup
	for w := range writers {
		imsi := []string{imsi1, imsi2}[w%2]
		wg.Go(func() {
			for range each {
				for {
					s, err := st.Get(imsi)
					if err != nil {
						t.Error(err)
						return
					}
					cur := aka.SQN(parseHex(t, s.SQN))
					err = st.PatchSQN(imsi, []udr.SQNOp{{Test: true, Value: cur}, {Value: cur.Next()}})
					if errors.Is(err, udr.ErrSQNTestFailed) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
				if err := st.PatchSQN("001019999999999", []udr.SQNOp{{Value: 1}}); !errors.Is(err, udr.ErrNotFound) {
					t.Errorf("unknown imsi: %v", err)
				}
			}
		})
	}
	wg.Wait()
	want := aka.NewSQN(writers/2*each, 0).String()
	for _, imsi := range []string{imsi1, imsi2} {
		if s, _ := st.Get(imsi); s.SQN != want {
			t.Errorf("%s: sqn %s, want %s", imsi, s.SQN, want)
		}
	}
}

func parseHex(t *testing.T, s string) uint64 {
	t.Helper()
	var v uint64
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			t.Fatalf("sqn %q is not lower-case hex", s)
		}
	}
	return v
}

func TestStoreLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "udr.db")
	st, err := udr.OpenStore(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := udr.OpenStore(path, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("second open of a locked file: %v, want a timeout", err)
	}
}
