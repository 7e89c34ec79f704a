package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// The server's side of HTTP/2 (SPEC §8, RFC 9113): what the connection
// and the configuration decide, seen by a client that writes frames
// itself.

// h2Client is a client connection that writes and reads frames.
type h2Client struct {
	t   *testing.T
	c   net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

// dialH2c opens an h2c connection with prior knowledge to addr.
func dialH2c(t *testing.T, addr string) *h2Client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, servertest.IOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return newH2Client(t, c)
}

// dialH2 opens a TLS connection to addr naming sni, negotiates h2 and
// trusts pool.
func dialH2(t *testing.T, addr, sni string, pool *x509.CertPool) *h2Client {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: servertest.IOTimeout}, "tcp", addr,
		&tls.Config{ServerName: sni, RootCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		c.Close()
		t.Fatalf("ALPN chose %q, want h2", p)
	}
	return newH2Client(t, c)
}

func newH2Client(t *testing.T, c net.Conn) *h2Client {
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	h := &h2Client{t: t, c: c, fr: http2.NewFramer(c, bufio.NewReader(c))}
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	h.enc = hpack.NewEncoder(&h.buf)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return h
}

// request opens stream id with a request without a body.
func (h *h2Client) request(id uint32, method, scheme, authority, path string) {
	h.t.Helper()
	h.buf.Reset()
	for _, f := range [][2]string{{":method", method}, {":scheme", scheme}, {":authority", authority}, {":path", path}} {
		h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.buf.Bytes(), EndStream: true, EndHeaders: true})
	if err != nil {
		h.t.Fatal(err)
	}
}

// next reads the next frame that is not connection housekeeping
// (SETTINGS, which it acknowledges; PING, which it answers; WINDOW_UPDATE).
func (h *h2Client) next() http2.Frame {
	h.t.Helper()
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			h.t.Fatalf("reading a frame: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				h.fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				h.fr.WritePing(true, f.Data)
			}
		case *http2.WindowUpdateFrame:
		default:
			return f
		}
	}
}

// response reads stream id's response to its end: status and body. Frames
// of other streams are not expected.
func (h *h2Client) response(id uint32) (status int, body string) {
	h.t.Helper()
	var b strings.Builder
	for {
		switch f := h.next().(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID != id {
				h.t.Fatalf("HEADERS on stream %d, want %d", f.StreamID, id)
			}
			if s := f.PseudoValue("status"); s != "" {
				status, _ = strconv.Atoi(s)
			}
			if f.StreamEnded() {
				return status, b.String()
			}
		case *http2.DataFrame:
			if f.StreamID != id {
				h.t.Fatalf("DATA on stream %d, want %d", f.StreamID, id)
			}
			b.Write(f.Data())
			if f.StreamEnded() {
				return status, b.String()
			}
		case *http2.RSTStreamFrame:
			h.t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			h.t.Fatalf("GOAWAY %v last stream %d", f.ErrCode, f.LastStreamID)
		}
	}
}

// readUntil reads stream id's frames until its body holds want (a
// prefix of what the program writes first), and returns the status.
func (h *h2Client) readUntil(id uint32, want string) int {
	h.t.Helper()
	status := 0
	var b strings.Builder
	for b.String() != want {
		switch f := h.next().(type) {
		case *http2.MetaHeadersFrame:
			status, _ = strconv.Atoi(f.PseudoValue("status"))
		case *http2.DataFrame:
			b.Write(f.Data())
			if f.StreamEnded() && b.String() != want {
				h.t.Fatalf("stream ended with %q, want %q first", b.String(), want)
			}
		default:
			h.t.Fatalf("unexpected %v", f)
		}
	}
	return status
}

