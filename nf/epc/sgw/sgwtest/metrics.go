package sgwtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// Metric scrapes an NF's /metrics and returns the value of the sample
// named exactly series (e.g. `corebox_sgw_sessions` or
// `corebox_pgw_sessions{apn="ims"}`), or -1 when there is none.
func Metric(t testing.TB, ops *nfkit.Ops, series string) float64 {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+ops.Addr().String()+"/metrics", "")
	for _, line := range strings.Split(body, "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == series {
			var v float64
			if _, err := fmt.Sscan(value, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// WaitMetric polls until series has value want.
func WaitMetric(t testing.TB, ops *nfkit.Ops, series string, want float64) {
	t.Helper()
	var got float64
	nfkittest.Eventually(t, 5*time.Second, fmt.Sprintf("%s == %v", series, want), func() bool {
		got = Metric(t, ops, series)
		return got == want
	})
}
