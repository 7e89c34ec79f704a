package h2_test

import (
	"flag"
	"net"
	"testing"
	"time"

	"webserv/internal/h2"
)

var (
	serveAddr = flag.String("h2.serve", "", "serve the test handler over h2c on this address for -h2.servefor (load tests with h2load)")
	serveFor  = flag.Duration("h2.servefor", time.Minute, "how long -h2.serve serves")
)

// TestServe is not a test: with -h2.serve it serves the test handler over
// h2c for a load generator, e.g.
//
//	go test -c -o /tmp/h2.test ./internal/h2
//	/tmp/h2.test -test.run '^TestServe$' -h2.serve 127.0.0.1:8443 &
//	h2load -c 50 -m 10 -n 200000 http://127.0.0.1:8443/
func TestServe(t *testing.T) {
	if *serveAddr == "" {
		t.Skip("no -h2.serve address")
	}
	ln, err := net.Listen("tcp", *serveAddr)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(*serveFor, func() { ln.Close() })
	th := newTestHandler(t)
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		go h2.ServeConn(nc, nil, th, nil)
	}
}
