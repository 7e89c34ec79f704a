package server_test

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// The static-file path in steady state: a keep-alive connection asking for
// the same small file again and again. Issue 9's target is that the server
// side of every request — reading and parsing the head, selecting server
// and location, finding and reading the file, writing head and body —
// allocates nothing. The client below allocates nothing, so
// testing.AllocsPerRun (which counts every goroutine's allocations)
// measures the server alone.
//
// In steady state the clean path comes from route's clean-path cache and
// the file (bytes, validators, type) from static's small-file cache, whose
// freshness check is one stat(2) of a path kept NUL-terminated; nothing on
// the way allocates. Both the default disable_symlinks on and a location
// with it off are measured.
const staticAllocBudget = 0

const allocConf = `
keepalive_requests 2147483647;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /nosym/ { alias www/; disable_symlinks off; }
}
`

// allocFile is 1 KiB, the size bench/run.sh serves in its scenario 1;
// allocIndex is the site's index page (1.5 KiB), allocMedium a 20 KiB
// asset, above the small-file cache, and allocLarge a 256 KiB one, sent
// with sendfile (bench/run.sh's other static rows).
var (
	allocFile   = strings.Repeat("x", 1024)
	allocIndex  = strings.Repeat("i", 1536)
	allocMedium = strings.Repeat("0123456789abcdef", 20<<10/16)
	allocLarge  = strings.Repeat("fedcba9876543210", 256<<10/16)
)

// keepAliveClient sends one fixed request on one connection and reads a
// response whose length it learnt from the first one, into a buffer it
// reuses: after newKeepAliveClient, do allocates nothing.
type keepAliveClient struct {
	c      net.Conn
	req    []byte
	resp   []byte
	status []byte // the status line expected
	body   []byte // and body
}

func newKeepAliveClient(tb testing.TB, s *servertest.Server, path string) *keepAliveClient {
	return newKeepAliveClientStatus(tb, s, path, 200)
}

// newKeepAliveClientStatus is newKeepAliveClient for a response with the
// given status (its body is whatever the first response carried).
func newKeepAliveClientStatus(tb testing.TB, s *servertest.Server, path string, status int) *keepAliveClient {
	tb.Helper()
	want := ""
	if status == 200 {
		want = allocFile
	}
	return newKeepAliveClientReq(tb, s, path, "", status, want)
}

// newKeepAliveClientReq is newKeepAliveClient for a request with the extra
// header lines hdr ("Name: value\r\n" each), a response with status, and
// body want (any body when want is "").
func newKeepAliveClientReq(tb testing.TB, s *servertest.Server, path, hdr string, status int, want string) *keepAliveClient {
	tb.Helper()
	return newKeepAliveClientMethod(tb, s, "GET", path, hdr, status, want)
}

