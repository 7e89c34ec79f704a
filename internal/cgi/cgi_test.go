package cgi

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/http1"
	"webserv/internal/servertest/wait"
)

// installScript copies testdata/name into a fresh directory, executable.
func installScript(t *testing.T, name string) *Script {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return newScriptFile(t, name, string(b))
}

// newScriptFile writes an executable script and returns its Script.
func newScriptFile(t *testing.T, name, content string) *Script {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, name)
	writeFile(t, file, content, 0o755)
	return &Script{Name: "/" + name, File: file, DocumentRoot: dir}
}

func shScript(t *testing.T, body string) *Script {
	return newScriptFile(t, "s.sh", "#!/bin/sh\n"+body+"\n")
}

type result struct {
	raw       []byte
	resp      *http.Response
	body      []byte
	redirect  string
	err       error
	finishErr error
	log       string
}

type opts struct {
	body    io.Reader
	timeout time.Duration
	conn    io.Writer // default: a buffer
	gone    func(stop <-chan struct{}) bool
	// wholeWait is the Runner's WholeWait (0: the default).
	wholeWait time.Duration
	// watchAfter is the Runner's WatchAfter (0: the default).
	watchAfter time.Duration
}

// serve runs s for req and parses what was written. It checks that no
// goroutine and no process group outlives Serve.
func serve(t *testing.T, s *Script, req *http1.Request, o opts) result {
	t.Helper()
	before := runtime.NumGoroutine()
	var buf, logBuf bytes.Buffer
	conn := o.conn
	if conn == nil {
		conn = &buf
	}
	var w http1.ResponseWriter
	head := string(req.Method) == "HEAD"
	w.Reset(conn, req.Minor, head, true)
	if o.timeout == 0 {
		o.timeout = 10 * time.Second
	}
	r := &Request{
		Req: req, Body: o.body, Script: s, RemoteAddr: "127.0.0.1:4242", LocalAddr: "127.0.0.1:8080",
		ServerName: "localhost", Timeout: o.timeout, ClientGone: o.gone,
		Log: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	rn := &Runner{WholeWait: o.wholeWait, WatchAfter: o.watchAfter}
	var res result
	res.redirect, res.err = rn.Serve(&w, r)
	if res.err == nil && res.redirect == "" {
		res.finishErr = w.Finish()
	}
	res.log = logBuf.String()
	if n := rn.running(); n != 0 {
		t.Errorf("%d process groups still registered", n)
	}
	checkGoroutines(t, before)
	res.raw = buf.Bytes()
	if buf.Len() > 0 {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(buf.Bytes())), &http.Request{Method: string(req.Method)})
		if err != nil {
			t.Fatalf("bad response %q: %v", buf.Bytes(), err)
		}
		res.resp = resp
		res.body, err = io.ReadAll(resp.Body)
		if err != nil && res.err == nil { // an aborted response is truncated
			t.Fatalf("bad response body %q: %v", buf.Bytes(), err)
		}
	}
	return res
}

func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	err := wait.Poll(5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("goroutines: %d before, %d after", before, n)
		}
		return nil
	})
	if err != nil {
		b := make([]byte, 1<<16)
		t.Errorf("%v:\n%s", err, b[:runtime.Stack(b, true)])
	}
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var se *http1.StatusError
	if !errors.As(err, &se) || se.Status != status {
		t.Fatalf("err = %v, want status %d", err, status)
	}
}

