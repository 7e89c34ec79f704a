package server_test

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// TestAddHeaderVarsKeepAlive: add_header values with variables share the
// request's header buffer (vars.go expandHeader); each keeps its own value
// while later ones are appended, also when the buffer grows, and the next
// request on the connection gets its own.
func TestAddHeaderVarsKeepAlive(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    add_header X-A $uri;
    add_header X-B "$args-$args-$args";
    add_header X-C $request_method;
}
`, 1, map[string]string{"www/a.txt": "a", "www/b.txt": "b"})
	conn := s.Dial(t, 0)
	br := bufio.NewReader(conn)
	long := strings.Repeat("q", 3000)
	for _, r := range []struct{ path, args string }{{"/a.txt", "x"}, {"/b.txt", long}, {"/a.txt", "y"}} {
		if _, err := io.WriteString(conn, "GET "+r.path+"?"+r.args+" HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp := servertest.ReadResponse(t, br, "GET")
		h := resp.Header
		if h.Get("X-A") != r.path || h.Get("X-B") != r.args+"-"+r.args+"-"+r.args || h.Get("X-C") != "GET" {
			t.Errorf("%s?%.10s: X-A %q, X-B %.40q, X-C %q", r.path, r.args, h.Get("X-A"), h.Get("X-B"), h.Get("X-C"))
		}
	}
}
