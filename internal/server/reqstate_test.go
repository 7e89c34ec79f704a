package server_test

import (
	"bufio"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// Connections share pooled request state (parser, request, response
// writer): a connection that dies mid-head, mid-header-list or after a
// parse error must not leave anything behind for the next one. Each
// round ruins one connection, then checks that a new one is served
// normally.
func TestPooledRequestStateIsClean(t *testing.T) {
	s := servertest.Start(t, plainConf, 1, map[string]string{"www/a.txt": "hello"})
	ruins := []string{
		"GET /a.txt HT", // cut in the request line
		"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-Long: abc", // cut in a field
		"GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Field: y\r\n\r\n",
		"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", // cut in a body
	}
	for round := range 50 {
		c := s.Dial(t, 0)
		c.Write([]byte(ruins[round%len(ruins)]))
		c.Close()

		c = s.Dial(t, 0)
		// Longer than any ruin, so that stale parser offsets would be
		// taken for progress.
		if _, err := c.Write([]byte("GET /a.txt?some=query HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " + strings.Repeat("t", 200) + "\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp := servertest.ReadResponse(t, bufio.NewReader(c), "GET")
		if resp.StatusCode != 200 || string(resp.Body) != "hello" {
			t.Fatalf("round %d (after %q): %d %q", round, ruins[round%len(ruins)], resp.StatusCode, resp.Body)
		}
		c.Close()
	}
}
