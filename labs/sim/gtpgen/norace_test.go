//go:build !race

package gtpgen

const raceEnabled = false