// newKeepAliveClientMethod is newKeepAliveClientReq for any method (a
// HEAD's response has no body: want is then "").
func newKeepAliveClientMethod(tb testing.TB, s *servertest.Server, method, path, hdr string, status int, want string) *keepAliveClient {
	tb.Helper()
	k := &keepAliveClient{
		c:   s.Dial(tb, 0),
		req: []byte(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: alloc-test\r\nAccept: */*\r\n" + hdr + "\r\n"),
	}
	if _, err := k.c.Write(k.req); err != nil {
		tb.Fatal(err)
	}
	var raw bytes.Buffer
	resp, err := http.ReadResponse(bufio.NewReader(io.TeeReader(k.c, &raw)), &http.Request{Method: method})
	if err != nil {
		tb.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != status || resp.Close || want != "" && string(body) != want {
		tb.Fatalf("first response: status %d, close %v, %d body bytes, err %v", resp.StatusCode, resp.Close, len(body), err)
	}
	// The head's length never changes: Date is fixed-width, and the file,
	// hence ETag and Last-Modified, stays the same.
	k.status = []byte(raw.String()[:strings.Index(raw.String(), "\r\n")+2])
	k.body = body
	k.resp = make([]byte, raw.Len())
	return k
}

func (k *keepAliveClient) do(tb testing.TB) {
	k.c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	if _, err := k.c.Write(k.req); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(k.c, k.resp); err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasPrefix(k.resp, k.status) || !bytes.HasSuffix(k.resp, k.body) {
		tb.Fatalf("got response %q", k.resp)
	}
}

func startAllocServer(tb testing.TB) *servertest.Server {
	// The files are new: let the small-file cache take them now (at
	// their second request), as it would a second later
	// (server.CacheNew).
	s := servertest.Start(tb, allocConf, 1, map[string]string{
		"www/1k.html":     allocFile,
		"www/index.html":  allocIndex,
		"www/sub/20k.bin": allocMedium,
		"www/256k.bin":    allocLarge,
	}, server.CacheNew)
	// The default error_log level, info: a 404's debug line (its cause)
	// is built only when debug is on.
	s.Level.Set(slog.LevelInfo)
	return s
}

func TestStaticKeepAliveAllocs(t *testing.T) {
	if raceEnabled {
		// The race detector allocates on its own and makes sync.Pool drop
		// items at random.
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the cache's stat copies the path on this platform (internal/static/statz_bsd.go)")
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the cache's stat allocates on this architecture (internal/static/statz_linux_other.go)")
	}
	s := startAllocServer(t)
	for _, c := range []struct {
		method, path, hdr string
		status            int
		body              string
	}{
		{"GET", "/1k.html", "", 200, allocFile},
		{"GET", "/nosym/1k.html", "", 200, allocFile},
		// The site's root through index (the index cache, then the
		// small-file cache under the directory's URL).
		{"GET", "/", "", 200, allocIndex},
		{"GET", "/nosym/", "", 200, allocIndex},
		// Above the small-file cache: open, fstat, pread, writev.
		{"GET", "/sub/20k.bin", "", 200, allocMedium},
		{"GET", "/nosym/sub/20k.bin", "", 200, allocMedium},
		// A single range of it.
		{"GET", "/sub/20k.bin", "Range: bytes=100-1099\r\n", 206, allocMedium[100:1100]},
		// Its head alone (bench/run.sh's HEAD row).
		{"HEAD", "/sub/20k.bin", "", 200, ""},
		// Above the medium size: sendfile.
		{"GET", "/256k.bin", "", 200, allocLarge},
	} {
		k := newKeepAliveClientMethod(t, s, c.method, c.path, c.hdr, c.status, c.body)
		for range 10 { // warm pools and caches
			k.do(t)
		}
		allocs := testing.AllocsPerRun(200, func() { k.do(t) })
		if allocs > staticAllocBudget {
			t.Errorf("%s %s %q: got %v allocations per keep-alive request for a static file, want %d", c.method, c.path, c.hdr, allocs, staticAllocBudget)
		}
	}
}

// The error path (bench/run.sh scenario 3): a 404 for a missing file, with
// the built-in error page. notFoundAllocBudget pins today's count.
const notFoundAllocBudget = 0

func TestNotFoundKeepAliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the open copies the path on this platform (internal/static/statz_bsd.go)")
	}
	s := startAllocServer(t)
	k := newKeepAliveClientStatus(t, s, "/missing.html", 404)
	for range 10 {
		k.do(t)
	}
	if allocs := testing.AllocsPerRun(200, func() { k.do(t) }); allocs != notFoundAllocBudget {
		t.Errorf("got %v allocations per keep-alive 404, want %d", allocs, notFoundAllocBudget)
	}
}

// BenchmarkStaticKeepAlive serves a 1 KiB file over one loopback keep-alive
// connection: the server work of bench/run.sh scenario 1 without wrk, for
// -cpuprofile and -memprofile. The second case shows what the default
// disable_symlinks check costs.
func BenchmarkStaticKeepAlive(b *testing.B) {
	s := startAllocServer(b)
	for _, c := range []struct{ name, path string }{
		{"symlinks-checked", "/1k.html"},
		{"symlinks-off", "/nosym/1k.html"},
	} {
		b.Run(c.name, func(b *testing.B) {
			k := newKeepAliveClient(b, s, c.path)
			b.ReportAllocs()
			b.SetBytes(int64(len(k.resp)))
			for b.Loop() {
				k.do(b)
			}
		})
	}
}

// BenchmarkNotFoundKeepAlive is bench/run.sh scenario 3 in-process: a 404
// with the built-in error page over one keep-alive connection.
func BenchmarkNotFoundKeepAlive(b *testing.B) {
	s := startAllocServer(b)
	k := newKeepAliveClientStatus(b, s, "/missing.html", 404)
	b.ReportAllocs()
	for b.Loop() {
		k.do(b)
	}
}

// BenchmarkStaticKeepAliveParallel is the same over GOMAXPROCS connections
// at once, closer to wrk's load (and to contention between connections).
func BenchmarkStaticKeepAliveParallel(b *testing.B) {
	s := startAllocServer(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		k := newKeepAliveClient(b, s, "/1k.html")
		for pb.Next() {
			k.do(b)
		}
	})
}

// BenchmarkStaticClose is bench/run.sh scenario 2 in-process: a new
// connection per request ("Connection: close"), so accept, connection
// set-up and teardown dominate.
func BenchmarkStaticClose(b *testing.B) {
	s := startAllocServer(b)
	req := []byte("GET /1k.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			b.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n, err := io.ReadFull(c, buf)
		if err != io.ErrUnexpectedEOF || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200 OK\r\n")) {
			b.Fatalf("got %d bytes, %v: %q", n, err, buf[:n])
		}
		c.Close()
	}
}

// try_files and add_header with variables (SPEC §2a) on the static path:
// `try_files $uri $uri/ =404` tests existence with a stat of a path built
// on the stack, and an add_header value is expanded into the
// connection's per-request buffer. A hit, the =404 miss and a header
// with $uri are measured.
const varsAllocBudget = 0

const varsAllocConf = `
keepalive_requests 2147483647;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location / { try_files $uri $uri/ =404; }
    location /h/ { alias www/; add_header X-U $uri; }
}
`

func TestTryFilesKeepAliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the stat copies the path on this platform (internal/static/statz_bsd.go, statz_linux_other.go)")
	}
	s := servertest.Start(t, varsAllocConf, 1, map[string]string{"www/1k.html": allocFile}, server.CacheNew)
	s.Level.Set(slog.LevelInfo)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/1k.html", 200},
		{"/missing.html", 404},
		{"/h/1k.html", 200},
	} {
		k := newKeepAliveClientStatus(t, s, c.path, c.status)
		for range 10 {
			k.do(t)
		}
		if allocs := testing.AllocsPerRun(200, func() { k.do(t) }); allocs > varsAllocBudget {
			t.Errorf("%s: got %v allocations per keep-alive request, want %d", c.path, allocs, varsAllocBudget)
		}
	}
}

// Several keep-alive connections in turn, as a loaded server sees them:
// each request's pooled state (writer, reader) may come from another
// connection, and must not cost an allocation to rebind.
func TestKeepAliveAllocsAcrossConnections(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the static path allocates on this platform (see TestStaticKeepAliveAllocs)")
	}
	s := startAllocServer(t)
	ks := make([]*keepAliveClient, 4)
	for i := range ks {
		ks[i] = newKeepAliveClientReq(t, s, "/1k.html", "", 200, allocFile)
	}
	next := 0
	round := func() {
		ks[next%len(ks)].do(t)
		next++
	}
	for range 40 {
		round()
	}
	if allocs := testing.AllocsPerRun(400, round); allocs > staticAllocBudget {
		t.Errorf("got %v allocations per keep-alive request over %d connections in turn, want %d", allocs, len(ks), staticAllocBudget)
	}
}