func TestServeEnv(t *testing.T) {
	t.Setenv("LEAKY_SECRET", "x")
	s := installScript(t, "env.sh")
	s.PathInfo = "/extra/path"
	res := serve(t, s, newReq("GET", "/env.sh/extra/path?a=b", 1, "Host", "localhost:8080", "X-Test", "yes", "Proxy", "evil"), opts{})
	if res.err != nil || res.finishErr != nil {
		t.Fatalf("err %v, finish %v", res.err, res.finishErr)
	}
	if res.resp.StatusCode != 200 || res.resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("got %d %q", res.resp.StatusCode, res.resp.Header)
	}
	env := envMap(strings.Split(string(res.body), "\n"))
	for k, want := range map[string]string{
		"REQUEST_METHOD": "GET", "QUERY_STRING": "a=b", "PATH_INFO": "/extra/path", "SCRIPT_NAME": "/env.sh",
		"SCRIPT_FILENAME": s.File, "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_X_TEST": "yes", "REMOTE_PORT": "4242",
		"SERVER_PORT": "8080", "PWD_IS": filepath.Dir(s.File), "GATEWAY_INTERFACE": "CGI/1.1",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	for _, k := range []string{"HTTP_PROXY", "LEAKY_SECRET", "HOME"} {
		if v, ok := env[k]; ok {
			t.Errorf("%s = %q leaked", k, v)
		}
	}
}

// The program's standard streams are blocking, as programs expect (a
// write to a full non-blocking pipe fails with EAGAIN instead of
// waiting), while the server's ends of the same pipes are non-blocking
// (their deadlines: TestServeTimeout).
func TestServeStreamsBlocking(t *testing.T) {
	if _, err := os.Stat("/proc/self/fdinfo/0"); err != nil {
		t.Skip("no /proc/self/fdinfo")
	}
	s := shScript(t, `printf 'Content-Type: text/plain\r\n\r\n'
for fd in 0 1 2; do awk '/^flags:/ {print $2}' /proc/self/fdinfo/$fd; done`)
	res := serve(t, s, newReq("GET", "/s.sh", 1, "Host", "localhost"), opts{})
	if res.err != nil || res.finishErr != nil || res.resp.StatusCode != 200 {
		t.Fatalf("err %v, finish %v, response %q", res.err, res.finishErr, res.raw)
	}
	flags := strings.Fields(string(res.body))
	if len(flags) != 3 {
		t.Fatalf("got %q, want the flags of fds 0, 1 and 2", res.body)
	}
	for fd, f := range flags {
		v, err := strconv.ParseUint(f, 8, 64)
		if err != nil {
			t.Fatalf("fd %d: flags %q", fd, f)
		}
		if v&syscall.O_NONBLOCK != 0 {
			t.Errorf("fd %d of the program is non-blocking (flags %s)", fd, f)
		}
	}
}

func TestServeLargeEcho(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not in PATH")
	}
	data := make([]byte, 5<<20)
	rand.Read(data)
	t.Run("read all then write all", func(t *testing.T) {
		s := installScript(t, "echo.py")
		req := newReq("POST", "/echo.py", 1, "Content-Length", strconv.Itoa(len(data)))
		res := serve(t, s, req, opts{body: bytes.NewReader(data)})
		if res.err != nil || res.finishErr != nil {
			t.Fatalf("err %v, finish %v", res.err, res.finishErr)
		}
		if res.resp.ContentLength != int64(len(data)) || !bytes.Equal(res.body, data) {
			t.Fatalf("echoed %d bytes (Content-Length %d), want %d equal", len(res.body), res.resp.ContentLength, len(data))
		}
	})
	t.Run("chunked request body", func(t *testing.T) {
		s := installScript(t, "echo.py")
		req := newReq("POST", "/echo.py", 1, "Transfer-Encoding", "chunked")
		res := serve(t, s, req, opts{body: bytes.NewReader(data)})
		if res.err != nil || !bytes.Equal(res.body, data) {
			t.Fatalf("err %v, echoed %d bytes, want %d", res.err, len(res.body), len(data))
		}
	})
	t.Run("write before read", func(t *testing.T) {
		s := installScript(t, "writefirst.py")
		req := newReq("POST", "/writefirst.py", 1, "Content-Length", strconv.Itoa(len(data)))
		res := serve(t, s, req, opts{body: bytes.NewReader(data)})
		if res.err != nil || res.finishErr != nil {
			t.Fatalf("err %v, finish %v", res.err, res.finishErr)
		}
		want := "\nread " + strconv.Itoa(len(data)) + "\n"
		if len(res.body) != 1<<20+len(want) || !strings.HasSuffix(string(res.body), want) {
			t.Fatalf("got %d bytes ending %q", len(res.body), res.body[max(0, len(res.body)-20):])
		}
		if res.resp.TransferEncoding == nil {
			t.Errorf("want chunked, got %v", res.resp.TransferEncoding)
		}
	})
}

