//go:build race

package route

// raceEnabled reports whether the race detector is on: it makes sync.Pool
// drop items at random, so regexp's pooled matchers allocate now and then
// and allocation counts through them mean nothing.
const raceEnabled = true
