package imsinterop

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// sampleOf is the value of metric name with label="value" in a
// Prometheus text exposition; 0 when the series does not exist yet.
func sampleOf(exposition, name, label, value string) (float64, error) {
	want := label + `="` + value + `"`
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		labels, rest, ok := strings.Cut(strings.TrimPrefix(line, name+"{"), "} ")
		if !ok || !strings.Contains(","+labels+",", ","+want+",") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("metric %s{%s}: %w", name, want, err)
		}
		return v, nil
	}
	return 0, sc.Err()
}