func TestServeResponses(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		method   string
		minor    int
		status   int    // want, or the StatusError's
		errIs    bool   // Serve returns a StatusError
		body     string // want
		redirect string
		header   map[string]string
		chunked  bool
		closes   bool
	}{
		// A program that has ended with its whole output in hand goes out
		// with Content-Length (SPEC §5); a longer one streams.
		{name: "status passthrough", script: `printf 'Status: 404 Not Here\r\nContent-Type: text/plain\r\n\r\nnope'`, status: 404, body: "nope", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "4"}},
		{name: "LF only", script: `printf 'Content-Type: text/html\nX-A:  b  \n\n<p>x</p>'`, status: 200, body: "<p>x</p>", header: map[string]string{"X-A": "b", "Content-Length": "8"}},
		{name: "output past the buffer is chunked", script: `printf 'Content-Type: text/plain\n\n'; head -c 70000 /dev/zero | tr '\0' a`, status: 200, body: strings.Repeat("a", 70000), header: map[string]string{"Content-Length": ""}, chunked: true},
		{name: "content length kept", script: `printf 'Content-Type: text/plain\nContent-Length: 5\n\nhello'`, status: 200, body: "hello", header: map[string]string{"Content-Length": "5"}},
		{name: "hop-by-hop dropped", script: `printf 'Content-Type: text/plain\nConnection: close\nTransfer-Encoding: gzip\nKeep-Alive: 5\nContent-Length: x\n\nhi'`, status: 200, body: "hi", header: map[string]string{"Keep-Alive": "", "Connection": "", "Content-Length": "2"}},
		{name: "HTTP/1.0 whole output", script: `printf 'Content-Type: text/plain\n\nhello 1.0'`, minor: 0, status: 200, body: "hello 1.0", header: map[string]string{"Content-Length": "9"}},
		{name: "HTTP/1.0 close delimited", script: `printf 'Content-Type: text/plain\n\n'; head -c 70000 /dev/zero | tr '\0' a`, minor: 0, status: 200, body: strings.Repeat("a", 70000), closes: true},
		{name: "HEAD whole output", script: `printf 'Content-Type: text/plain\n\nabcd'`, method: "HEAD", status: 200, body: "", header: map[string]string{"Content-Length": "4"}},
		{name: "HEAD answered without a body", script: `printf 'Content-Type: text/plain\n\n'`, method: "HEAD", status: 200, body: "", header: map[string]string{"Content-Length": ""}},
		{name: "HEAD", script: `printf 'Content-Type: text/plain\nContent-Length: 3\n\nabc'`, method: "HEAD", status: 200, body: "", header: map[string]string{"Content-Length": "3"}},
		{name: "empty body", script: `printf 'Status: 204\n\n'`, status: 204},
		{name: "no content type", script: `printf 'X-Only: 1\n\nraw'`, status: 200, body: "raw", header: map[string]string{"Content-Type": "", "Content-Length": "3"}},
		{name: "local redirect", script: `printf 'Location: /other?x=1\n\n'`, redirect: "/other?x=1"},
		{name: "client redirect", script: `printf 'Location: http://example.com/x\n\n'`, status: 302, header: map[string]string{"Location": "http://example.com/x"}},
		{name: "network path is not local", script: `printf 'Location: //evil.example/\n\n'`, status: 302, header: map[string]string{"Location": "//evil.example/"}},
		{name: "client redirect with document", script: `printf 'Status: 301 Moved\nLocation: https://example.com/\nContent-Type: text/html\n\n<a>moved</a>'`, status: 301, body: "<a>moved</a>", header: map[string]string{"Location": "https://example.com/", "Content-Length": "12"}},
		{name: "path location with fields", script: `printf 'Location: /x\nContent-Type: text/html\n\n'`, status: 302, header: map[string]string{"Location": "/x"}},
		{name: "malformed", script: `printf 'this is not a header\n\n'`, status: 502, errIs: true},
		{name: "bad name", script: `printf 'Bad Name: x\n\n'`, status: 502, errIs: true},
		{name: "obs-fold", script: `printf 'Content-Type: text/plain\n folded\n\n'`, status: 502, errIs: true},
		{name: "invalid status", script: `printf 'Status: abc\n\n'`, status: 502, errIs: true},
		{name: "1xx status", script: `printf 'Status: 100\n\n'`, status: 502, errIs: true},
		{name: "empty header section", script: `printf '\nbody'`, status: 502, errIs: true},
		{name: "exit without output", script: `exit 0`, status: 502, errIs: true},
		{name: "exit inside header", script: `printf 'Content-Type: text/plain\n'; exit 3`, status: 502, errIs: true},
		{name: "header too large", script: `printf 'X-Big: '; head -c 70000 /dev/zero | tr '\0' a; printf '\n\n'`, status: 502, errIs: true},
		{name: "not executable interpreter", script: "", status: 502, errIs: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := shScript(t, tc.script)
			if tc.name == "not executable interpreter" {
				s.Interpreter = "/nonexistent/interp"
			}
			method := tc.method
			if method == "" {
				method = "GET"
			}
			minor := tc.minor
			if !strings.HasPrefix(tc.name, "HTTP/1.0") {
				minor = 1
			}
			// Ample time for a script that has written its output to
			// exit: the framing checked must not depend on the
			// machine's load.
			res := serve(t, s, newReq(method, "/s.sh", minor), opts{wholeWait: time.Minute})
			if tc.errIs {
				wantStatus(t, res.err, tc.status)
				if len(res.raw) != 0 {
					t.Errorf("wrote %q before failing", res.raw)
				}
				return
			}
			if res.err != nil {
				t.Fatalf("Serve: %v", res.err)
			}
			if tc.redirect != "" {
				if res.redirect != tc.redirect || len(res.raw) != 0 {
					t.Fatalf("redirect %q, wrote %q; want %q and nothing", res.redirect, res.raw, tc.redirect)
				}
				return
			}
			if res.finishErr != nil {
				t.Fatalf("Finish: %v", res.finishErr)
			}
			if res.resp.StatusCode != tc.status || string(res.body) != tc.body {
				t.Fatalf("got %d %q, want %d %q\n%s", res.resp.StatusCode, res.body, tc.status, tc.body, res.raw)
			}
			for k, v := range tc.header {
				if got := res.resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if chunked := len(res.resp.TransferEncoding) > 0; chunked != tc.chunked {
				t.Errorf("chunked = %v, want %v\n%s", chunked, tc.chunked, res.raw)
			}
			if res.resp.Close != tc.closes {
				t.Errorf("close = %v, want %v", res.resp.Close, tc.closes)
			}
		})
	}
}

