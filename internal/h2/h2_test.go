package h2_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"webserv/internal/dispatch"
	"webserv/internal/h2"
)

// TestGoClient runs requests through Go's HTTP/2 client, over h2c with
// prior knowledge and over TLS with ALPN h2.
func TestGoClient(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		name := "h2c"
		if useTLS {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			th := newTestHandler(t)
			ts := startServer(t, nil, th, useTLS)
			cl := ts.client(t)
			big := pattern(3 << 20) // past every window: flow control both ways

			cases := []struct {
				name, method, path string
				body               []byte
				header             http.Header
				wantStatus         int
				wantBody           []byte
				check              func(t *testing.T, r *http.Response)
			}{
				{name: "get", method: "GET", path: "/", wantStatus: 200, wantBody: bytes.Repeat([]byte("hello h2\n"), 114),
					check: func(t *testing.T, r *http.Response) {
						if r.Header.Get("Server") != "webserv" || r.Header.Get("Date") == "" {
							t.Errorf("server %q date %q", r.Header.Get("Server"), r.Header.Get("Date"))
						}
						if r.ContentLength != 1026 {
							t.Errorf("content-length %d, want 1026 (known at the end)", r.ContentLength)
						}
					}},
				{name: "query", method: "GET", path: "/x/y?a=1&b=2", wantStatus: 200,
					check: func(t *testing.T, r *http.Response) {
						if r.Header.Get("X-Path") != "/x/y" || r.Header.Get("X-Query") != "a=1&b=2" {
							t.Errorf("path %q query %q", r.Header.Get("X-Path"), r.Header.Get("X-Query"))
						}
						if !strings.HasPrefix(r.Header.Get("X-Host"), "127.0.0.1:") {
							t.Errorf("host %q", r.Header.Get("X-Host"))
						}
					}},
				{name: "echo", method: "POST", path: "/echo", body: []byte("ping"), wantStatus: 200, wantBody: []byte("ping"),
					check: func(t *testing.T, r *http.Response) {
						if r.Header.Get("Connection") != "" || r.Header.Get("Transfer-Encoding") != "" {
							t.Errorf("connection-specific fields sent: %v", r.Header)
						}
						if r.Header.Get("X-Content-Length") != "4" {
							t.Errorf("request content-length %q", r.Header.Get("X-Content-Length"))
						}
					}},
				{name: "echo big", method: "PUT", path: "/echo", body: big, wantStatus: 200, wantBody: big},
				{name: "big", method: "GET", path: "/big?n=5000000", wantStatus: 200, wantBody: pattern(5000000)},
				{name: "file", method: "GET", path: "/file", wantStatus: 200, wantBody: pattern(100000)},
				{name: "file range", method: "GET", path: "/file?off=26&n=20000", wantStatus: 200, wantBody: pattern(20026)[26:]},
				{name: "head", method: "HEAD", path: "/head", wantStatus: 200, wantBody: []byte{},
					check: func(t *testing.T, r *http.Response) {
						if r.ContentLength != 5 {
							t.Errorf("HEAD content-length %d, want 5", r.ContentLength)
						}
					}},
				{name: "204", method: "GET", path: "/nocontent", wantStatus: 204, wantBody: []byte{}},
				{name: "cookies", method: "GET", path: "/", header: http.Header{"Cookie": {"a=1", "b=2"}}, wantStatus: 200,
					check: func(t *testing.T, r *http.Response) {
						if got := r.Header.Get("X-Cookie"); got != "a=1; b=2" {
							t.Errorf("cookie %q, want %q", got, "a=1; b=2")
						}
					}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					var body io.Reader
					if tc.body != nil {
						body = bytes.NewReader(tc.body)
					}
					req, _ := http.NewRequest(tc.method, ts.url(tc.path), body)
					for k, v := range tc.header {
						req.Header[k] = v
					}
					r, err := cl.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer r.Body.Close()
					got, err := io.ReadAll(r.Body)
					if err != nil {
						t.Fatal(err)
					}
					if r.ProtoMajor != 2 {
						t.Errorf("proto %s", r.Proto)
					}
					if r.StatusCode != tc.wantStatus {
						t.Errorf("status %d, want %d", r.StatusCode, tc.wantStatus)
					}
					if tc.wantBody != nil && !bytes.Equal(got, tc.wantBody) {
						t.Errorf("body %d bytes %.40q, want %d bytes %.40q", len(got), got, len(tc.wantBody), tc.wantBody)
					}
					if tc.check != nil {
						tc.check(t, r)
					}
				})
			}
		})
	}
}

// TestConcurrentStreams runs many streams at once on one connection.
func TestConcurrentStreams(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	cl := ts.client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := cl.Get(ts.url("/big?n=200000"))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err == nil && !bytes.Equal(b, pattern(200000)) {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCurl runs curl with prior knowledge (h2c) and over TLS with ALPN.
func TestCurl(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	if out, _ := exec.Command(curl, "--version").Output(); !bytes.Contains(out, []byte("HTTP2")) {
		t.Skip("curl without HTTP2")
	}
	for _, useTLS := range []bool{false, true} {
		ts := startServer(t, nil, newTestHandler(t), useTLS)
		args := []string{"-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_version} %{http_code}",
			"-H", "Cookie: a=1", "--data-binary", "curl body"}
		if useTLS {
			args = append(args, "--http2", "-k")
		} else {
			args = append(args, "--http2-prior-knowledge")
		}
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		out, err := exec.CommandContext(ctx, curl, append(args, ts.url("/echo"))...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("curl tls=%v: %v\n%s", useTLS, err, out)
		}
		if want := "curl body\n2 200"; string(out) != want {
			t.Errorf("curl tls=%v: %q, want %q", useTLS, out, want)
		}
	}
}

var _ h2.Handler = (*testHandler)(nil)

// The engine's stream and body are what dispatch takes.
var (
	_ dispatch.Body = (*h2.RequestBody)(nil)
	_ dispatch.Peer = (*h2.Stream)(nil)
)
