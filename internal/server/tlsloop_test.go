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
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// tlsLoopServer serves www over TLS (HTTP/1.1 only: ALPN h2 leaves the
// loops) with files; dial connects a client.
func tlsLoopServer(t *testing.T, files map[string]string) (s *servertest.Server, dial func() *keptConn) {
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
    keepalive_timeout 60s;
}
`, 1, files)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	dial = func() *keptConn {
		d := &net.Dialer{Timeout: servertest.IOTimeout}
		c, err := tls.DialWithDialer(d, "tcp", s.Addrs[0], &tls.Config{RootCAs: pool, ServerName: "a.test", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
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
	s, dial := tlsLoopServer(t, loopFiles(nil))
	k := dial()
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
	s, dial := tlsLoopServer(t, loopFiles(big))
	slow := dial()
	want := server.LoopOf(s.Srv, slow.c)
	var ks []*keptConn
	for range 64 {
		o := dial()
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
