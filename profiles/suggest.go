package profiles

import "fmt"

// suggest returns `; did you mean "x"?` for the candidate closest to s, or
// "" when none is close enough to be a likely typo.
func suggest(s string, candidates []string) string {
	if len(s) > 64 {
		return "" // no typo makes a name that long; and the cost is quadratic
	}
	best, bestDist := "", 1+len(s)/4 // a typo changes few characters
	if bestDist > 3 {
		bestDist = 3
	}
	bestDist++
	for _, c := range candidates {
		if len(c) > 64 {
			continue
		}
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance (insert, delete, substitute),
// with a swap of two neighbours counting as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
