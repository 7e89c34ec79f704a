package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"webserv/internal/server"
)

// The four response kinds of RFC 3875 §6.2 (SPEC §5) over the wire:
// document, local redirect (re-dispatched inside the server), client
// redirect, and client redirect with document; with LF and CRLF header
// lines, extra fields passed through, and Content-Length kept, set for a
// program that has ended with its whole output in hand (SPEC §5), or the
// body chunked.
func TestCGIResponseKinds(t *testing.T) {
	// Ample time for a program that has written its output to exit, so
	// that the framing checked does not depend on the load.
	s := startCGI(t, server.CGIWholeWait(time.Minute))
	tests := []struct {
		name     string
		raw      string
		status   int
		header   map[string][]string // exact values; nil slice: absent
		body     string              // exact, unless contains is set
		contains []string
		framing  string // "length", "chunked" (RFC 9112 §7.1) or "close" (§6.3)
	}{
		{
			name:   "document with Status, extra fields and Content-Length (CRLF)",
			raw:    "GET /cgi/document.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status: 201,
			header: map[string][]string{
				"Content-Type":   {"text/plain"},
				"X-Extra":        {"a", "b"},
				"Content-Length": {"6"},
				"Status":         nil, // a CGI field, not an HTTP one (§6.3.3)
			},
			body:    "create",
			framing: "length",
		},
		{
			name:    "ended document without Content-Length gets one (LF)",
			raw:     "GET /cgi/status.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status:  418,
			header:  map[string][]string{"Content-Type": {"text/plain"}, "Content-Length": {"16"}, "Transfer-Encoding": nil},
			body:    "short and stout\n",
			framing: "length",
		},
		{
			name:    "ended document to HTTP/1.0 gets Content-Length",
			raw:     "GET /cgi/status.sh HTTP/1.0\r\n\r\n",
			status:  418,
			header:  map[string][]string{"Content-Type": {"text/plain"}, "Content-Length": {"16"}},
			body:    "short and stout\n",
			framing: "length",
		},
		{
			name:    "long document without Content-Length is chunked",
			raw:     "GET /cgi/long.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status:  200,
			header:  map[string][]string{"Content-Type": {"text/plain"}, "Content-Length": nil},
			body:    strings.Repeat("a", 100000),
			framing: "chunked",
		},
		{
			name:    "long document to HTTP/1.0 is close-delimited",
			raw:     "GET /cgi/long.sh HTTP/1.0\r\n\r\n",
			status:  200,
			header:  map[string][]string{"Content-Type": {"text/plain"}, "Content-Length": nil},
			body:    strings.Repeat("a", 100000),
			framing: "close",
		},
		{
			// §6.2.2: served as a GET without the body, as Apache and
			// nginx do; the client sees only the target's response.
			name:   "local redirect of a POST",
			raw:    "POST /cgi/localpost.sh HTTP/1.1\r\nHost: cgi.test\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody",
			status: 200,
			header: map[string][]string{"Location": nil},
			contains: []string{
				"\nREQUEST_METHOD=GET\n", "\nQUERY_STRING=from=local\n",
				"\nSCRIPT_NAME=/cgi/environ.sh\n", "\nREQUEST_URI=/cgi/environ.sh?from=local\n",
				"----\n0\n",
			},
			framing: "length",
		},
		{
			name:    "client redirect",
			raw:     "GET /cgi/client.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status:  302, // §6.2.3
			header:  map[string][]string{"Location": {"http://example.com/"}},
			body:    "",
			framing: "length", // Content-Length: 0
		},
		{
			name:    "client redirect with document and Status 301",
			raw:     "GET /cgi/redirdoc.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status:  301, // §6.2.4
			header:  map[string][]string{"Location": {"http://example.com/new"}, "Content-Type": {"text/html"}},
			body:    "<a href=\"http://example.com/new\">moved</a>\n",
			framing: "length",
		},
		{
			// A path Location with other fields is not a local redirect
			// (package cgi's doc): PHP's header("Location: /x") with a
			// status goes to the client.
			name:    "client redirect with document, Status 303 and a path (CRLF)",
			raw:     "GET /cgi/seeother.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status:  303,
			header:  map[string][]string{"Location": {"/cgi/document.sh"}, "Content-Type": {"text/plain"}},
			body:    "see other\n",
			framing: "length",
		},
		{
			name:    "client redirect with document, no Status",
			raw:     "GET /cgi/docnostat.sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n",
			status:  302,
			header:  map[string][]string{"Location": {"https://example.com/x?y=1"}, "Content-Type": {"text/plain"}},
			body:    "elsewhere\n",
			framing: "length",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, _, _ := strings.Cut(tt.raw, " ")
			// One request per connection: no wait for a keep-alive close.
			raw := strings.Replace(tt.raw, "\r\n", "\r\nConnection: close\r\n", 1)
			resp, closed := s.Exchange(t, 0, method, raw)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %q, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			for name, want := range tt.header {
				if got := resp.Header.Values(name); !slices.Equal(got, want) {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
			if tt.contains == nil && string(resp.Body) != tt.body {
				t.Errorf("body %q, want %q", resp.Body, tt.body)
			}
			for _, c := range tt.contains {
				if !strings.Contains("\n"+string(resp.Body), c) {
					t.Errorf("body lacks %q:\n%s", c, resp.Body)
				}
			}
			framing := "close"
			if slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
				framing = "chunked"
			} else if resp.ContentLength >= 0 {
				framing = "length"
			}
			if framing != tt.framing || framing == "close" && !closed {
				t.Errorf("framing %s (closed %v), want %s", framing, closed, tt.framing)
			}
		})
	}
}