func TestServeShortContentLength(t *testing.T) {
	s := shScript(t, `printf 'Content-Type: text/plain\nContent-Length: 10\n\nabc'`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{})
	var se *http1.StatusError
	if res.err == nil || errors.As(res.err, &se) {
		t.Fatalf("err = %v, want a non-status error (response partly sent)", res.err)
	}
}

func TestServeLongerThanContentLength(t *testing.T) {
	s := shScript(t, `printf 'Content-Type: text/plain\nContent-Length: 3\n\nabcdef'`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{})
	if res.err != nil || res.finishErr != nil || string(res.body) != "abc" {
		t.Fatalf("err %v, finish %v, body %q", res.err, res.finishErr, res.body)
	}
}

func TestServeStderrLogged(t *testing.T) {
	s := installScript(t, "stderr.sh")
	res := serve(t, s, newReq("GET", "/stderr.sh", 1), opts{})
	if res.err != nil || string(res.body) != "ok" {
		t.Fatalf("err %v body %q", res.err, res.body)
	}
	for _, want := range []string{"first complaint", "second complaint", "level=WARN", s.File} {
		if !strings.Contains(res.log, want) {
			t.Errorf("log lacks %q:\n%s", want, res.log)
		}
	}
}

// readPids reads the "leader child" pids that sleep.sh records.
func readPids(t *testing.T, dir string) (leader, child int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		t.Fatalf("pids file %q", b)
	}
	leader, _ = strconv.Atoi(f[0])
	child, _ = strconv.Atoi(f[1])
	return
}

