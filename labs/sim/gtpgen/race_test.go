//go:build race

package gtpgen

// raceEnabled: the race detector makes sync.Pool drop items, so the
// batch I/O of x/net allocates where it otherwise does not.
const raceEnabled = true
