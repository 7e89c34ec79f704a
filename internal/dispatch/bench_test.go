package dispatch_test

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"webserv/internal/compress"
	"webserv/internal/config"
	"webserv/internal/dispatch"
	"webserv/internal/http1"
	"webserv/internal/route"
	"webserv/internal/static"
)

// The HTTP/1.1 request path in-process, without sockets (issue 17): one
// request head is parsed, its server selected, dispatched and answered
// into a writer that discards, as internal/server's connection loop
// (conn.serveRequest) does for every request of a keep-alive connection.
// What the loopback benchmarks of internal/server spend in the kernel and
// the scheduler is left out, so that the user-space work of ours per
// request is what ns/op measures (with -cpuprofile, what pprof shows).
// The access log and the connection's reads and deadlines are not part
// of it.

const benchConf = `
server {
    listen 127.0.0.1:8080;
    root www;
}
`

// benchConfRegex is the same site with a regex location, as a site that
// runs scripts has (location ~ \.php$): a directory's index could then
// be another location's to serve.
const benchConfRegex = `
server {
    listen 127.0.0.1:8080;
    root www;
    location ~ \.php$ { return 403; }
}
`

// The site's files, as internal/server's alloc_test.go serves them (the
// sizes of bench/run.sh's scenarios): a 1 KiB page for the small-file
// cache, the index page, and a 20 KiB asset above that cache.
var (
	benchSmall  = strings.Repeat("x", 1024)
	benchIndex  = strings.Repeat("i", 1536)
	benchMedium = strings.Repeat("0123456789abcdef", 20<<10/16)
)

// benchCases are the shapes of a real site's requests.
var benchCases = []struct {
	name, method, path, hdr string
	status                  int
	body                    int  // body bytes sent
	regex                   bool // on the site of benchConfRegex
}{
	{"404", "GET", "/missing.html", "", 404, -1, false},
	{"index", "GET", "/", "", 200, len(benchIndex), false},
	{"index-regex-site", "GET", "/", "", 200, len(benchIndex), true},
	{"get-20k", "GET", "/sub/20k.bin", "", 200, len(benchMedium), false},
	{"head-20k", "HEAD", "/sub/20k.bin", "", 200, 0, false},
	{"range", "GET", "/sub/20k.bin", "Range: bytes=100-1099\r\n", 206, 1000, false},
	{"cached-1k", "GET", "/1k.html", "", 200, len(benchSmall), false},
}

// benchServer is one configuration's dispatch layer and one connection's
// request state.
type benchServer struct {
	table *route.Table
	d     *dispatch.Dispatcher
	files *static.Files

	parser http1.Parser
	req    http1.Request
	w      http1.ResponseWriter
	body   http1.Body
	br     *bufio.Reader
	x      dispatch.Exchange
	out    countingDiscard
}

func newBenchServer(tb testing.TB, conf string) *benchServer {
	tb.Helper()
	dir := tb.TempDir()
	for name, data := range map[string]string{
		"www/1k.html":     benchSmall,
		"www/index.html":  benchIndex,
		"www/sub/20k.bin": benchMedium,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cfg, err := config.Parse(filepath.Join(dir, "webserv.conf"), []byte(conf), dir)
	if err != nil {
		tb.Fatal(err)
	}
	// The default error_log level: a 404's debug line is not built.
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelInfo)
	s := &benchServer{
		table: route.New(cfg),
		// The test's files are new: cache them at once (see
		// static.Options).
		files: static.New(static.Options{CacheNew: true}),
		br:    bufio.NewReader(strings.NewReader("")),
	}
	s.d = &dispatch.Dispatcher{
		Log:      slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: lv})),
		Counters: new(dispatch.Counters),
		Variants: new(compress.Cache),
		Files:    s.files,
	}
	tb.Cleanup(s.files.Close)
	return s
}

