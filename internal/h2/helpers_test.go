package h2_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"webserv/internal/h2"
	"webserv/internal/http1"
	"webserv/internal/servertest"
)

const ioTimeout = servertest.IOTimeout

// testHandler is the engine's test application:
//
//	/echo     the request body back, with the request in x-* fields
//	/big?n=N  N bytes of a repeating pattern
//	/file     a temporary file through SendFile (range via ?off=&n=)
//	/slow     waits until the stream is gone or release is closed
//	/abort    declares 100 bytes, writes 10, returns
//	/head     content-length 5 with "hello" (HEAD gets no DATA)
//	/nocontent 204
//	anything else: "hello h2\n" repeated to 1 KiB
type testHandler struct {
	file    *os.File
	release chan struct{}
	started chan struct{} // one value per /slow request
	gone    chan struct{} // one value per /slow request that saw Gone
}

func newTestHandler(t testing.TB) *testHandler {
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(pattern(100000))
	t.Cleanup(func() { f.Close() })
	return &testHandler{file: f, release: make(chan struct{}), started: make(chan struct{}, 1000), gone: make(chan struct{}, 1000)}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func (th *testHandler) ServeStream(s *h2.Stream) {
	r := s.Request()
	if err := s.Err(); err != nil {
		s.WriteHeader(http1.StatusOf(err).Status)
		return
	}
	h := s.Header()
	h.Set("X-Method", string(r.Method))
	h.Set("X-Path", string(r.Path))
	h.Set("X-Query", string(r.Query))
	h.Set("X-Host", string(r.Host))
	h.Set("X-Cookie", string(r.Get("cookie")))
	h.Set("X-Content-Length", strconv.FormatInt(r.ContentLength, 10))
	q := string(r.Query)
	switch string(r.Path) {
	case "/echo":
		if strings.HasPrefix(q, "max=") {
			max, _ := strconv.ParseInt(q[len("max="):], 10, 64)
			s.Body().SetLimits(max, 0)
		}
		body, err := io.ReadAll(s.Body())
		if err != nil {
			s.CloseAfter()
			if se := http1.StatusOf(err); se != nil {
				s.WriteHeader(se.Status)
			} else {
				s.WriteHeader(500)
			}
			return
		}
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Connection", "close") // must be dropped (RFC 9113 §8.2.2)
		h.Set("Transfer-Encoding", "chunked")
		s.SetContentLength(int64(len(body)))
		s.Write(body)
	case "/big":
		n, _ := strconv.Atoi(q[len("n="):])
		s.SetContentLength(int64(n))
		p := pattern(n)
		for len(p) > 0 {
			m := min(len(p), 7000)
			if _, err := s.Write(p[:m]); err != nil {
				return
			}
			p = p[m:]
		}
	case "/file":
		off, n := int64(0), int64(100000)
		if q != "" {
			fmt.Sscanf(q, "off=%d&n=%d", &off, &n)
		}
		s.SetContentLength(n)
		s.SendFile(int(th.file.Fd()), off, n)
	case "/slow":
		signal(th.started)
		select {
		case <-s.Gone():
			signal(th.gone)
		case <-th.release:
			s.Write([]byte("released"))
		}
	case "/bighead":
		h.Set("X-Big", strings.Repeat("b", 40000)) // past the 16 KiB frame: CONTINUATION
		s.Write([]byte("ok"))
	case "/flush":
		s.Write([]byte("first"))
		s.Flush()
		select {
		case <-s.Gone():
			return
		case <-th.release:
		}
		s.Write([]byte(" second"))
	case "/abort":
		s.SetContentLength(100)
		s.Write([]byte("0123456789"))
		s.CloseAfter()
	case "/head":
		s.SetContentLength(5)
		s.Write([]byte("hello"))
	case "/panic":
		panic("test panic")
	case "/nocontent":
		s.WriteHeader(204)
	default:
		b := bytes.Repeat([]byte("hello h2\n"), 114)
		s.Write(b)
	}
}

// signal sends on ch without waiting (the fuzz target runs the handler
// without end).
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// testServer is an engine on a loopback listener.
type testServer struct {
	addr  string
	tls   *tls.Config // nil: h2c
	mu    sync.Mutex
	errs  []error
	conns chan *h2.Conn // the connections served, as they come
}

func startServer(t testing.TB, cfg *h2.Config, h h2.Handler, useTLS bool) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{addr: ln.Addr().String(), conns: make(chan *h2.Conn, 100)}
	if useTLS {
		ts.tls = testTLSConfig(t)
	}
	var wg sync.WaitGroup
	conns := make(map[net.Conn]bool)
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if ts.tls != nil {
				nc = tls.Server(nc, ts.tls)
			}
			mu.Lock()
			conns[nc] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				if tc, ok := nc.(*tls.Conn); ok {
					tc.SetDeadline(time.Now().Add(ioTimeout))
					if err := tc.Handshake(); err != nil {
						tc.Close()
						return
					}
					tc.SetDeadline(time.Time{})
				}
				hc := h2.NewConn(nc, cfg, h)
				select {
				case ts.conns <- hc:
				default:
				}
				err := hc.Serve(nil)
				ts.mu.Lock()
				ts.errs = append(ts.errs, err)
				ts.mu.Unlock()
				mu.Lock()
				delete(conns, nc)
				mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ts
}

var (
	certOnce sync.Once
	certPEM  tls.Certificate
	certPool *x509.CertPool
	certErr  error
)

