//go:build race

package h2_test

// raceEnabled reports whether the race detector is on: it makes sync.Pool
// drop items at random, so the pooled buffers are allocated now and then
// and the allocation and heap figures mean nothing.
const raceEnabled = true
