package gtpgen

import "testing"

func TestSeqTrack(t *testing.T) {
	type obs struct {
		seq      uint64
		dup, ooo bool
	}
	for name, steps := range map[string][]obs{
		"in order":            {{0, false, false}, {1, false, false}, {2, false, false}},
		"gap then late":       {{0, false, false}, {2, false, false}, {1, false, true}, {3, false, false}},
		"duplicate":           {{0, false, false}, {1, false, false}, {1, true, false}, {0, true, false}},
		"late duplicate":      {{0, false, false}, {2, false, false}, {1, false, true}, {1, true, false}},
		"start past zero":     {{5, false, false}, {0, false, true}, {6, false, false}},
		"edge of the window":  {{0, false, false}, {seqWindow, false, false}, {0, false, true}, {1, false, true}, {1, true, false}},
		"beyond the window":   {{0, false, false}, {seqWindow + 1, false, false}, {0, false, true}},
		"jump clears old bit": {{0, false, false}, {1, false, false}, {2, false, false}, {seqWindow + 2, false, false}, {seqWindow, false, true}, {seqWindow, true, false}},
		"wrap reuses slots":   {{0, false, false}, {seqWindow - 1, false, false}, {seqWindow + 1, false, false}, {seqWindow, false, true}},
	} {
		var tr seqTrack
		for i, s := range steps {
			dup, ooo := tr.observe(s.seq)
			if dup != s.dup || ooo != s.ooo {
				t.Errorf("%s step %d seq %d: dup %v ooo %v, want %v %v", name, i, s.seq, dup, ooo, s.dup, s.ooo)
			}
		}
	}
}