// testTLSConfig returns a server TLS config with a self-signed
// certificate for 127.0.0.1 and localhost, offering h2 by ALPN.
func testTLSConfig(t testing.TB) *tls.Config {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "webserv test"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			certErr = err
			return
		}
		leaf, _ := x509.ParseCertificate(der)
		certPEM = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
		certPool = x509.NewCertPool()
		certPool.AddCert(leaf)
	})
	if certErr != nil {
		t.Fatal(certErr)
	}
	return &tls.Config{Certificates: []tls.Certificate{certPEM}, NextProtos: []string{"h2"}}
}

// client returns Go's HTTP/2 client for ts: h2c with prior knowledge, or
// TLS with ALPN h2.
func (ts *testServer) client(t testing.TB) *http.Client {
	tr := &http2.Transport{}
	if ts.tls == nil {
		tr.AllowHTTP = true
		tr.DialTLSContext = func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	} else {
		tr.TLSClientConfig = &tls.Config{RootCAs: certPool, NextProtos: []string{"h2"}}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: ioTimeout}
}

func (ts *testServer) url(path string) string {
	if ts.tls != nil {
		return "https://" + ts.addr + path
	}
	return "http://" + ts.addr + path
}

// rawConn is a client connection driven frame by frame.
type rawConn struct {
	t    testing.TB
	nc   net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer

	streams map[uint32]*streamResp // responses read, by stream
}

// dialRaw connects to ts (h2c), sends the preface and SETTINGS, and
// reads the server's SETTINGS.
func dialRaw(t testing.TB, ts *testServer, settings ...http2.Setting) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(ioTimeout))
	rc := &rawConn{t: t, nc: nc, fr: http2.NewFramer(nc, nc)}
	rc.enc = hpack.NewEncoder(&rc.hbuf)
	rc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if _, err := io.WriteString(nc, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := rc.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	f := rc.read()
	if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	return rc
}

func (rc *rawConn) read() http2.Frame {
	rc.t.Helper()
	f, err := rc.fr.ReadFrame()
	if err != nil {
		rc.t.Fatalf("read frame: %v", err)
	}
	return f
}

// block encodes a header list: pairs of name, value.
func (rc *rawConn) block(kv ...string) []byte {
	rc.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		rc.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return append([]byte(nil), rc.hbuf.Bytes()...)
}

// request sends a HEADERS frame with a GET for path (plus extra fields).
func (rc *rawConn) request(id uint32, path string, endStream bool, extra ...string) {
	rc.t.Helper()
	kv := append([]string{":method", "GET", ":scheme", "http", ":authority", "localhost", ":path", path}, extra...)
	if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: id, BlockFragment: rc.block(kv...), EndStream: endStream, EndHeaders: true,
	}); err != nil {
		rc.t.Fatal(err)
	}
}

// until reads frames until one satisfies match, failing on EOF; it
// returns that frame.
func (rc *rawConn) until(what string, match func(http2.Frame) bool) http2.Frame {
	rc.t.Helper()
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			rc.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
	}
}

// goAway reads until GOAWAY and returns its code.
func (rc *rawConn) goAway() http2.ErrCode {
	rc.t.Helper()
	f := rc.until("GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok })
	return f.(*http2.GoAwayFrame).ErrCode
}

// rst reads until RST_STREAM on id and returns its code.
func (rc *rawConn) rst(id uint32) http2.ErrCode {
	rc.t.Helper()
	f := rc.until("RST_STREAM", func(f http2.Frame) bool {
		r, ok := f.(*http2.RSTStreamFrame)
		return ok && r.StreamID == id
	})
	return f.(*http2.RSTStreamFrame).ErrCode
}

// streamResp is what the client read for one stream.
type streamResp struct {
	status string
	body   []byte
	fields []hpack.HeaderField
	done   bool
	rst    http2.ErrCode
	reset  bool
}

// response reads one stream's response: status and body. Frames of other
// streams read meanwhile are kept for their own response call.
func (rc *rawConn) response(id uint32) (status string, body []byte, fields []hpack.HeaderField) {
	rc.t.Helper()
	if rc.streams == nil {
		rc.streams = make(map[uint32]*streamResp)
	}
	get := func(id uint32) *streamResp {
		r := rc.streams[id]
		if r == nil {
			r = &streamResp{}
			rc.streams[id] = r
		}
		return r
	}
	for {
		r := get(id)
		if r.reset {
			rc.t.Fatalf("stream %d reset: %v", id, r.rst)
		}
		if r.done {
			return r.status, r.body, r.fields
		}
		switch f := rc.read().(type) {
		case *http2.MetaHeadersFrame:
			r := get(f.StreamID)
			if s := f.PseudoValue("status"); s != "" && s[0] != '1' {
				r.status = s
				r.fields = f.Fields
			}
			r.done = f.StreamEnded()
		case *http2.DataFrame:
			r := get(f.StreamID)
			r.body = append(r.body, f.Data()...)
			r.done = f.StreamEnded()
		case *http2.RSTStreamFrame:
			r := get(f.StreamID)
			r.reset, r.rst = true, f.ErrCode
		case *http2.GoAwayFrame:
			rc.t.Fatalf("GOAWAY %v waiting for stream %d", f.ErrCode, id)
		}
	}
}

// isClosed reports whether the server closed the connection (EOF or
// reset) within ioTimeout, reading past any frames.
func (rc *rawConn) isClosed() bool {
	rc.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	buf := make([]byte, 4096)
	for {
		_, err := rc.nc.Read(buf)
		if err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

func rawFrame(typ http2.FrameType, flags http2.Flags, id uint32, payload []byte) []byte {
	b := make([]byte, 9, 9+len(payload))
	b[0], b[1], b[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	b[3], b[4] = byte(typ), byte(flags)
	binary.BigEndian.PutUint32(b[5:], id)
	return append(b, payload...)
}
