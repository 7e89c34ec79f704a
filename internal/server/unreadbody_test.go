package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// Issue 14 item 5: a response to a request whose body the handler left
// unread either keeps the connection (the server discarded the rest of the
// body) or says "Connection: close" in its head — never closes a
// connection it announced as persistent, which makes a client's next
// request on it fail.

const unreadConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    client_max_body_size 0;
    location /up/ {
        alias store;
        upload_store store;
        methods GET POST PUT DELETE;
    }
}
`

func startUnread(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, unreadConf, 1, map[string]string{
		"www/index.html": "home",
		"store/":         "",
	})
}

// unreadCases are requests answered without reading (all of) their body.
var unreadCases = []struct {
	name, method, path string
	size               int
	chunked            bool
	status             int
}{
	{"GET small body", "GET", "/index.html", 100 << 10, false, 200},
	{"GET 512 KiB body", "GET", "/index.html", 512 << 10, false, 200},
	{"GET 1 MB body", "GET", "/index.html", 1_000_000, false, 200},
	{"GET 4 MiB body", "GET", "/index.html", 4 << 20, false, 200},
	{"GET 4 MiB chunked body", "GET", "/index.html", 4 << 20, true, 200},
	{"PUT to a missing directory", "PUT", "/up/nodir/f.bin", 2 << 20, false, 409},
	{"POST to a static file", "POST", "/index.html", 2 << 20, false, 405},
	{"POST chunked to a static file", "POST", "/index.html", 512 << 10, true, 405},
}

// Over a raw socket: the body is sent while the response is read; when
// the head does not announce a close, a second request on the same
// connection must be answered.
func TestUnreadBodyAnnouncedOrKept(t *testing.T) {
	t.Parallel()
	s := startUnread(t)
	for _, tc := range unreadCases {
		t.Run(tc.name, func(t *testing.T) {
			c := s.Dial(t, 0)
			head := tc.method + " " + tc.path + " HTTP/1.1\r\nHost: x\r\n"
			body := bytes.Repeat([]byte("b"), tc.size)
			if tc.chunked {
				head += "Transfer-Encoding: chunked\r\n\r\n"
				var cb bytes.Buffer
				for off := 0; off < len(body); off += 64 << 10 {
					n := min(64<<10, len(body)-off)
					fmt.Fprintf(&cb, "%x\r\n", n)
					cb.Write(body[off : off+n])
					cb.WriteString("\r\n")
				}
				cb.WriteString("0\r\n\r\n")
				body = cb.Bytes()
			} else {
				head += "Content-Length: " + strconv.Itoa(tc.size) + "\r\n\r\n"
			}
			wrote := make(chan error, 1)
			go func() {
				_, err := c.Write(append([]byte(head), body...))
				wrote <- err
			}()
			br := bufio.NewReader(c)
			r := servertest.ReadResponse(t, br, tc.method)
			if r.StatusCode != tc.status {
				t.Fatalf("status: got %d, want %d", r.StatusCode, tc.status)
			}
			if err := <-wrote; err != nil {
				t.Fatalf("writing the request: %v", err)
			}
			if r.Close {
				if !servertest.IsClosed(c, br) {
					t.Errorf("Connection: close announced, but the connection stayed open")
				}
				return
			}
			if _, err := io.WriteString(c, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatalf("second request: %v", err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("persistent connection (no Connection: close) closed after the response: %v", err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(got) != "home" {
				t.Errorf("second response: got %d %q, want 200 \"home\"", resp.StatusCode, got)
			}
		})
	}
}

// Go's client, one connection reused throughout: every request with an
// unread body followed by a plain one. Bodies are not replayable (no
// GetBody), so a request sent on a connection the server closed fails
// instead of being retried.
func TestUnreadBodyGoClient(t *testing.T) {
	t.Parallel()
	s := startUnread(t)
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: servertest.IOTimeout}
	failures := 0
	for round := 0; round < 5; round++ {
		for _, tc := range unreadCases {
			body := struct{ io.Reader }{bytes.NewReader(bytes.Repeat([]byte("b"), tc.size))}
			req, _ := http.NewRequest(tc.method, s.URL(0, tc.path), body)
			if !tc.chunked {
				req.ContentLength = int64(tc.size)
			}
			for i, r := range []*http.Request{req, mustRequest(t, "PUT", s.URL(0, "/up/f.txt"), "x")} {
				resp, err := client.Do(r)
				if err != nil {
					failures++
					t.Logf("%s, request %d: %v", tc.name, i+1, err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d requests failed, want 0", failures)
	}
}

// mustRequest makes a request with a body that cannot be replayed.
func mustRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, struct{ io.Reader }{strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	return req
}

// A CGI program that answers without reading its stdin, while the client
// has sent only part of the body: the rest cannot be discarded before the
// head goes out (the program's stdin copy is still reading it), so the
// head must announce the close — unless the rest is already in hand.
func TestUnreadBodyCGI(t *testing.T) {
	t.Parallel()
	const conf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /cgi/ {
        cgi .sh;
        methods GET POST;
        cgi_timeout 30s;
    }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"www/index.html":    "home",
		"www/cgi/noread.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nanswered\\n'\n",
	})
	if err := os.Chmod(filepath.Join(s.Dir, "www/cgi/noread.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		length int // Content-Length
		sent   int // body bytes sent
	}{
		{"body stalls", 1000, 10},
		// More than a pipe holds: the program's exit ends the copy to
		// its stdin (EPIPE), and the server is left to discard the rest.
		{"body stalls past the pipe", 400 << 10, 200 << 10},
		{"body whole", 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := s.Dial(t, 0)
			wrote := make(chan error, 1)
			go func() {
				_, err := fmt.Fprintf(c, "POST /cgi/noread.sh HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", tc.length, strings.Repeat("b", tc.sent))
				wrote <- err
			}()
			br := bufio.NewReader(c)
			r := servertest.ReadResponse(t, br, "POST")
			if err := <-wrote; err != nil {
				t.Fatalf("writing the request: %v", err)
			}
			if r.StatusCode != 200 || string(r.Body) != "answered\n" {
				t.Fatalf("got %d %q, want 200 \"answered\\n\"", r.StatusCode, r.Body)
			}
			if r.Close {
				return // announced: the client opens a new connection
			}
			if tc.sent < tc.length {
				// A slow client sends the rest of the body later than
				// the server's window for discarding it: a connection
				// kept must still be there for it. (Waiting shows that
				// something does not happen; nothing to poll for.)
				c.SetReadDeadline(time.Now().Add(server.DrainTime + time.Second))
				if _, err := br.ReadByte(); !os.IsTimeout(err) {
					t.Fatalf("persistent connection (no Connection: close) closed while the body was owed: %v", err)
				}
				c.SetDeadline(time.Now().Add(servertest.IOTimeout))
				io.WriteString(c, strings.Repeat("b", tc.length-tc.sent))
			}
			io.WriteString(c, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("persistent connection (no Connection: close) closed after the response: %v", err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(got) != "home" {
				t.Errorf("second response: got %d %q, want 200 \"home\"", resp.StatusCode, got)
			}
		})
	}
}
