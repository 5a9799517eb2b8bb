package report

import (
	"encoding/json"
	"testing"
)

// FuzzReportJSON: a report.json, however mangled, reads back or fails
// cleanly, and what reads back writes again.
func FuzzReportJSON(f *testing.F) {
	f.Add([]byte(`{"lab":"x","steps":[],"monitor":{"interval_s":1,"series":[{"name":"u","kind":"replicas","points":[[0,1],[1,3]]}]}}`))
	f.Add([]byte(`{"monitor":{"series":[{"points":[[1],[1,2,3],"x",null]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Report
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if _, err := json.Marshal(&r); err != nil {
			t.Fatalf("read back but cannot write: %v", err)
		}
	})
}
