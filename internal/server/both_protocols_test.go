package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/http2"

	"webserv/internal/servertest"
)

// SPEC §8: every feature of sections 3–7 works on both protocols. One
// table of requests runs over HTTP/1.1 (plain and over TLS), over h2c
// with prior knowledge and over h2 negotiated by ALPN, and each answer is
// compared with HTTP/1.1's: status, body and the header fields that carry
// meaning rather than framing.

const bothConf = `
server {
    listen 127.0.0.1:$PORT0 default_server;
    listen 127.0.0.1:$PORT1 ssl default_server;
    http2 on;
    server_name main.test www.main.test;
    ssl_certificate main.crt;
    ssl_certificate_key main.key;
    root www;
    add_header X-Site main;
    error_page 404 /errors/404.html;
    location / { methods GET HEAD; }
    location /files/ { autoindex on; }
    location = /old { return 301 /new/; }
    location = /hello { return 200 "hello text\n"; }
    location /small/ {
        upload_store small;
        methods GET POST;
        client_max_body_size 1k;
    }
    location /up/ {
        alias store/;
        upload_store store;
        methods GET HEAD POST PUT DELETE;
        client_max_body_size 10m;
    }
    location /cgi/ {
        cgi .sh;
        methods GET POST;
        error_page 404 /cgi/notfound.sh;
    }
    location /app/ {
        add_header X-App yes;
        try_files $uri /app/index.html;
    }
    location /z/ { compress zstd br gzip; }
}
server {
    listen 127.0.0.1:$PORT0;
    listen 127.0.0.1:$PORT1 ssl;
    http2 on;
    server_name other.test;
    ssl_certificate other.crt;
    ssl_certificate_key other.key;
    root other;
    add_header X-Site other;
}
`

// bothFiles is the site; the shell programs are made executable by
// startBoth.
var bothFiles = map[string]string{
	"www/index.html":      "<h1>home</h1>\n",
	"www/page.html":       "<p>" + strings.Repeat("a page of text ", 400) + "</p>\n",
	"www/data.bin":        strings.Repeat("\x00\x01\x02\xff", 50000),
	"www/files/a.txt":     "a\n",
	"www/files/b.txt":     "bb\n",
	"www/files/sub/":      "",
	"www/errors/404.html": "<h1>not here</h1>\n",
	"www/app/index.html":  "<p>app</p>\n",
	"www/app/real.txt":    "real\n",
	"www/z/page.html":     "<p>" + strings.Repeat("compressed on both protocols ", 300) + "</p>\n",
	"www/cgi/echo.sh":     "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-Cgi: echo\\r\\n\\r\\n'\necho \"method=$REQUEST_METHOD query=$QUERY_STRING length=$CONTENT_LENGTH type=$CONTENT_TYPE\"\ncat\n",
	"www/cgi/notfound.sh": "#!/bin/sh\nprintf 'Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\n'\necho \"cgi error page for $REQUEST_URI\"\n",
	"www/cgi/slow.sh":     slowCGI,
	"www/cgi/proto.sh":    "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"$SERVER_PROTOCOL\"\n",
	"www/cgi/host.sh":     "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"$HTTP_HOST\"\n",
	"www/cgi/pids/":       "",
	"small/":              "",
	"store/":              "",
	"other/index.html":    "<h1>other site</h1>\n",
}

// slowCGI writes its first line, then waits (at most about 20 s) for the
// file go-QUERY_STRING to appear before it writes the second: what the
// client reads before it creates the file came while the program ran. It
// records its pid and its child's (a sleep in its process group) in
// pids/QUERY_STRING.
const slowCGI = `#!/bin/sh
sleep 60 &
echo $$ $! >pids/$QUERY_STRING
printf 'Content-Type: text/plain\r\n\r\nfirst\n'
i=0
while [ ! -f go-$QUERY_STRING ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
echo second
kill $! 2>/dev/null
`

// bothCerts are the certificates of main.test and other.test, and the
// pool that trusts them.
type bothCerts struct {
	pool  *x509.CertPool
	files map[string]string
}

func newBothCerts(t *testing.T) bothCerts {
	ca := newCA(t)
	mainCert, mainKey := ca.issue(t, 2, "main.test", "www.main.test")
	otherCert, otherKey := ca.issue(t, 3, "other.test")
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return bothCerts{pool: pool, files: map[string]string{
		"ca.crt":   string(ca.pem), // for curl --cacert
		"main.crt": string(mainCert), "main.key": string(mainKey),
		"other.crt": string(otherCert), "other.key": string(otherKey),
	}}
}