// groupGone reports whether no live process is left in group pgid. An
// orphan reaped late by init shows as a zombie: dead, not running.
func groupGone(pgid int) bool {
	if syscall.Kill(-pgid, 0) == syscall.ESRCH {
		return true
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // state ppid pgrp ...
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			return false
		}
	}
	return true
}

func waitGroupGone(t *testing.T, pgid, child int) {
	t.Helper()
	wait.Until(t, 5*time.Second, func() error {
		if !groupGone(pgid) {
			return fmt.Errorf("process group %d (child %d) still alive", pgid, child)
		}
		return nil
	})
}

func TestServeTimeout(t *testing.T) {
	s := installScript(t, "sleep.sh")
	start := time.Now()
	res := serve(t, s, newReq("GET", "/sleep.sh", 1), opts{timeout: 300 * time.Millisecond})
	wantStatus(t, res.err, 504)
	if len(res.raw) != 0 {
		t.Errorf("wrote %q", res.raw)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	leader, child := readPids(t, filepath.Dir(s.File))
	waitGroupGone(t, leader, child)
}

func TestServeTimeoutAfterOutput(t *testing.T) {
	s := shScript(t, `printf 'Content-Type: text/plain\n\npartial'; exec sleep 100`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{timeout: 300 * time.Millisecond})
	var se *http1.StatusError
	if res.err == nil || errors.As(res.err, &se) {
		t.Fatalf("err = %v, want a non-status error", res.err)
	}
	if !bytes.Contains(res.raw, []byte("partial")) {
		t.Errorf("wrote %q", res.raw)
	}
}

// The head is committed only with the first body bytes: a program silent
// after its header still gets a clean 504.
func TestServeTimeoutAfterHeader(t *testing.T) {
	s := shScript(t, `printf 'Content-Type: text/plain\n\n'; exec sleep 100`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{timeout: 300 * time.Millisecond})
	wantStatus(t, res.err, 504)
}

// failConn fails every write after the first n bytes.
type failConn struct{ n int }

func (c *failConn) Write(p []byte) (int, error) {
	if len(p) > c.n {
		n := c.n
		c.n = 0
		return n, errors.New("connection reset by peer")
	}
	c.n -= len(p)
	return len(p), nil
}

func TestServeClientGone(t *testing.T) {
	s := shScript(t, `echo $$ > pids; printf 'Content-Type: text/plain\n\n'; exec yes`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{conn: &failConn{n: 100 << 10}})
	if res.err == nil {
		t.Fatal("Serve succeeded on a failing connection")
	}
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(s.File), "pids"))
	pgid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitGroupGone(t, pgid, 0)
}

