package server

import "webserv/internal/http1"

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
