package server

import "webserv/internal/http1"

// SetTestHookServe installs f to run at the start of every request and
// returns a function that removes it.
func SetTestHookServe(f func(*http1.Request)) (restore func()) {
	testHookServe.Store(&f)
	return func() { testHookServe.Store(nil) }
}