// serve parses head and answers it as conn.serveRequest does.
func (s *benchServer) serve(tb testing.TB, head []byte) {
	req := &s.req
	if _, err := s.parser.Parse(head, req); err != nil {
		tb.Fatal(err)
	}
	srv := s.table.Server("127.0.0.1:8080", req.Host)
	s.out.n = 0
	s.w.Reset(&s.out, req.Minor, string(req.Method) == "HEAD", req.KeepAlive)
	s.w.SendTimeout = srv.SendTimeout
	s.w.ServerTokens = srv.ServerTokens
	s.body.Reset(s.br, nil, &s.w, req, srv.Default.MaxBodySize, srv.Default.BodyTimeout)
	s.w.BeforeHead = &s.body
	x := &s.x
	x.Req, x.W, x.Body, x.Peer = req, &s.w, &s.body, benchPeer{}
	if s.d.Serve(x, srv) {
		tb.Fatal("response aborted")
	}
	if err := s.w.Finish(); err != nil {
		tb.Fatal(err)
	}
	if !s.w.KeepAlive || !s.body.Drain() {
		tb.Fatal("connection not kept")
	}
}

// check fails unless the last response had status and body bytes.
func (s *benchServer) check(tb testing.TB, status, body int) {
	tb.Helper()
	if got := s.w.Status(); got != status {
		tb.Fatalf("got status %d, want %d", got, status)
	}
	if body >= 0 && s.w.BodyBytesSent() != int64(body) {
		tb.Fatalf("got %d body bytes, want %d", s.w.BodyBytesSent(), body)
	}
	if s.out.n <= s.w.BodyBytesSent() {
		tb.Fatalf("wrote %d bytes for %d body bytes: no head", s.out.n, s.w.BodyBytesSent())
	}
}

func benchHead(method, path, hdr string) []byte {
	return []byte(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: alloc-test\r\nAccept: */*\r\n" + hdr + "\r\n")
}

// countingDiscard is the connection: it counts what it is given.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// benchPeer is the connection as dispatch sees it.
type benchPeer struct{}

func (benchPeer) Remote() string                  { return "127.0.0.1:40000" }
func (benchPeer) Local() string                   { return "127.0.0.1:8080" }
func (benchPeer) TLS() bool                       { return false }
func (benchPeer) ClientGone(<-chan struct{}) bool { return false }

// BenchmarkServe is one keep-alive request of each shape, from its head
// to the last byte of its response (issue 17): go test ./internal/dispatch
// -run '^$' -bench Serve -cpuprofile cpu.out; go tool pprof -top cpu.out.
func BenchmarkServe(b *testing.B) {
	plain, regex := newBenchServer(b, benchConf), newBenchServer(b, benchConfRegex)
	for _, c := range benchCases {
		s := plain
		if c.regex {
			s = regex
		}
		b.Run(c.name, func(b *testing.B) {
			head := benchHead(c.method, c.path, c.hdr)
			for range 3 { // fill the caches
				s.serve(b, head)
			}
			s.check(b, c.status, c.body)
			b.ReportAllocs()
			for b.Loop() {
				s.serve(b, head)
			}
			s.check(b, c.status, c.body)
		})
	}
}

// TestServeAllocs pins the allocations of BenchmarkServe's requests in
// steady state: none (internal/server's alloc_test.go checks the same
// over loopback, with the connection loop).
func TestServeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the cache's stat copies the path on this platform (internal/static/statz_bsd.go, statz_linux_other.go)")
	}
	plain, regex := newBenchServer(t, benchConf), newBenchServer(t, benchConfRegex)
	for _, c := range benchCases {
		s := plain
		if c.regex {
			s = regex
		}
		head := benchHead(c.method, c.path, c.hdr)
		for range 3 {
			s.serve(t, head)
		}
		s.check(t, c.status, c.body)
		if n := testing.AllocsPerRun(100, func() { s.serve(t, head) }); n != 0 {
			t.Errorf("%s: %s %s %q: got %v allocations per request, want 0", c.name, c.method, c.path, c.hdr, n)
		}
	}
}
