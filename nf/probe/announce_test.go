package probe

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// announce in the config is what GET /routes reports; PUT /routes replaces
// it whole.
func TestAnnounce(t *testing.T) {
	n := newProbe(t, func(c *Config) {
		c.Announce = map[string][]string{"n6": {"10.99.1.0/24", "10.99.0.1/24"}, "n3": {"10.3.9.0/24"}}
	})
	srv := httptest.NewServer(n.Ops().Handler())
	defer srv.Close()
	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/routes", "", 200, `{"routes":{"n3":["10.3.9.0/24"],"n6":["10.99.0.0/24","10.99.1.0/24"]}}`},
		{"PUT", "/routes", `{"routes":{"n6":["10.99.7.0/24"]}}`, 200, `{"routes":{"n6":["10.99.7.0/24"]}}`},
		{"GET", "/routes", "", 200, `{"routes":{"n6":["10.99.7.0/24"]}}`},
		{"PUT", "/routes", `{"routes":{"n6":["10.99.7.0"]}}`, 400, ""},
		{"PUT", "/routes", `{"routes":{"":["10.99.7.0/24"]}}`, 400, ""},
		{"PUT", "/routes", `{"n6":["10.99.7.0/24"]}`, 400, ""},
		{"PUT", "/routes", `{}`, 400, ""},
		{"GET", "/routes", "", 200, `{"routes":{"n6":["10.99.7.0/24"]}}`},
		{"PUT", "/routes", `{"routes":{}}`, 200, `{"routes":{}}`},
	}
	for _, s := range steps {
		code, body := nfkittest.Do(t, s.method, srv.URL+s.path, s.body)
		if code != s.code || (s.want != "" && body != s.want+"\n") {
			t.Errorf("%s %s %s = %d %q, want %d %q", s.method, s.path, s.body, code, body, s.code, s.want)
		}
	}
	if _, m := nfkittest.Do(t, "GET", srv.URL+"/metrics", ""); !strings.Contains(m, "corebox_probe_bad_requests_total 4\n") {
		t.Error("the 4 malformed PUT /routes are not counted in corebox_probe_bad_requests_total")
	}
}

// FuzzPutRoutes: any body is taken (200) or refused (400), never a panic,
// and a refused one leaves the announcements as they were.
func FuzzPutRoutes(f *testing.F) {
	f.Add(`{"routes":{"n6":["10.99.7.0/24"]}}`)
	n := newProbe(f, func(c *Config) { c.Announce = map[string][]string{"n6": {"10.1.0.0/16"}} })
	h := n.Ops().Handler()
	f.Fuzz(func(t *testing.T, body string) {
		before := n.Ops().Routes()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/routes", strings.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			if after := n.Ops().Routes(); !reflect.DeepEqual(after, before) {
				t.Fatalf("a refused body changed the announcements: %v -> %v", before, after)
			}
		default:
			t.Fatalf("PUT /routes %q = %d", body, rec.Code)
		}
	})
}
