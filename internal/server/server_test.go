package server_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"webserv/internal/http1"
	"webserv/internal/server"
	"webserv/internal/servertest"
)

// The integration tests below run a real server on loopback and talk to it
// with raw sockets and Go's HTTP client.

const siteConf = `
server {
    listen 127.0.0.1:$PORT0;
    server_name a.test;
    root a;
    error_page 404 /404.html;

    location /dl/ { autoindex on; }
    location = /exact { return 200 "exact\n"; }
    location /exact { return 200 "prefix\n"; }
    location /post { methods GET POST; client_max_body_size 100; }
    location /old { return 301 /new/; }
    location /gone { return 410; }
}
server {
    listen 127.0.0.1:$PORT0 default_server;
    server_name b.test *.b.test;
    root b;
}
server {
    listen 127.0.0.1:$PORT1;
    root c;
}
server {
    listen 127.0.0.1:$PORT1;
    server_name d.test;
    root d;
}
`

var siteFiles = map[string]string{
	"secret.txt":          "TOP SECRET",
	"a/index.html":        "site a",
	"a/404.html":          "custom not found",
	"a/post":              "post target",
	"a/exactly":           "exactly file",
	"a/sub/index.html":    "sub index",
	"a/noindex/file.txt":  "x",
	"a/dl/zeta.txt":       "z",
	"a/dl/alpha dir/":     "",
	"a/dl/<b>&\"q\".txt":  "hostile",
	"a/dl/.hidden":        "dot",
	"a/dl/100%.txt":       "pct",
	"a/style.css":         "body{}",
	"b/index.html":        "site b",
	"c/index.html":        "site c",
	"d/index.html":        "site d",
	"a/empty.txt":         "",
	"a/big.bin":           strings.Repeat("0123456789abcdef", 64<<10), // 1 MiB: the sendfile path
	"a/dl/sub dir/f.html": "f",
}

func startSite(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, siteConf, 2, siteFiles)
}

func get(t *testing.T, url, host string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestVirtualHosts(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	tests := []struct {
		name string
		port int
		host string
		want string
	}{
		{"exact name", 0, "a.test", "site a"},
		{"name with port and trailing dot", 0, "A.Test.:8080", "site a"},
		{"second name", 0, "b.test", "site b"},
		{"wildcard", 0, "www.b.test", "site b"},
		{"deep wildcard", 0, "x.y.b.test", "site b"},
		{"unknown goes to default_server", 0, "nobody.test", "site b"},
		{"second port first server", 1, "nobody.test", "site c"},
		{"second port by name", 1, "d.test", "site d"},
		{"name of another port is not matched", 1, "a.test", "site c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, s.URL(tt.port, "/"), tt.host)
			if resp.StatusCode != 200 || body != tt.want {
				t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, tt.want)
			}
		})
	}
}

