package subscribers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRange(t *testing.T) {
	subs, err := Range(Subscriber{IMSI: "001010000000009", K: "k"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 3 || subs[0].IMSI != "001010000000009" || subs[2].IMSI != "001010000000011" || subs[2].K != "k" {
		t.Errorf("range %+v", subs)
	}
	for _, bad := range []struct {
		imsi  string
		count int
		want  string
	}{
		{"0010100", 1, "want 15 digits"},
		{"00101000000000x", 1, "want 15 digits"},
		{"999999999999999", 2, "overflows 15 digits"},
		{"001010000000001", 0, "want at least 1"},
	} {
		if _, err := Range(Subscriber{IMSI: bad.imsi}, bad.count); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Range(%s, %d) = %v, want %q", bad.imsi, bad.count, err, bad.want)
		}
	}
}

func TestRefusalCarriesTheUDRMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":"subscriber 001010000000001 exists; use replace"}`))
	}))
	defer srv.Close()
	err := New(strings.TrimPrefix(srv.URL, "http://")).Add(context.Background(), Subscriber{IMSI: "001010000000001"}, false)
	if !IsConflict(err) || !strings.Contains(err.Error(), "exists; use replace") {
		t.Errorf("got %v", err)
	}
}