// RFC 9113 §9.1.1: a request on a TLS connection for a server other than
// the one its SNI name chose is answered 421 (Misdirected Request), and
// the connection keeps serving; another name of the same server, and any
// name on h2c (no certificate was checked), are served.
func TestH2MisdirectedRequest(t *testing.T) {
	t.Parallel()
	s, pool := startBoth(t, "")
	_, tlsPort, _ := net.SplitHostPort(s.Addrs[1])
	h := dialH2(t, s.Addrs[1], "main.test", pool)
	for i, tt := range []struct {
		authority string
		status    int
		body      string
	}{
		{"other.test:" + tlsPort, 421, ""},
		{"main.test:" + tlsPort, 200, "<h1>home</h1>\n"},
		{"www.main.test", 200, "<h1>home</h1>\n"},
		{"other.test", 421, ""},
		{"unknown.test", 200, "<h1>home</h1>\n"}, // no server of its own: the default, which SNI chose
	} {
		id := uint32(2*i + 1)
		h.request(id, "GET", "https", tt.authority, "/")
		status, body := h.response(id)
		if status != tt.status || tt.body != "" && body != tt.body {
			t.Errorf("SNI main.test, :authority %s: got %d %q, want %d %q", tt.authority, status, body, tt.status, tt.body)
		}
	}
	h = dialH2(t, s.Addrs[1], "other.test", pool)
	h.request(1, "GET", "https", "main.test", "/")
	if status, _ := h.response(1); status != 421 {
		t.Errorf("SNI other.test, :authority main.test: got %d, want 421", status)
	}
	h.request(3, "GET", "https", "other.test", "/")
	if status, body := h.response(3); status != 200 || body != "<h1>other site</h1>\n" {
		t.Errorf("SNI other.test, :authority other.test: got %d %q", status, body)
	}
	h = dialH2c(t, s.Addrs[0])
	h.request(1, "GET", "http", "other.test", "/")
	if status, body := h.response(1); status != 200 || body != "<h1>other site</h1>\n" {
		t.Errorf("h2c :authority other.test: got %d %q", status, body)
	}
}

