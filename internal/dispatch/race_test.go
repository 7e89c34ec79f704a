//go:build race

package dispatch_test

// raceEnabled reports whether the race detector is on: allocation counts
// mean nothing under it.
const raceEnabled = true