// A client that leaves while the program is silent, after its first
// line or before its header, gets the program killed: ClientGone reports
// it, and Serve returns ErrClientGone rather than waiting for the timeout.
// A client that stays is never watched past Serve (stop ends the wait):
// watched from the program's start, as a program that ends at once is
// not watched otherwise (TestServeQuickNotWatched).
func TestServeClientGoneWhileSilent(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		leave bool
	}{
		{"silent after the first line", `echo $$ > pids; printf 'Content-Type: text/plain\n\nfirst\n'; exec sleep 60`, true},
		{"silent before the header", `echo $$ > pids; exec sleep 60`, true},
		{"client stays", `echo $$ > pids; printf 'Content-Type: text/plain\n\ndone'`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shScript(t, tt.body)
			pidFile := filepath.Join(filepath.Dir(s.File), "pids")
			watched := make(chan struct{}, 1)
			gone := func(stop <-chan struct{}) bool {
				watched <- struct{}{}
				if tt.leave {
					// Leave once the program runs: the pid is written (the
					// shell creates the file before it writes, so wait for
					// the content, not the file). Past the timeout leave
					// anyway: the test then fails on what Serve did.
					wait.Poll(10*time.Second, func() error {
						if b, _ := os.ReadFile(pidFile); !strings.HasSuffix(string(b), "\n") {
							return fmt.Errorf("pid file %q", b)
						}
						return nil
					})
					return true
				}
				<-stop
				return false
			}
			o := opts{timeout: time.Minute, gone: gone}
			if !tt.leave {
				o.watchAfter = -1
			}
			res := serve(t, s, newReq("GET", "/s.sh", 1), o)
			select {
			case <-watched:
			default:
				t.Fatal("ClientGone was not called")
			}
			if !tt.leave {
				if res.err != nil || string(res.body) != "done" {
					t.Fatalf("err %v body %q", res.err, res.body)
				}
				return
			}
			if res.err != ErrClientGone {
				t.Fatalf("err = %v, want ErrClientGone", res.err)
			}
			b, _ := os.ReadFile(pidFile)
			pgid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || pgid <= 0 {
				t.Fatalf("pid file %q", b)
			}
			waitGroupGone(t, pgid, 0)
		})
	}
}

// A program that ends before WatchAfter has its client never watched and
// its stderr read after it exited, all of it.
func TestServeQuickNotWatched(t *testing.T) {
	s := installScript(t, "stderr.sh")
	watched := false
	gone := func(stop <-chan struct{}) bool {
		watched = true // read after Serve, which waits for the watch
		<-stop
		return false
	}
	res := serve(t, s, newReq("GET", "/stderr.sh", 1), opts{gone: gone, watchAfter: time.Hour})
	if res.err != nil || string(res.body) != "ok" {
		t.Fatalf("err %v body %q", res.err, res.body)
	}
	if watched {
		t.Error("ClientGone called for a program done before WatchAfter")
	}
	for _, want := range []string{"first complaint", "second complaint"} {
		if !strings.Contains(res.log, want) {
			t.Errorf("log lacks %q:\n%s", want, res.log)
		}
	}
}

// A program done before WatchAfter whose stderr is still held open by a
// process that left its group (setsid) does not hold Serve past
// stderrGrace: the read that finds the pipe empty waits in the poller,
// with the deadline.
func TestServeQuickStderrHeld(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid not installed")
	}
	s := shScript(t, `echo complaint >&2; setsid sleep 60 >/dev/null </dev/null & echo $! > pids; printf 'Content-Type: text/plain\n\nok'`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{watchAfter: time.Hour})
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(s.File), "pids")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if res.err != nil || string(res.body) != "ok" {
		t.Fatalf("err %v body %q", res.err, res.body)
	}
	if !strings.Contains(res.log, "complaint") {
		t.Errorf("log lacks the stderr line:\n%s", res.log)
	}
}

// errReader yields n bytes, then err.
type errReader struct {
	n   int
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	n := min(len(p), r.n)
	clear(p[:n])
	r.n -= n
	return n, nil
}

func TestServeBodyError(t *testing.T) {
	tooLarge := &http1.StatusError{Status: 413, Msg: "too large"}
	s := shScript(t, `cat >/dev/null; printf 'Content-Type: text/plain\n\ndone'`)
	req := newReq("POST", "/s.sh", 1, "Transfer-Encoding", "chunked")
	res := serve(t, s, req, opts{body: &errReader{n: 100 << 10, err: tooLarge}})
	if res.err != tooLarge {
		t.Fatalf("err = %v, want the body's %v", res.err, tooLarge)
	}
	if len(res.raw) != 0 {
		t.Errorf("wrote %q", res.raw)
	}
}