// startBoth starts the site of bothConf with conf appended (more
// servers) and its certificates trusted by pool.
func startBoth(t *testing.T, conf string) (*servertest.Server, *x509.CertPool) {
	t.Helper()
	certs := newBothCerts(t)
	files := make(map[string]string, len(bothFiles)+len(certs.files))
	for k, v := range bothFiles {
		files[k] = v
	}
	for k, v := range certs.files {
		files[k] = v
	}
	s := servertest.Start(t, bothConf+conf, 2, files)
	for name := range files {
		if strings.HasSuffix(name, ".sh") {
			if err := os.Chmod(filepath.Join(s.Dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s, certs.pool
}

// protocol is one column of the table: a client, and the base URL
// (scheme://main.test:PORT) its requests go to.
type protocol struct {
	name   string
	h2     bool // the answer must come over HTTP/2
	scheme string
	addr   string // where the client connects, whatever the URL's host
	client *http.Client
}

// url is the URL of path on host (main.test if empty) through p.
func (p *protocol) url(host, path string) string {
	if host == "" {
		host = "main.test"
	}
	_, port, _ := net.SplitHostPort(p.addr)
	return p.scheme + "://" + host + ":" + port + path
}

// protocols are the columns: HTTP/1.1 on the plain listener and over TLS
// (ALPN offering http/1.1 only), h2c with prior knowledge on the plain
// listener, and h2 through ALPN on the ssl one. Every client connects to
// the listener whatever the URL's host says, so that virtual hosts are
// chosen by Host / :authority (and SNI over TLS).
func protocols(s *servertest.Server, pool *x509.CertPool) []*protocol {
	dialer := &net.Dialer{Timeout: servertest.IOTimeout}
	plain, secure := s.Addrs[0], s.Addrs[1]
	h1 := func(addr string, tlsConf *tls.Config) *http.Client {
		c := servertest.Client()
		c.Transport = &http.Transport{
			ForceAttemptHTTP2:  false,
			DisableCompression: true,
			TLSClientConfig:    tlsConf,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, addr)
			},
		}
		return c
	}
	h2c := servertest.Client()
	h2c.Transport = &http2.Transport{
		AllowHTTP:          true,
		DisableCompression: true,
		DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
			return dialer.DialContext(ctx, network, plain)
		},
	}
	h2tls := servertest.Client()
	h2tls.Transport = &http2.Transport{
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{RootCAs: pool},
		DialTLSContext: func(ctx context.Context, network, _ string, cfg *tls.Config) (net.Conn, error) {
			// cfg names the URL's host (SNI) and offers h2 only.
			td := &tls.Dialer{NetDialer: dialer, Config: cfg}
			return td.DialContext(ctx, network, secure)
		},
	}
	return []*protocol{
		{name: "http1", scheme: "http", addr: plain, client: h1(plain, nil)},
		{name: "http1tls", scheme: "https", addr: secure, client: h1(secure, &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}})},
		{name: "h2c", h2: true, scheme: "http", addr: plain, client: h2c},
		{name: "h2", h2: true, scheme: "https", addr: secure, client: h2tls},
	}
}

// answer is what a row compares of a response.
type answer struct {
	proto  int
	status int
	body   []byte
	header http.Header
	close  bool // the server said it closes the connection (HTTP/1.1)
}

// comparedFields are the header fields every protocol must agree on.
var comparedFields = []string{"Content-Type", "Content-Length", "Content-Encoding", "Vary", "ETag", "Last-Modified", "Location", "Allow", "Content-Range", "X-Site", "X-App", "X-Cgi"}

// connectionFields may not appear in an HTTP/2 response (RFC 9113 §8.2.2).
var connectionFields = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}

// bothRow is one request of the table. In path and body, "{p}" is the
// protocol's name, so that uploads of one column do not meet those of
// another; in the answer's body and Location, the protocol's name is put
// back to "{p}" before the comparison.
type bothRow struct {
	name    string
	method  string
	host    string // "" is main.test
	path    string
	header  map[string]string
	body    func(p string) (contentType string, body []byte)
	status  int
	want    string // the body, when it is short and known; else only compared
	h1Close bool   // HTTP/1.1 closes after this answer (HTTP/2 keeps the connection: the stream ends, not it)
	coding  string // the Content-Encoding the answer must have
	// check looks further at an answer (the stored file of an upload).
	check func(t *testing.T, s *servertest.Server, p string, a *answer)
}

