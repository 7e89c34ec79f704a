package server_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// TestLogFormatMoreVars: log_format takes the variables SPEC §2a lists
// beyond the request line's: $arg_NAME, $cookie_NAME, $https,
// $remote_port, $content_type, $content_length, $hostname,
// $document_root and $request_filename.
func TestLogFormatMoreVars(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
http {
    log_format vars '$arg_x|$cookie_sid|$https|$remote_port|$content_type|$content_length|$hostname|$document_root|$request_filename';
    server {
        listen 127.0.0.1:$PORT0;
        root www;
        access_log logs/vars.log vars;
    }
}
`, 1, map[string]string{"www/a.txt": "hello\n", "logs/": ""})
	conn := s.Dial(t, 0)
	if _, err := io.WriteString(conn, "GET /a.txt?y=2&x=1 HTTP/1.1\r\nHost: a.test\r\nCookie: a=b; sid=42\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	servertest.ReadResponse(t, bufio.NewReader(conn), "GET")
	_, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	h, _ := os.Hostname()
	root := filepath.Join(s.Dir, "www")
	want := "1|42|-|" + port + "|text/plain|0|" + h + "|" + root + "|" + filepath.Join(root, "a.txt")
	if got := strings.TrimSuffix(waitLines(t, filepath.Join(s.Dir, "logs", "vars.log"), 1)[0], "\n"); got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}

// TestLogFormatURI: in a log line, $uri is the decoded, cleaned path that
// was served and $request_uri the origin form, as nginx logs them and as
// the variables of return and add_header are; $request stays the request
// line as sent.
func TestLogFormatURI(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
http {
    log_format uris '$uri|$request_uri|$request';
    server {
        listen 127.0.0.1:$PORT0;
        root www;
        access_log logs/uris.log uris;
    }
}
`, 1, map[string]string{"www/a.txt": "hello\n", "www/docs/": "", "logs/": ""})
	reqs := []struct{ target, want string }{
		{"/docs/../a.txt", "/a.txt|/docs/../a.txt|GET /docs/../a.txt HTTP/1.1"},
		{"/a%2etxt", "/a.txt|/a%2etxt|GET /a%2etxt HTTP/1.1"},
		{"http://Abs.Example:5/a.txt?x=1", "/a.txt|/a.txt?x=1|GET http://Abs.Example:5/a.txt?x=1 HTTP/1.1"},
	}
	// One connection: each line is logged before the next request is read.
	conn := s.Dial(t, 0)
	br := bufio.NewReader(conn)
	for _, r := range reqs {
		if _, err := io.WriteString(conn, "GET "+r.target+" HTTP/1.1\r\nHost: a.test\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if resp := servertest.ReadResponse(t, br, "GET"); resp.StatusCode != 200 {
			t.Errorf("%s: status %d", r.target, resp.StatusCode)
		}
	}
	lines := waitLines(t, filepath.Join(s.Dir, "logs", "uris.log"), len(reqs))
	for i, r := range reqs {
		if got := strings.TrimSuffix(lines[i], "\n"); got != r.want {
			t.Errorf("%s: line %q, want %q", r.target, got, r.want)
		}
	}
}

// TestAccessLogOffLocation: `access_log off;` in a location leaves its
// requests out of the server's access log.
func TestAccessLogOffLocation(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    access_log logs/a.log;
    location = /favicon.ico { access_log off; log_not_found off; }
}
`, 1, map[string]string{"www/a.txt": "a", "logs/": ""})
	conn := s.Dial(t, 0)
	br := bufio.NewReader(conn)
	for _, p := range []string{"/favicon.ico", "/a.txt"} {
		if _, err := io.WriteString(conn, "GET "+p+" HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		servertest.ReadResponse(t, br, "GET")
	}
	// One connection: the favicon's line, if any, would come first.
	lines := waitLines(t, filepath.Join(s.Dir, "logs", "a.log"), 1)
	if !strings.Contains(lines[0], "GET /a.txt ") {
		t.Errorf("first line %q, want the /a.txt request's (none for /favicon.ico)", lines[0])
	}
}