// A request without a body gives the program /dev/null for stdin (no
// pipe to make and feed): it reads EOF at once. With a body, stdin is the
// pipe the body is copied into.
func TestServeStdin(t *testing.T) {
	s := shScript(t, `printf 'Content-Type: text/plain\n\n'; readlink /proc/$$/fd/0; cat`)
	res := serve(t, s, newReq("GET", "/s.sh", 1), opts{})
	if res.err != nil || string(res.body) != "/dev/null\n" {
		t.Fatalf("without a body: err %v body %q", res.err, res.body)
	}
	req := newReq("POST", "/s.sh", 1, "Content-Length", "4")
	res = serve(t, s, req, opts{body: strings.NewReader("data")})
	if res.err != nil || !strings.HasPrefix(string(res.body), "pipe:") || !strings.HasSuffix(string(res.body), "\ndata") {
		t.Fatalf("with a body: err %v body %q", res.err, res.body)
	}
}

// A program that never reads its input must not hold Serve.
func TestServeUnreadBody(t *testing.T) {
	s := shScript(t, `printf 'Content-Type: text/plain\n\nignored input'`)
	req := newReq("POST", "/s.sh", 1, "Content-Length", strconv.Itoa(4<<20))
	res := serve(t, s, req, opts{body: bytes.NewReader(make([]byte, 4<<20))})
	if res.err != nil || string(res.body) != "ignored input" {
		t.Fatalf("err %v body %q", res.err, res.body)
	}
}

func TestKillAll(t *testing.T) {
	s := shScript(t, `exec sleep 100`)
	before := runtime.NumGoroutine()
	var rn, other Runner
	done := make(chan error, 1)
	go func() {
		var w http1.ResponseWriter
		var buf bytes.Buffer
		w.Reset(&buf, 1, false, true)
		_, err := rn.Serve(&w, &Request{Req: newReq("GET", "/s.sh", 1), Script: s})
		done <- err
	}()
	wait.Until(t, 5*time.Second, func() error {
		if rn.running() == 0 {
			return errors.New("program never started")
		}
		return nil
	})
	other.KillAll() // another server's shutdown: not its program
	if rn.running() != 1 || other.running() != 0 {
		t.Fatalf("registered: %d here, %d in the other Runner", rn.running(), other.running())
	}
	rn.KillAll()
	select {
	case err := <-done:
		wantStatus(t, err, 502)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running after KillAll")
	}
	checkGoroutines(t, before)
}

// A KillAll that runs while a program is being started, after its fork
// and before its group is registered, kills it all the same.
func TestKillAllDuringStart(t *testing.T) {
	s := shScript(t, `exec sleep 100`)
	before := runtime.NumGoroutine()
	var rn Runner
	testHookForked = func(r *Runner) { r.KillAll() }
	defer func() { testHookForked = nil }()
	done := make(chan error, 1)
	go func() {
		var w http1.ResponseWriter
		var buf bytes.Buffer
		w.Reset(&buf, 1, false, true)
		_, err := rn.Serve(&w, &Request{Req: newReq("GET", "/s.sh", 1), Script: s})
		done <- err
	}()
	select {
	case err := <-done:
		wantStatus(t, err, 502)
	case <-time.After(10 * time.Second):
		rn.KillAll()
		t.Fatal("the program outlived a KillAll during its start")
	}
	checkGoroutines(t, before)
}

func TestServePHP(t *testing.T) {
	php, err := exec.LookPath("php-cgi")
	if err != nil {
		t.Skip("php-cgi not in PATH; install it (apt-get install php-cgi) to run this test")
	}
	s := installScript(t, "hello.php")
	s.Interpreter = php
	res := serve(t, s, newReq("GET", "/hello.php?x=1", 1, "Host", "localhost"), opts{})
	if res.err != nil || res.finishErr != nil {
		t.Fatalf("err %v finish %v\nlog: %s", res.err, res.finishErr, res.log)
	}
	if res.resp.StatusCode != 200 || string(res.body) != "hi 1" {
		t.Fatalf("got %d %q, want 200 \"hi 1\"\n%s", res.resp.StatusCode, res.body, res.raw)
	}
	if ct := res.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
}
