package servertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"webserv/internal/config"
	"webserv/internal/server"
)

// IOTimeout bounds every socket operation a test makes.
const IOTimeout = 10 * time.Second

// Server is a running server.
type Server struct {
	Dir   string   // the directory the config's relative paths resolve against
	Addrs []string // "127.0.0.1:PORT" for $PORT0, $PORT1, ...
	Srv   *server.Server
	Log   *SyncBuffer // the error log
	// Level is the error log's level: debug, so that failing tests show
	// every request's cause; a test may raise it (allocation tests run
	// at the default, info).
	Level *slog.LevelVar
}

// Start writes files (path relative to a new temporary directory → content;
// a path ending in "/" makes a directory), opens nports listeners on
// 127.0.0.1, replaces $PORT0, $PORT1, ... in conf with their ports, parses
// conf as "test.conf" in that directory and serves it until the test ends.
// Each of opts runs on the new server before it listens: tests tune what
// only they may (internal/server's export_test.go).
func Start(t testing.TB, conf string, nports int, files map[string]string, opts ...func(*server.Server)) *Server {
	t.Helper()
	dir := t.TempDir()
	WriteFiles(t, dir, files)
	s := &Server{Dir: dir, Log: &SyncBuffer{}, Level: new(slog.LevelVar)}
	s.Level.Set(slog.LevelDebug)
	pre := make(map[string]net.Listener)
	for i := nports - 1; i >= 0; i-- { // backwards: $PORT10 before $PORT1
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		pre[addr] = ln
		_, port, _ := net.SplitHostPort(addr)
		conf = strings.ReplaceAll(conf, fmt.Sprintf("$PORT%d", i), port)
		s.Addrs = append([]string{addr}, s.Addrs...)
	}
	cfg, err := config.Parse("test.conf", []byte(conf), dir)
	if err != nil {
		for _, ln := range pre {
			ln.Close()
		}
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(s.Log, &slog.HandlerOptions{Level: s.Level}))
	s.Srv = server.New(cfg, log)
	for _, o := range opts {
		o(s.Srv)
	}
	if err := s.Srv.Listen(pre); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Srv.Shutdown(ctx)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.Log.String())
		}
	})
	return s
}

// WriteFiles creates files under dir (see Start).
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// URL returns "http://127.0.0.1:PORT" + path for listener i.
func (s *Server) URL(i int, path string) string { return "http://" + s.Addrs[i] + path }

// Dial opens a raw connection to listener i with a deadline of IOTimeout.
func (s *Server) Dial(t testing.TB, i int) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addrs[i], IOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(IOTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// Response is a response read off a raw connection.
type Response struct {
	*http.Response
	Body []byte
}

// ReadResponse reads one response for a request with method from br.
func ReadResponse(t testing.TB, br *bufio.Reader, method string) *Response {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading response body: %v", err)
	}
	return &Response{Response: resp, Body: body}
}

// Exchange sends raw on a new connection to listener i and reads one
// response (for a request whose method is method). It also reports whether
// the server closed the connection afterwards.
func (s *Server) Exchange(t testing.TB, i int, method, raw string) (resp *Response, closed bool) {
	t.Helper()
	c := s.Dial(t, i)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp = ReadResponse(t, br, method)
	return resp, IsClosed(c, br)
}

// IsClosed reports whether the peer closed c (EOF or reset) within a short
// time, with nothing more to read.
func IsClosed(c net.Conn, br *bufio.Reader) bool {
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	defer c.SetReadDeadline(time.Now().Add(IOTimeout))
	_, err := br.ReadByte()
	if err == nil {
		return false
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// Client is an HTTP client with timeouts for tests.
func Client() *http.Client {
	return &http.Client{
		Timeout: IOTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
