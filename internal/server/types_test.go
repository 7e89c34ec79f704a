package server_test

import (
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"webserv/internal/http1"
	"webserv/internal/servertest"
)

// TestTypesDirective: `include mime.types;` and `types { }` replace the
// built-in table (nginx's values, without a charset), a location's own
// types replace the inherited ones, and default_type covers the rest.
func TestTypesDirective(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
http {
    include mime.types;
    default_type text/x-unknown;
    server {
        listen 127.0.0.1:$PORT0;
        root www;
        location /raw/ { types { text/plain html; } }
    }
}
`, 1, map[string]string{
		"mime.types":     "types {\n    text/html  html htm;\n    application/javascript js;\n    image/jpeg jpeg jpg;\n}\n",
		"www/a.html":     "a",
		"www/a.js":       "a",
		"www/a.JPG":      "a",
		"www/a.css":      "a",
		"www/raw/a.html": "a",
		"www/raw/a.js":   "a",
	})
	for path, want := range map[string]string{
		"/a.html":     "text/html",
		"/a.js":       "application/javascript",
		"/a.JPG":      "image/jpeg",
		"/a.css":      "text/x-unknown", // not in this table: default_type
		"/raw/a.html": "text/plain",
		"/raw/a.js":   "text/x-unknown",
	} {
		resp, _ := do(t, "GET", s.URL(0, path))
		if got := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || got != want {
			t.Errorf("%s: %d Content-Type %q, want 200 %q", path, resp.StatusCode, got, want)
		}
	}
}

// TestServerTokens: server_tokens on shows the version in the Server
// header, per server; off (the default) does not, also on a response to
// a request that could not be parsed.
func TestServerTokens(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server { listen 127.0.0.1:$PORT0; root www; server_tokens on; }
server { listen 127.0.0.1:$PORT1; root www; }
server { listen 127.0.0.1:$PORT1; root www; server_name off.test; server_tokens off; }
`, 2, map[string]string{"www/a.txt": "a"})
	for _, tt := range []struct {
		port int
		raw  string
		want string
	}{
		{0, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "webserv/" + http1.Version},
		{0, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", "webserv/" + http1.Version},
		{0, "BAD\r\n\r\n", "webserv/" + http1.Version},
		{1, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "webserv"},
		{1, "GET /a.txt HTTP/1.1\r\nHost: off.test\r\n\r\n", "webserv"},
	} {
		resp, _ := s.Exchange(t, tt.port, "GET", tt.raw)
		if got := resp.Header.Get("Server"); got != tt.want {
			t.Errorf("port %d %q: Server %q, want %q", tt.port, tt.raw, got, tt.want)
		}
	}
}

// TestLogFormatLines: access_log with a log_format name writes lines in
// that format, nginx's "main" included.
func TestLogFormatLines(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
http {
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    log_format extra '$request_method|$request_uri|$uri|$args|$host|$server_port|$scheme|$status|$bytes_sent';
    server {
        listen 127.0.0.1:$PORT0;
        root www;
        access_log logs/main.log main;
    }
    server {
        listen 127.0.0.1:$PORT1;
        root www;
        access_log logs/extra.log extra;
    }
}
`, 2, map[string]string{"www/a.txt": "hello\n", "logs/": ""})
	s.Exchange(t, 0, "GET", "GET /a.txt?x=1 HTTP/1.1\r\nHost: a.test\r\nUser-Agent: ua\"1\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n")
	s.Exchange(t, 1, "GET", "GET /a.txt?x=1 HTTP/1.1\r\nHost: B.test:99\r\n\r\n")

	main := waitLines(t, filepath.Join(s.Dir, "logs", "main.log"), 1)
	re := regexp.MustCompile(`^127\.0\.0\.1 - - \[[^]]+\] "GET /a\.txt\?x=1 HTTP/1\.1" 200 6 "-" "ua\\x221" "198\.51\.100\.7"\n?$`)
	if !re.MatchString(main[0]) {
		t.Errorf("main line %q", main[0])
	}
	extra := waitLines(t, filepath.Join(s.Dir, "logs", "extra.log"), 1)
	_, port, _ := net.SplitHostPort(s.Addrs[1])
	want := "GET|/a.txt?x=1|/a.txt|x=1|b.test|" + port + "|http|200|"
	if !strings.HasPrefix(extra[0], want) || len(extra[0]) <= len(want) {
		t.Errorf("extra line %q, want prefix %q and the bytes sent", extra[0], want)
	}
}