func TestBothProtocols(t *testing.T) {
	t.Parallel()
	s, pool := startBoth(t, "")
	www := filepath.Join(s.Dir, "www")
	page, err := os.Stat(filepath.Join(www, "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	lastMod := page.ModTime().UTC().Format(http.TimeFormat)
	protos := protocols(s, pool)
	// The ETag, as HTTP/1.1 gives it, for the conditional rows.
	resp, err := protos[0].client.Get(protos[0].url("", "/page.html"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /page.html")
	}

	multipartBody := func(p string) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary("xyzzy-boundary")
		mw.WriteField("comment", "not a file")
		f, _ := mw.CreateFormFile("file", "multi-"+p+".txt")
		f.Write([]byte("multipart content\n"))
		mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}
	raw := func(data string) func(string) (string, []byte) {
		return func(string) (string, []byte) { return "application/octet-stream", []byte(data) }
	}
	stored := func(name, want string) func(*testing.T, *servertest.Server, string, *answer) {
		return func(t *testing.T, s *servertest.Server, p string, _ *answer) {
			name := strings.ReplaceAll(name, "{p}", p)
			if b, err := os.ReadFile(filepath.Join(s.Dir, "store", name)); err != nil || string(b) != want {
				t.Errorf("stored %s: %q %v, want %q", name, b, err, want)
			}
		}
	}
	gone := func(name string) func(*testing.T, *servertest.Server, string, *answer) {
		return func(t *testing.T, s *servertest.Server, p string, _ *answer) {
			if _, err := os.Stat(filepath.Join(s.Dir, "store", strings.ReplaceAll(name, "{p}", p))); !os.IsNotExist(err) {
				t.Errorf("%s still there: %v", name, err)
			}
		}
	}
	bigPut := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB: more than HTTP/2's initial window
	rows := []bothRow{
		{name: "static GET", method: "GET", path: "/page.html", status: 200},
		{name: "static binary GET", method: "GET", path: "/data.bin", status: 200},
		{name: "static HEAD", method: "HEAD", path: "/page.html", status: 200, want: ""},
		{name: "index", method: "GET", path: "/", status: 200, want: "<h1>home</h1>\n"},
		{name: "If-None-Match 304", method: "GET", path: "/page.html", header: map[string]string{"If-None-Match": etag}, status: 304, want: ""},
		{name: "If-Modified-Since 304", method: "GET", path: "/page.html", header: map[string]string{"If-Modified-Since": lastMod}, status: 304, want: ""},
		{name: "If-None-Match other 200", method: "GET", path: "/page.html", header: map[string]string{"If-None-Match": `"nope"`}, status: 200},
		{name: "range 206", method: "GET", path: "/page.html", header: map[string]string{"Range": "bytes=3-12"}, status: 206, want: "a page of "},
		{name: "range suffix 206", method: "GET", path: "/data.bin", header: map[string]string{"Range": "bytes=-4"}, status: 206, want: "\x00\x01\x02\xff"},
		{name: "range 416", method: "GET", path: "/page.html", header: map[string]string{"Range": "bytes=999999-"}, status: 416},
		{name: "autoindex", method: "GET", path: "/files/", status: 200},
		{name: "directory redirect", method: "GET", path: "/files", status: 301},
		{name: "404 error_page file", method: "GET", path: "/missing.html", status: 404, want: "<h1>not here</h1>\n"},
		{name: "404 error_page CGI", method: "GET", path: "/cgi/missing.sh", status: 404, want: "cgi error page for /cgi/missing.sh\n"},
		{name: "return 301", method: "GET", path: "/old", status: 301},
		{name: "return 200 text", method: "GET", path: "/hello", status: 200, want: "hello text\n"},
		{name: "405 with Allow", method: "DELETE", path: "/page.html", status: 405},
		{name: "414 over client_max_uri_length", method: "GET", path: "/" + strings.Repeat("u", 9<<10), status: 414, h1Close: true},
		{name: "413 over client_max_body_size", method: "POST", path: "/small/x-{p}.bin", body: raw(strings.Repeat("x", 2048)), status: 413, h1Close: true},
		{name: "multipart POST", method: "POST", path: "/up/", header: map[string]string{"Accept": "application/json"}, body: multipartBody, status: 201,
			check: stored("multi-{p}.txt", "multipart content\n")},
		{name: "raw POST", method: "POST", path: "/up/raw-{p}.txt", body: raw("raw body\n"), status: 201, check: stored("raw-{p}.txt", "raw body\n")},
		{name: "PUT new", method: "PUT", path: "/up/put-{p}.txt", body: raw("put one\n"), status: 201, check: stored("put-{p}.txt", "put one\n")},
		{name: "PUT replace", method: "PUT", path: "/up/put-{p}.txt", body: raw("put two\n"), status: 204, check: stored("put-{p}.txt", "put two\n")},
		{name: "PUT 1 MiB", method: "PUT", path: "/up/big-{p}.bin", body: raw(string(bigPut)), status: 201, check: stored("big-{p}.bin", string(bigPut))},
		{name: "GET uploaded", method: "GET", path: "/up/put-{p}.txt", status: 200, want: "put two\n"},
		{name: "DELETE", method: "DELETE", path: "/up/put-{p}.txt", status: 204, check: gone("put-{p}.txt")},
		{name: "GET deleted", method: "GET", path: "/up/put-{p}.txt", status: 404},
		{name: "CGI GET with query", method: "GET", path: "/cgi/echo.sh?a=1&b=two%20words", status: 200,
			want: "method=GET query=a=1&b=two%20words length= type=\n"},
		{name: "CGI POST with body", method: "POST", path: "/cgi/echo.sh?x", body: raw("posted body\n"), status: 200,
			want: "method=POST query=x length=12 type=application/octet-stream\nposted body\n"},
		{name: "virtual host", method: "GET", host: "other.test", path: "/", status: 200, want: "<h1>other site</h1>\n"},
		{name: "server name alias", method: "GET", host: "www.main.test", path: "/", status: 200, want: "<h1>home</h1>\n"},
		{name: "try_files existing", method: "GET", path: "/app/real.txt", status: 200, want: "real\n"},
		{name: "try_files fallback", method: "GET", path: "/app/some/route", status: 200, want: "<p>app</p>\n"},
		// Compression (the bodies compared are the coded bytes: the
		// clients decode nothing).
		{name: "gzip", method: "GET", path: "/z/page.html", header: map[string]string{"Accept-Encoding": "gzip"}, status: 200, coding: "gzip"},
		{name: "zstd preferred", method: "GET", path: "/z/page.html", header: map[string]string{"Accept-Encoding": "gzip, br, zstd"}, status: 200, coding: "zstd"},
		{name: "br HEAD", method: "HEAD", path: "/z/page.html", header: map[string]string{"Accept-Encoding": "br"}, status: 200, want: "", coding: "br"},
		{name: "uncompressed without Accept-Encoding", method: "GET", path: "/z/page.html", status: 200},
		{name: "range not compressed", method: "GET", path: "/z/page.html", header: map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-9"}, status: 206, want: "<p>compres"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			answers := make([]*answer, len(protos))
			for i, p := range protos {
				answers[i] = bothExchange(t, s, p, &row)
				if answers[i] != nil {
					answers[i].proto = i
				}
			}
			ref := answers[0]
			if ref == nil {
				return
			}
			for i, a := range answers[1:] {
				if a == nil {
					continue
				}
				p := protos[i+1]
				if a.status != ref.status {
					t.Errorf("%s: status %d, HTTP/1.1 %d", p.name, a.status, ref.status)
				}
				if !bytes.Equal(a.body, ref.body) {
					t.Errorf("%s: body %s, HTTP/1.1 %s", p.name, digest(a.body), digest(ref.body))
				}
				for _, f := range comparedFields {
					if got, want := a.header.Values(f), ref.header.Values(f); strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Errorf("%s: %s %q, HTTP/1.1 %q", p.name, f, got, want)
					}
				}
			}
		})
	}
}

