// Package servertest runs a real webserv server on loopback for integration
// tests: it writes a site into a temporary directory, opens listeners on
// free ports, substitutes them into the configuration text, serves, and
// shuts everything down when the test ends. Each test gets a server of
// its own, which shares no state with the others running in parallel;
// options to Start tune it before it listens (the ones only tests may
// set live in internal/server's export_test.go).
package servertest
