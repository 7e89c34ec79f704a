package server_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// tlsLoopServer serves www over TLS (HTTP/1.1 only: ALPN h2 leaves the
// loops) with files and the directives timeouts; dial connects a client
// (through wrap, if given, beneath TLS), makes one request and waits
// until the connection is parked.
func tlsLoopServer(t *testing.T, files map[string]string, timeouts string) (s *servertest.Server, dial func(wrap func(net.Conn) net.Conn) *keptConn) {
	t.Helper()
	ca := newCA(t)
	crt, key := ca.issue(t, 2, "a.test")
	files["a.crt"], files["a.key"] = string(crt), string(key)
	s = servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0 ssl;
    server_name a.test;
    ssl_certificate a.crt;
    ssl_certificate_key a.key;
    root www;
    `+timeouts+`
}
`, 1, files)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	dial = func(wrap func(net.Conn) net.Conn) *keptConn {
		raw, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if wrap != nil {
			raw = wrap(raw)
		}
		c := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "a.test", NextProtos: []string{"http/1.1"}})
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		k := &keptConn{c: c, br: bufio.NewReader(c)}
		k.get(t, "/index.html", "home")
		waitParkedConn(t, s, c)
		return k
	}
	return s, dial
}

func waitParkedConn(t *testing.T, s *servertest.Server, c net.Conn) {
	t.Helper()
	wait.Until(t, servertest.IOTimeout, func() error {
		if !server.IsParked(s.Srv, c) {
			return errors.New("connection not parked yet")
		}
		return nil
	})
}

// A TLS keep-alive connection parks in an event loop between requests,
// like a plain one, and the loop serves its requests through crypto/tls.
func TestLoopServesTLSKeepAlive(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s, dial := tlsLoopServer(t, loopFiles(nil), "keepalive_timeout 60s;")
	k := dial(nil)
	for range 5 {
		k.get(t, "/index.html", "home")
		waitParkedConn(t, s, k.c)
	}
	// Two requests in one TLS write: the second is read from what TLS
	// holds, not waited for on the socket.
	io.WriteString(k.c, strings.Repeat("GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n", 2))
	for i := range 2 {
		if r := servertest.ReadResponse(t, k.br, "GET"); r.StatusCode != 200 || string(r.Body) != "home" {
			t.Fatalf("pipelined %d: got %d %q", i, r.StatusCode, r.Body)
		}
	}
}

// A TLS client that does not read a large response holds only its own
// connection: the loop is handed over before the write waits
// (loopWillWait), and the other connections of the same loop are served.
func TestLoopNotHeldBySlowTLSReader(t *testing.T) {
	t.Parallel()
	needLoops(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	s, dial := tlsLoopServer(t, loopFiles(big), "keepalive_timeout 60s;")
	slow := dial(nil)
	want := server.LoopOf(s.Srv, slow.c)
	var ks []*keptConn
	for range 64 {
		o := dial(nil)
		if server.LoopOf(s.Srv, o.c) == want {
			ks = append(ks, o)
			if len(ks) == 4 {
				break
			}
		} else {
			// Loops go by descriptor, and each dial takes two (both
			// ends are in this process): one more shifts the next.
			f, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
		}
	}
	if len(ks) < 4 {
		t.Fatalf("64 connections, %d of them in the loop of the first", len(ks))
	}
	io.WriteString(slow.c, "GET /big.bin HTTP/1.1\r\nHost: a.test\r\n\r\n")
	for _, o := range ks {
		o.c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		o.get(t, "/index.html", "home")
	}
	slow.c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	r := servertest.ReadResponse(t, slow.br, "GET")
	if r.StatusCode != 200 || !bytes.Equal(r.Body, big) {
		t.Fatalf("slow reader: got %d, %d bytes", r.StatusCode, len(r.Body))
	}
	slow.get(t, "/index.html", "home")
}

// trickleConn writes, once trickle is on, each Write in chunks of n bytes
// with gap between them.
type trickleConn struct {
	net.Conn
	on  atomic.Bool
	n   int
	gap time.Duration
}

func (c *trickleConn) Write(b []byte) (int, error) {
	if !c.on.Load() {
		return c.Conn.Write(b)
	}
	done := 0
	for done < len(b) {
		m := min(c.n, len(b)-done)
		k, err := c.Conn.Write(b[done : done+m])
		done += k
		if err != nil {
			return done, err
		}
		time.Sleep(c.gap)
	}
	return done, nil
}

// A TLS record dribbled a few bytes at a time, each within
// keepalive_timeout, does not hold a keep-alive connection open past
// keepalive_timeout: once a record has begun, the rest is waited for in a
// goroutine under one deadline, as a head begun (a loop would restart the
// keepalive timer at every piece). The pieces are paced by the client,
// as a slowloris client paces its bytes.
func TestLoopTLSRecordTrickle(t *testing.T) {
	needLoops(t)
	_, dial := tlsLoopServer(t, loopFiles(nil), "keepalive_timeout 1s; client_header_timeout 1s;")
	var tc *trickleConn
	k := dial(func(raw net.Conn) net.Conn {
		tc = &trickleConn{Conn: raw, n: 8, gap: 300 * time.Millisecond}
		return tc
	})
	tc.on.Store(true)
	start := time.Now()
	_, err := k.c.Write([]byte("GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n"))
	took := time.Since(start)
	tc.on.Store(false)
	r, rerr := k.br.ReadString('\n')
	t.Logf("record written in %v (write err %v); server answered %q, %v", took, err, r, rerr)
	if rerr == nil {
		t.Fatalf("a request record dribbled over %v was served with keepalive_timeout 1s, client_header_timeout 1s", took)
	}
}

// A file that may not be in the page cache is read off the loop over TLS
// too (copyFile's reads may wait for the disk). Not parallel: it counts
// the loops' hand-overs.
func TestLoopTLSLeavesForUncachedFile(t *testing.T) {
	needLoops(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	_, dial := tlsLoopServer(t, loopFiles(big), "keepalive_timeout 60s;")
	k := dial(nil)
	_, before, _ := server.LoopServed()
	k.get(t, "/big.bin", string(big))
	if _, left, _ := server.LoopServed(); left == before {
		t.Error("a 1 MiB file was read by the loop itself")
	}
}