// bothExchange makes row's request through p and checks what does not
// depend on the other columns; nil if the exchange failed.
func bothExchange(t *testing.T, s *servertest.Server, p *protocol, row *bothRow) *answer {
	t.Helper()
	path := strings.ReplaceAll(row.path, "{p}", p.name)
	var body io.Reader
	var ctype string
	if row.body != nil {
		var b []byte
		ctype, b = row.body(p.name)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(row.method, p.url(row.host, path), body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range row.header {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Errorf("%s: %v", p.name, err)
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Errorf("%s: reading the body: %v", p.name, err)
		return nil
	}
	if p.h2 != (resp.ProtoMajor == 2) {
		t.Errorf("%s: answered over %s", p.name, resp.Proto)
	}
	if resp.StatusCode != row.status {
		t.Errorf("%s: got %d %q, want %d", p.name, resp.StatusCode, b, row.status)
	}
	if row.want != "" || row.method == "HEAD" || row.status == 304 {
		if string(b) != row.want {
			t.Errorf("%s: body %q, want %q", p.name, b, row.want)
		}
	}
	if got := resp.Header.Get("Content-Encoding"); got != row.coding {
		t.Errorf("%s: Content-Encoding %q, want %q", p.name, got, row.coding)
	}
	if p.h2 {
		for _, f := range connectionFields {
			if v := resp.Header.Values(f); len(v) > 0 {
				t.Errorf("%s: connection-specific field %s: %q (RFC 9113 §8.2.2)", p.name, f, v)
			}
		}
	} else if resp.Close != row.h1Close {
		// HTTP/1.1 must close after a refused body it did not read
		// (RFC 9112 §9.6); HTTP/2 ends only the stream.
		t.Errorf("%s: Connection: close %v, want %v", p.name, resp.Close, row.h1Close)
	}
	if row.check != nil {
		row.check(t, s, p.name, &answer{status: resp.StatusCode, body: b, header: resp.Header})
	}
	// Put the protocol's own parts back to what every column shares.
	base := p.scheme + "://" + resp.Request.URL.Host
	h := resp.Header.Clone()
	for _, f := range []string{"Location"} {
		if v := h.Get(f); v != "" {
			h.Set(f, strings.ReplaceAll(strings.TrimPrefix(v, base), p.name, "{p}"))
		}
	}
	b = bytes.ReplaceAll(b, []byte(p.name), []byte("{p}"))
	if strings.Contains(row.path, "{p}") || row.body != nil {
		// A body that names the protocol has its length change with it.
		h.Del("Content-Length")
	}
	return &answer{status: resp.StatusCode, body: b, header: h, close: resp.Close}
}

// digest names a body in a failure message: short bodies as they are,
// long ones by length and SHA-256.
func digest(b []byte) string {
	if len(b) <= 64 {
		return fmt.Sprintf("%q", b)
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes sha256 %s", len(b), hex.EncodeToString(sum[:8]))
}

// A CGI program's output reaches the client as the program writes it, on
// both protocols: the first line is read while the program still waits
// for the go-ahead file that only the client makes.
func TestBothProtocolsCGIStreams(t *testing.T) {
	t.Parallel()
	s, pool := startBoth(t, "")
	for _, p := range protocols(s, pool) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), servertest.IOTimeout)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", p.url("", "/cgi/slow.sh?"+p.name), nil)
			resp, err := p.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if p.h2 != (resp.ProtoMajor == 2) || resp.StatusCode != 200 {
				t.Fatalf("got %s %d", resp.Proto, resp.StatusCode)
			}
			first := make([]byte, len("first\n"))
			if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first\n" {
				t.Fatalf("first line: %q %v", first, err)
			}
			// The program is still running: it has not had its go-ahead.
			goFile := filepath.Join(s.Dir, "www/cgi/go-"+p.name)
			if err := os.WriteFile(goFile, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			rest, err := io.ReadAll(resp.Body)
			if err != nil || string(rest) != "second\n" {
				t.Errorf("rest: %q %v, want \"second\\n\"", rest, err)
			}
		})
	}
}

