package server

import (
	"time"

	"webserv/internal/http1"
)

// SetTestHookServe installs f to run at the start of every request and
// returns a function that removes it.
func SetTestHookServe(f func(*http1.Request)) (restore func()) {
	testHookServe.Store(&f)
	return func() { testHookServe.Store(nil) }
}

// Parked reports how many connections are parked (park.go), across all
// servers in the process.
func Parked() int {
	p := getParker()
	if p == nil {
		return -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// SetTrim makes the parker trim after burst parks and quiet of d (see
// park.go) and returns a function restoring the defaults.
func SetTrim(burst int64, d time.Duration) (restore func()) {
	b, q := trimBurst.Swap(burst), trimQuiet.Swap(int64(d))
	return func() { trimBurst.Store(b); trimQuiet.Store(q) }
}

// Trims reports how many times the parker gave memory back.
func Trims() int64 { return trims.Load() }

// IdleWorkers reports how many connection goroutines wait for a new
// connection (workers.go): tests that count goroutines to see what the
// server is doing leave them out.
func IdleWorkers() int { return int(idleWorkers.Load()) }

// SoReusePort is the socket option reuseport sets (reuseport_*.go).
const SoReusePort = soReusePort