// `http2 off;` offers only http/1.1 through ALPN, and no plain listener
// answers the HTTP/2 preface unless HTTP/2 is on there (`http2 on;` or
// `listen ... http2`): elsewhere it is an HTTP/1.x request line with a
// version we do not speak (505, or 400), or the connection closes.
func TestH2Off(t *testing.T) {
	t.Parallel()
	certs := newBothCerts(t)
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    listen 127.0.0.1:$PORT1 ssl;
    http2 off;
    server_name main.test;
    ssl_certificate main.crt;
    ssl_certificate_key main.key;
    location / { return 200 "off\n"; }
}
server {
    listen 127.0.0.1:$PORT2;
    location / { return 200 "default\n"; }
}
server {
    listen 127.0.0.1:$PORT3 http2;
    location / { return 200 "listen http2\n"; }
}
server {
    listen 127.0.0.1:$PORT4 http2;
    http2 off;
    location / { return 200 "listen http2, http2 off\n"; }
}
server {
    listen 127.0.0.1:$PORT5;
    http2 on;
    location / { return 200 "on\n"; }
}
`, 6, certs.files)

	c, err := tls.DialWithDialer(&net.Dialer{Timeout: servertest.IOTimeout}, "tcp", s.Addrs[1],
		&tls.Config{ServerName: "main.test", RootCAs: certs.pool, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("http2 off: ALPN chose %q, want http/1.1", p)
	}
	c.Close()

	for _, tt := range []struct {
		name string
		port int
		h2   bool
	}{
		{"http2 off", 0, false},
		{"default", 2, false},
		{"listen http2", 3, true},
		{"listen http2 with http2 off", 4, false},
		{"http2 on", 5, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := s.Dial(t, tt.port)
			if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
				t.Fatal(err)
			}
			http2.NewFramer(c, nil).WriteSettings()
			// Nine bytes are a frame header, or the start of an HTTP/1.1
			// status line; fewer, a closed connection.
			got := make([]byte, 9)
			n, err := io.ReadFull(c, got)
			got = got[:n]
			if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("reading: %v", err)
			}
			// A SETTINGS frame opens an HTTP/2 server's answer (RFC 9113
			// §3.4): type 0x4 on stream 0.
			isH2 := len(got) >= 9 && got[3] == 0x4 && bytes.Equal(got[5:9], []byte{0, 0, 0, 0})
			if isH2 != tt.h2 {
				t.Errorf("HTTP/2 %v, want %v; got %q", isH2, tt.h2, got)
			}
			if !tt.h2 && len(got) > 0 {
				line, _ := bufio.NewReader(io.MultiReader(bytes.NewReader(got), c)).ReadString('\n')
				if !strings.HasPrefix(line, "HTTP/1.1 505 ") && !strings.HasPrefix(line, "HTTP/1.1 400 ") {
					t.Errorf("got %q, want a 505 or 400, or nothing", line)
				}
			}
		})
	}
}

// Graceful stop (SPEC §8, RFC 9113 §6.8): Shutdown sends GOAWAY naming
// the last stream it took, lets that stream's slow CGI program finish and
// its response arrive whole, closes the connection, and then returns
// (here the client closes its side once it reads the end, as clients do;
// TestH2ShutdownSilentClient is the one that does not).
func TestH2ShutdownGoAway(t *testing.T) {
	t.Parallel()
	h2ShutdownGoAway(t, true)
}

// A client that keeps its side open after the GOAWAY and the end of its
// last stream holds graceful stop for no longer than the server's linger
// (h2's goAwayLinger, 1 s): Shutdown returns well within IOTimeout.
func TestH2ShutdownSilentClient(t *testing.T) {
	t.Parallel()
	h2ShutdownGoAway(t, false)
}

func h2ShutdownGoAway(t *testing.T, clientCloses bool) {
	s, _ := startBoth(t, "")
	query := "shutdown-silent"
	if clientCloses {
		query = "shutdown"
	}
	h := dialH2c(t, s.Addrs[0])
	h.request(1, "GET", "http", "main.test", "/cgi/slow.sh?"+query)
	if status := h.readUntil(1, "first\n"); status != 200 {
		t.Fatalf("status %d", status)
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), servertest.IOTimeout)
		defer cancel()
		stopped <- s.Srv.Shutdown(ctx)
	}()
	for {
		f := h.next()
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.LastStreamID != 1 || ga.ErrCode != http2.ErrCodeNo {
				t.Errorf("GOAWAY last stream %d %v, want 1 NO_ERROR", ga.LastStreamID, ga.ErrCode)
			}
			break
		}
		t.Fatalf("before GOAWAY: %v", f)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a stream was running", err)
	default:
	}
	// The program is let go; its stream ends whole.
	if err := os.WriteFile(filepath.Join(s.Dir, "www/cgi/go-"+query), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if status, body := h.response(1); status != 0 || body != "second\n" {
		t.Errorf("rest of the stream: %d %q, want \"second\\n\"", status, body)
	}
	// Then the server closes its side.
	if f, err := h.fr.ReadFrame(); err != io.EOF {
		t.Errorf("after the last stream: %v %v, want EOF", f, err)
	}
	if clientCloses {
		h.c.Close()
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// A reload (SPEC §8) sends GOAWAY on open HTTP/2 connections, whose
// settings were those of the old configuration: the streams they have
// open finish, and the client's next request goes to a new connection,
// served by the new configuration.
func TestH2ReloadGoAway(t *testing.T) {
	t.Parallel()
	s, _ := startBoth(t, "")
	h := dialH2c(t, s.Addrs[0])
	h.request(1, "GET", "http", "main.test", "/cgi/slow.sh?reload")
	if status := h.readUntil(1, "first\n"); status != 200 {
		t.Fatalf("status %d", status)
	}
	h.request(3, "GET", "http", "main.test", "/hello")
	if status, body := h.response(3); status != 200 || body != "hello text\n" {
		t.Fatalf("before the reload: %d %q", status, body)
	}
	conf := strings.Replace(bothConf, `return 200 "hello text\n";`, `return 200 "hello again\n";`, 1)
	if err := s.Srv.Reload(parseConf(t, s, conf)); err != nil {
		t.Fatal(err)
	}
	for {
		f := h.next()
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.LastStreamID != 3 || ga.ErrCode != http2.ErrCodeNo {
				t.Errorf("GOAWAY last stream %d %v, want 3 NO_ERROR", ga.LastStreamID, ga.ErrCode)
			}
			break
		}
		t.Fatalf("before GOAWAY: %v", f)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "www/cgi/go-reload"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if status, body := h.response(1); status != 0 || body != "second\n" {
		t.Errorf("the stream open across the reload: %d %q, want \"second\\n\"", status, body)
	}
	h = dialH2c(t, s.Addrs[0])
	h.request(1, "GET", "http", "main.test", "/hello")
	if status, body := h.response(1); status != 200 || body != "hello again\n" {
		t.Errorf("a new connection after the reload: %d %q", status, body)
	}
}

// A client that resets the stream of a running CGI program (RST_STREAM,
// RFC 9113 §6.4) gets the program's process group killed (SPEC §5), and
// the connection serves on.
func TestH2ResetKillsCGI(t *testing.T) {
	t.Parallel()
	s, _ := startBoth(t, "")
	h := dialH2c(t, s.Addrs[0])
	h.request(1, "GET", "http", "main.test", "/cgi/slow.sh?reset")
	if status := h.readUntil(1, "first\n"); status != 200 {
		t.Fatalf("status %d", status)
	}
	pids := readPids(t, filepath.Join(s.Dir, "www/cgi/pids/reset"))
	if len(pids) != 2 {
		t.Fatalf("pids %v, want the program and its child", pids)
	}
	if err := h.fr.WriteRSTStream(1, http2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	poll(t, "program's process group gone", func() string {
		for _, pid := range pids {
			if alive(pid) {
				return fmt.Sprintf("pid %d still running", pid)
			}
		}
		return ""
	})
	poll(t, "no zombie children", zombies)
	h.request(3, "GET", "http", "main.test", "/hello")
	for {
		// Frames of stream 1 the server sent before it saw the reset
		// may still come.
		f := h.next()
		if f.Header().StreamID == 1 {
			continue
		}
		mh, ok := f.(*http2.MetaHeadersFrame)
		if !ok || mh.StreamID != 3 || mh.PseudoValue("status") != "200" {
			t.Fatalf("after the reset: %v", f)
		}
		break
	}
}

// An upload over HTTP/2 far larger than the receive window is taken as
// the handler stores it (flow control, RFC 9113 §5.2): 50 MiB arrive
// whole while the process's heap grows by far less.
func TestH2LargeUploadBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MiB upload")
	}
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0 http2;
    location /up/ { alias store/; upload_store store; methods PUT; client_max_body_size 64m; }
}
`, 1, map[string]string{"store/": ""})
	const size = 50 << 20
	const maxGrowth = 24 << 20 // far below the body: not held whole
	body := &patternReader{n: size, rng: rand.NewPCG(1, 2)}
	sum := sha256.New()
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{Timeout: servertest.IOTimeout}).DialContext(ctx, network, addr)
		},
	}}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	req, _ := http.NewRequest("PUT", s.URL(0, "/up/big.bin"), io.TeeReader(body, sum))
	req.ContentLength = size
	resp, err := client.Do(req)
	close(done)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 201 {
		t.Fatalf("got %s %d, want HTTP/2.0 201", resp.Proto, resp.StatusCode)
	}
	f, err := os.Open(filepath.Join(s.Dir, "store/big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stored := sha256.New()
	n, _ := io.Copy(stored, f)
	if n != size || !bytes.Equal(stored.Sum(nil), sum.Sum(nil)) {
		t.Errorf("stored %d bytes, sha256 %x; sent %d, %x", n, stored.Sum(nil), size, sum.Sum(nil))
	}
	if p := peak.Load(); p > base+maxGrowth {
		t.Errorf("heap in use peaked at %d MiB, %d MiB over the start: the body was held", p>>20, (p-base)>>20)
	}
}

// patternReader yields n pseudo-random bytes.
type patternReader struct {
	n   int64
	rng *rand.PCG
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	for i := 0; i < len(p); i += 8 {
		v := r.rng.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// The access log names the protocol of each request, and the status page
// counts requests by protocol and the connections that spoke HTTP/2.
func TestH2AccessLogAndStatus(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    http2 on;
    access_log logs/access.log;
    location = /hello { return 200 "hello\n"; }
    location = /metrics { status; access_log off; }
}
`, 1, map[string]string{"logs/": ""})
	h1 := servertest.Client()
	h1.Transport = &http.Transport{}
	h2c := servertest.Client()
	h2c.Transport = &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{Timeout: servertest.IOTimeout}).DialContext(ctx, network, addr)
		}}
	get := func(c *http.Client, path string) string {
		t.Helper()
		resp, err := c.Get(s.URL(0, path))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	get(h1, "/hello")
	get(h1, "/hello?1")
	for i := range 3 {
		get(h2c, "/hello?h2-"+strconv.Itoa(i))
	}
	wait.Until(t, servertest.IOTimeout, func() error {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "logs/access.log"))
		for _, want := range []string{`"GET /hello HTTP/1.1" 200 `, `"GET /hello?h2-2 HTTP/2.0" 200 `} {
			if !bytes.Contains(b, []byte(want)) {
				return fmt.Errorf("no %s in the access log:\n%s", want, b)
			}
		}
		return nil
	})
	// The counters move once the response is out: poll.
	wait.Until(t, servertest.IOTimeout, func() error {
		page := get(h1, "/metrics")
		for _, want := range []string{
			`webserv_protocol_requests_total{protocol="h2"} 3` + "\n",
			"webserv_http2_connections_total 1\n",
		} {
			if !strings.Contains(page, want) {
				return fmt.Errorf("no %q in:\n%s", want, page)
			}
		}
		// The status requests themselves count as HTTP/1.1.
		i := strings.Index(page, `webserv_protocol_requests_total{protocol="http/1.1"} `)
		if i < 0 {
			return fmt.Errorf("no HTTP/1.1 count in:\n%s", page)
		}
		rest := page[i+len(`webserv_protocol_requests_total{protocol="http/1.1"} `):]
		n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, '\n')])
		if n < 2 {
			return fmt.Errorf("HTTP/1.1 requests %d, want at least 2", n)
		}
		return nil
	})
}

// A 421 on a connection whose previous stream went to a location with
// access_log off is logged all the same, by the server the misdirected
// request named: streams' pooled exchanges carry nothing of the stream
// before (found in review: 6 of 20 logged).
func TestH2MisdirectedLoggedAfterQuiet(t *testing.T) {
	t.Parallel()
	certs := newBothCerts(t)
	files := map[string]string{"logs/": ""}
	for k, v := range certs.files {
		files[k] = v
	}
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0 ssl default_server;
    http2 on;
    server_name main.test;
    ssl_certificate main.crt;
    ssl_certificate_key main.key;
    access_log logs/main.log;
    location = /quiet { return 200 "q\n"; access_log off; }
    location / { return 200 "x\n"; }
}
server {
    listen 127.0.0.1:$PORT0 ssl;
    http2 on;
    server_name other.test;
    ssl_certificate other.crt;
    ssl_certificate_key other.key;
    access_log logs/other.log;
    location / { return 200 "o\n"; }
}
`, 1, files)
	h := dialH2(t, s.Addrs[0], "main.test", certs.pool)
	const n = 20
	for i := range n {
		id := uint32(4*i + 1)
		h.request(id, "GET", "https", "main.test", "/quiet")
		if st, _ := h.response(id); st != 200 {
			t.Fatalf("/quiet: %d", st)
		}
		h.request(id+2, "GET", "https", "other.test", fmt.Sprintf("/mis%d", i))
		if st, _ := h.response(id + 2); st != 421 {
			t.Fatalf("misdirected: %d", st)
		}
	}
	wait.Until(t, servertest.IOTimeout, func() error {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "logs/other.log"))
		if c := bytes.Count(b, []byte(" 421 ")); c != n {
			return fmt.Errorf("%d of %d 421 lines in other.log", c, n)
		}
		return nil
	})
}