// A CGI program sees the protocol its request came with in
// SERVER_PROTOCOL (RFC 3875 §4.1.16): HTTP/2.0 over h2 and h2c, as
// nginx's $server_protocol.
func TestBothProtocolsCGIServerProtocol(t *testing.T) {
	t.Parallel()
	s, pool := startBoth(t, "")
	for _, p := range protocols(s, pool) {
		resp, err := p.client.Get(p.url("", "/cgi/proto.sh"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "HTTP/1.1\n"
		if p.h2 {
			want = "HTTP/2.0\n"
		}
		if resp.StatusCode != 200 || string(b) != want {
			t.Errorf("%s: got %d %q, want 200 %q", p.name, resp.StatusCode, b, want)
		}
	}
}

// A CGI program sees the request's host in HTTP_HOST on both protocols:
// over HTTP/2, where clients send :authority and no Host field, the
// authority is the Host field, as nginx makes it.
func TestBothProtocolsCGIHost(t *testing.T) {
	t.Parallel()
	s, pool := startBoth(t, "")
	for _, p := range protocols(s, pool) {
		resp, err := p.client.Get(p.url("", "/cgi/host.sh"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, port, _ := net.SplitHostPort(p.addr)
		if want := "main.test:" + port + "\n"; resp.StatusCode != 200 || string(b) != want {
			t.Errorf("%s: got %d %q, want 200 %q", p.name, resp.StatusCode, b, want)
		}
	}
}

// curl speaks HTTP/2 to the server both ways — with prior knowledge
// (--http2-prior-knowledge) on the plain listener and through ALPN
// (--http2) over TLS, checking the certificate — for a static file, a
// range, a PUT and a multipart upload, a CGI POST and a DELETE.
func TestBothProtocolsCurl(t *testing.T) {
	t.Parallel()
	needCurl(t)
	s, _ := startBoth(t, "")
	data := bytes.Repeat([]byte("curl over h2 "), 20000) // 260 KB: beyond a stream window
	src := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(s.Dir, "www/page.html"))
	for _, mode := range []struct {
		name string
		addr string
		args []string
	}{
		{"h2c", s.Addrs[0], []string{"--http2-prior-knowledge"}},
		{"h2", s.Addrs[1], []string{"--http2", "--cacert", filepath.Join(s.Dir, "ca.crt")}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			_, port, _ := net.SplitHostPort(mode.addr)
			scheme := "http"
			if mode.name == "h2" {
				scheme = "https"
			}
			base := scheme + "://main.test:" + port
			curl := func(args ...string) (version string, status int, body []byte) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), curlTimeout)
				defer cancel()
				all := append([]string{"-sS", "--noproxy", "*", "--resolve", "main.test:" + port + ":127.0.0.1",
					"-w", "\n%{http_version} %{http_code}"}, mode.args...)
				cmd := exec.CommandContext(ctx, "curl", append(all, args...)...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("curl %q: %v\n%s", args, err, stderr.Bytes())
				}
				out := stdout.Bytes()
				i := bytes.LastIndexByte(out, '\n')
				version, code, _ := strings.Cut(string(out[i+1:]), " ")
				status, _ = strconv.Atoi(code)
				return version, status, out[:i]
			}
			check := func(what string, wantStatus int, version string, status int) {
				t.Helper()
				if version != "2" || status != wantStatus {
					t.Errorf("%s: HTTP/%s %d, want HTTP/2 %d", what, version, status, wantStatus)
				}
			}
			v, st, body := curl(base + "/page.html")
			check("GET", 200, v, st)
			if !bytes.Equal(body, page) {
				t.Errorf("GET: %s, want the file's %s", digest(body), digest(page))
			}
			v, st, body = curl("-r", "3-12", base+"/page.html")
			check("range", 206, v, st)
			if string(body) != "a page of " {
				t.Errorf("range: %q", body)
			}
			v, st, _ = curl("-T", src, base+"/up/curl-"+mode.name+".bin")
			check("PUT", 201, v, st)
			if b, err := os.ReadFile(filepath.Join(s.Dir, "store/curl-"+mode.name+".bin")); err != nil || !bytes.Equal(b, data) {
				t.Errorf("PUT stored %s %v, want %s", digest(b), err, digest(data))
			}
			v, st, _ = curl("-F", "file=@"+src+";filename=form-"+mode.name+".bin", base+"/up/")
			check("multipart POST", 201, v, st)
			if b, err := os.ReadFile(filepath.Join(s.Dir, "store/form-"+mode.name+".bin")); err != nil || !bytes.Equal(b, data) {
				t.Errorf("multipart stored %s %v, want %s", digest(b), err, digest(data))
			}
			v, st, body = curl("--data-binary", "@"+src, "-H", "Content-Type: application/octet-stream", base+"/cgi/echo.sh?curl")
			check("CGI POST", 200, v, st)
			if want := fmt.Sprintf("method=POST query=curl length=%d type=application/octet-stream\n", len(data)) + string(data); string(body) != want {
				t.Errorf("CGI POST: %s, want %s", digest(body), digest([]byte(want)))
			}
			v, st, _ = curl("-X", "DELETE", base+"/up/curl-"+mode.name+".bin")
			check("DELETE", 204, v, st)
		})
	}
}