func TestLocations(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/exact", 200, "exact\n"},
		{"/exact/x", 200, "prefix\n"},
		{"/exactly", 200, "exactly file"}, // not a segment-boundary match
		{"/gone", 410, ""},
		{"/index.html", 200, "site a"},
		{"/sub", 301, ""},
		{"/sub/", 200, "sub index"},
		{"/noindex/", 403, ""},
		{"/missing", 404, "custom not found"},
		{"/empty.txt", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, s.URL(0, tt.path), "a.test")
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			if tt.body != "" && body != tt.body {
				t.Errorf("body: got %q, want %q", body, tt.body)
			}
			if resp.Header.Get("Server") != "webserv" || resp.Header.Get("Date") == "" {
				t.Errorf("Server/Date: got %q/%q", resp.Header.Get("Server"), resp.Header.Get("Date"))
			}
		})
	}
	t.Run("redirect", func(t *testing.T) {
		resp, _ := get(t, s.URL(0, "/old"), "a.test")
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "/new/" {
			t.Errorf("got %d Location %q, want 301 /new/", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("directory redirect keeps query", func(t *testing.T) {
		resp, _ := get(t, s.URL(0, "/sub?x=1"), "a.test")
		if got := resp.Header.Get("Location"); got != "/sub/?x=1" {
			t.Errorf("Location: got %q, want /sub/?x=1", got)
		}
	})
	t.Run("built-in error page", func(t *testing.T) {
		resp, body := get(t, s.URL(0, "/missing"), "b.test")
		if resp.StatusCode != 404 || !strings.Contains(body, "404 Not Found") {
			t.Errorf("got %d %q, want 404 built-in page", resp.StatusCode, body)
		}
	})
	t.Run("content type", func(t *testing.T) {
		resp, _ := get(t, s.URL(0, "/style.css"), "a.test")
		if got := resp.Header.Get("Content-Type"); got != "text/css; charset=utf-8" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("large file", func(t *testing.T) {
		resp, body := get(t, s.URL(0, "/big.bin"), "a.test")
		if resp.StatusCode != 200 || body != siteFiles["a/big.bin"] {
			t.Errorf("got %d and %d bytes, want 200 and %d bytes", resp.StatusCode, len(body), len(siteFiles["a/big.bin"]))
		}
	})
}

// rawCases are exchanges over raw sockets: request bytes, the status, and
// whether the server must close the connection afterwards.
func TestRawExchanges(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	long := "/" + strings.Repeat("a", 9000)
	bigHeader := "X-Big: " + strings.Repeat("b", 33000) + "\r\n"
	tests := []struct {
		name   string
		method string
		raw    string
		status int
		closed bool
	}{
		{"ok", "GET", "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", 200, false},
		{"unknown method", "GET", "BREW / HTTP/1.1\r\nHost: a.test\r\n\r\n", 501, true},
		{"method not allowed", "DELETE", "DELETE / HTTP/1.1\r\nHost: a.test\r\n\r\n", 405, false},
		{"version", "GET", "GET / HTTP/2.0\r\nHost: a.test\r\n\r\n", 505, true},
		{"uri too long", "GET", "GET " + long + " HTTP/1.1\r\nHost: a.test\r\n\r\n", 414, true},
		{"header too large", "GET", "GET / HTTP/1.1\r\nHost: a.test\r\n" + bigHeader + "\r\n", 431, true},
		{"missing host", "GET", "GET / HTTP/1.1\r\n\r\n", 400, true},
		{"CL and TE", "POST", "POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true},
		{"two Content-Lengths", "POST", "POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, true},
		// The static handler answers before reading the body; draining it then
		// finds the broken framing and closes.
		{"bad chunk size after the answer", "POST", "POST /post HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 405, true},
		{"POST without length", "POST", "POST /post HTTP/1.1\r\nHost: a.test\r\n\r\n", 411, false},
		{"body too large", "POST", "POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 101\r\n\r\n", 413, true},
		{"obs-fold", "GET", "GET / HTTP/1.1\r\nHost: a.test\r\nX: a\r\n b\r\n\r\n", 400, true},
		{"space before colon", "GET", "GET / HTTP/1.1\r\nHost : a.test\r\n\r\n", 400, true},
		{"traversal", "GET", "GET /../secret.txt HTTP/1.1\r\nHost: a.test\r\n\r\n", 400, true},
		{"encoded traversal", "GET", "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: a.test\r\n\r\n", 400, true},
		{"encoded slash traversal", "GET", "GET /sub%2f..%2f..%2fsecret.txt HTTP/1.1\r\nHost: a.test\r\n\r\n", 400, true},
		{"HTTP/1.0 closes", "GET", "GET / HTTP/1.0\r\n\r\n", 200, true},
		{"HTTP/1.0 keep-alive", "GET", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, false},
		{"Connection close", "GET", "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n", 200, true},
		{"OPTIONS", "OPTIONS", "OPTIONS / HTTP/1.1\r\nHost: a.test\r\n\r\n", 204, false},
		{"OPTIONS not in methods", "OPTIONS", "OPTIONS /post HTTP/1.1\r\nHost: a.test\r\n\r\n", 405, false},
		{"OPTIONS *", "OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: a.test\r\n\r\n", 204, false},
		{"leading empty lines", "GET", "\r\n\r\nGET / HTTP/1.1\r\nHost: a.test\r\n\r\n", 200, false},
		{"bare LF", "GET", "GET / HTTP/1.1\nHost: a.test\n\n", 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, closed := s.Exchange(t, 0, tt.method, tt.raw)
			if resp.StatusCode != tt.status {
				t.Errorf("status: got %d, want %d (body %q)", resp.StatusCode, tt.status, resp.Body)
			}
			if closed != tt.closed {
				t.Errorf("closed: got %v, want %v", closed, tt.closed)
			}
			if strings.Contains(string(resp.Body), "TOP SECRET") {
				t.Errorf("served a file outside the root")
			}
			if resp.Header.Get("Date") == "" || resp.Header.Get("Server") != "webserv" {
				t.Errorf("missing Date or Server header: %v", resp.Header)
			}
		})
	}
}

func TestAllowHeader(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	resp, _ := s.Exchange(t, 0, "PUT", "PUT /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("got %d Allow %q, want 405 \"GET, HEAD, POST\"", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// A chunked POST is decoded where POST is allowed: the body is consumed
// exactly, so the pipelined request after it is answered on the same
// connection.
func TestChunkedPostThenPipelinedGet(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.Dial(t, 0)
	raw := "POST /post HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n" +
		"GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n"
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	first := servertest.ReadResponse(t, br, "POST")
	if first.StatusCode == 400 || first.StatusCode == 411 || first.StatusCode == 413 {
		t.Fatalf("chunked POST rejected: %d", first.StatusCode)
	}
	second := servertest.ReadResponse(t, br, "GET")
	if second.StatusCode != 200 || string(second.Body) != "site a" {
		t.Errorf("pipelined GET: got %d %q, want 200 \"site a\"", second.StatusCode, second.Body)
	}
}

func TestPipelining(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.Dial(t, 0)
	raw := "GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n" +
		"GET /exact HTTP/1.1\r\nHost: a.test\r\n\r\n" +
		"HEAD /index.html HTTP/1.1\r\nHost: b.test\r\n\r\n"
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	want := []struct {
		method, body string
	}{{"GET", "site a"}, {"GET", "exact\n"}, {"HEAD", ""}}
	for i, w := range want {
		r := servertest.ReadResponse(t, br, w.method)
		if r.StatusCode != 200 || string(r.Body) != w.body {
			t.Errorf("response %d: got %d %q, want 200 %q", i, r.StatusCode, r.Body, w.body)
		}
		if w.method == "HEAD" && r.ContentLength != int64(len("site b")) {
			t.Errorf("HEAD Content-Length: got %d, want %d", r.ContentLength, len("site b"))
		}
	}
}

func TestKeepAliveReuse(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.Dial(t, 0)
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		if _, err := io.WriteString(c, "GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		r := servertest.ReadResponse(t, br, "GET")
		if r.StatusCode != 200 || r.Close {
			t.Fatalf("request %d: got %d close=%v, want 200 keep-alive", i, r.StatusCode, r.Close)
		}
	}
}

// Not parallel: client_header_timeout also bounds the wait for the first
// byte, and 200ms is little for a test goroutine on a loaded machine
// (run among the parallel tests under -race, its request once arrived
// late and met a closed connection).
func TestHeaderTimeout(t *testing.T) {
	s := servertest.Start(t, `
client_header_timeout 200ms;
server { listen 127.0.0.1:$PORT0; root www; }`, 1, map[string]string{"www/index.html": "x"})
	c := s.Dial(t, 0)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil { // never finished
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	r := servertest.ReadResponse(t, br, "GET")
	if r.StatusCode != 408 {
		t.Errorf("got %d, want 408", r.StatusCode)
	}
	if !servertest.IsClosed(c, br) {
		t.Error("connection not closed after 408")
	}
}

func TestKeepaliveTimeoutClosesIdle(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
keepalive_timeout 100ms;
server { listen 127.0.0.1:$PORT0; root www; }`, 1, map[string]string{"www/index.html": "x"})
	c := s.Dial(t, 0)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	servertest.ReadResponse(t, br, "GET")
	c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: got %v, want EOF", err)
	}
}

func TestAutoindex(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	resp, body := get(t, s.URL(0, "/dl/"), "a.test")
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<a href="alpha%20dir/">alpha dir/</a>`,
		`<a href="sub%20dir/">sub dir/</a>`,
		`&lt;b&gt;&amp;&#34;q&#34;.txt</a>`,
		`href="100%25.txt"`,
		`<a href="zeta.txt">zeta.txt</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("listing lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, ".hidden") || strings.Contains(body, "<b>") {
		t.Errorf("listing shows a dotfile or unescaped markup:\n%s", body)
	}
	if strings.Index(body, "sub%20dir/") > strings.Index(body, "zeta.txt") {
		t.Error("directories are not listed before files")
	}
	// The links work.
	if resp, body := get(t, s.URL(0, "/dl/100%25.txt"), "a.test"); resp.StatusCode != 200 || body != "pct" {
		t.Errorf("following a listed link: got %d %q", resp.StatusCode, body)
	}
}

// A panic in a handler is answered with 500, logged with its stack, and the
// server keeps serving.
func TestPanicIsRecovered(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	restore := server.SetTestHookServe(s.Srv, func(r *http1.Request) {
		if string(r.Path) == "/panic" {
			panic("boom")
		}
	})
	defer restore()
	resp, closed := s.Exchange(t, 0, "GET", "GET /panic HTTP/1.1\r\nHost: a.test\r\n\r\n")
	if resp.StatusCode != 500 || !closed {
		t.Errorf("got %d closed=%v, want 500 and close", resp.StatusCode, closed)
	}
	if _, body := get(t, s.URL(0, "/"), "a.test"); body != "site a" {
		t.Errorf("after the panic: got %q", body)
	}
	if log := s.Log.String(); !strings.Contains(log, "boom") || !strings.Contains(log, "goroutine") {
		t.Errorf("panic not logged with its stack:\n%s", log)
	}
}

// A head longer than the initial 4 KiB read buffer moves to the full-size
// buffer without losing or reordering bytes, whether it arrives at once or
// in pieces that straddle the boundary, and a pipelined request after it
// is still answered.
func TestLargeHeadGrowsBuffer(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	big := "X-Big: " + strings.Repeat("v", 30000) + "\r\n"
	req := "GET / HTTP/1.1\r\nHost: a.test\r\n" + big + "X-After: 1\r\n\r\n"
	for _, step := range []int{len(req), 4000, 1000} {
		c := s.Dial(t, 0)
		raw := req + "GET /style.css HTTP/1.1\r\nHost: a.test\r\n\r\n"
		for i := 0; i < len(raw); i += step {
			if _, err := io.WriteString(c, raw[i:min(i+step, len(raw))]); err != nil {
				t.Fatal(err)
			}
		}
		br := bufio.NewReader(c)
		if r := servertest.ReadResponse(t, br, "GET"); r.StatusCode != 200 || string(r.Body) != "site a" {
			t.Errorf("step %d: first response %d %q", step, r.StatusCode, r.Body)
		}
		if r := servertest.ReadResponse(t, br, "GET"); r.StatusCode != 200 || string(r.Body) != "body{}" {
			t.Errorf("step %d: pipelined response %d %q", step, r.StatusCode, r.Body)
		}
	}
}
