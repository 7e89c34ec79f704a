//go:build !race

package h2_test

// raceEnabled reports whether the race detector is on (race_test.go).
const raceEnabled = false
