//go:build !race

package server_test

// raceEnabled reports whether the race detector is on: allocation counts
// mean nothing under it.
const raceEnabled = false
