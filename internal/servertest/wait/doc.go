// Package wait is how tests wait for something asynchronous: they poll for
// a condition with a short backoff instead of sleeping for a fixed time.
// It is apart from servertest, which imports the server, so that the tests
// inside the packages the server is built from (cgi, static, ...) can use
// it too without an import cycle.
//
// A test never sleeps for a fixed time to let something happen: it waits
// with Until (or Poll) for the condition it needs. A sleep stays only
// where it is part of what the test does (a slow client's pace, a
// measurement window).
package wait
