package server_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/http1"
	"webserv/internal/server"
	"webserv/internal/servertest"
)

// Idle HTTP/2 connections give their max_connections slots back as idle
// HTTP/1.1 ones do (reclaim.go): a new client is served.
func TestH2IdleSlotsReclaimed(t *testing.T) {
	const conf = `
max_connections 8;
server {
    listen 127.0.0.1:$PORT0 http2;
    root www;
    client_header_timeout 60s;
    keepalive_timeout 75s;
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"www/index.html": "home"})
	for range 8 {
		h := dialH2c(t, s.Addrs[0])
		h.request(1, "GET", "http", "x", "/")
		if st, _ := h.response(1); st != 200 {
			t.Fatalf("h2c: %d", st)
		}
	}
	client := &http.Client{Timeout: servertest.IOTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(s.URL(0, "/"))
	if err != nil {
		t.Fatalf("HTTP/1.1 client with every slot held by idle h2c connections: %v", err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
}

// The streams of an HTTP/2 connection read its addresses (access log,
// $remote_addr) from their goroutines at once: no data race (-race).
func TestH2RemoteRace(t *testing.T) {
	s := servertest.Start(t, `
log_format rv '$remote_addr $remote_port $https $status';
server {
    listen 127.0.0.1:$PORT0 http2;
    access_log logs/access.log rv;
    location = /hello { return 200 "$remote_addr $remote_port\n"; }
}
`, 1, map[string]string{"logs/": ""})
	for range 20 {
		h := dialH2c(t, s.Addrs[0])
		for id := uint32(1); id <= 15; id += 2 {
			h.request(id, "GET", "http", "x", "/hello")
		}
		for ended := 0; ended < 8; {
			switch f := h.next().(type) {
			case *http2.DataFrame:
				if f.StreamEnded() {
					ended++
				}
			case *http2.MetaHeadersFrame:
				if f.StreamEnded() {
					ended++
				}
			case *http2.RSTStreamFrame, *http2.GoAwayFrame:
				t.Fatalf("got %v", f)
			}
		}
		h.c.Close()
	}
}

// An HTTP/2 request body needs no content-length (RFC 9113 §8.1: DATA
// frames up to END_STREAM delimit it): a PUT without one is stored, not
// answered 411.
func TestH2BodyWithoutContentLength(t *testing.T) {
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0 http2;
    location /up/ { alias store/; upload_store store; methods PUT; }
}
`, 1, map[string]string{"store/": ""})
	client := &http.Client{Timeout: servertest.IOTimeout, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{Timeout: servertest.IOTimeout}).DialContext(ctx, network, addr)
		},
	}}
	req, _ := http.NewRequest("PUT", s.URL(0, "/up/a.txt"), io.MultiReader(strings.NewReader("hello")))
	req.ContentLength = -1 // unknown: no content-length field, END_STREAM ends it
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("h2 PUT without content-length: got %s %d %.80q, want 201", resp.Proto, resp.StatusCode, b)
	}
	// A PUT whose HEADERS end the stream has an empty body, not a
	// missing length (HTTP/1.1's 411).
	h := dialH2c(t, s.Addrs[0])
	h.request(1, "PUT", "http", "x", "/up/empty.txt")
	if st, body := h.response(1); st != 201 {
		t.Errorf("h2 PUT ending with its HEADERS: got %d %.80q, want 201", st, body)
	}
}

// A TLS client that sends no SNI got the default server's certificate: an
// HTTP/2 request on it for another server is 421 (RFC 9113 §9.1.1), as
// for an SNI name of another server.
func TestH2NoSNIReachesOtherServer(t *testing.T) {
	s, _ := startBoth(t, "")
	c, err := tls.Dial("tcp", s.Addrs[1], &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	if cs := c.ConnectionState(); cs.NegotiatedProtocol != "h2" || cs.PeerCertificates[0].Subject.CommonName == "other.test" {
		t.Fatalf("ALPN %q cert %v", cs.NegotiatedProtocol, cs.PeerCertificates[0].DNSNames)
	} else {
		t.Logf("certificate names: %v", cs.PeerCertificates[0].DNSNames)
	}
	h := newH2Client(t, c)
	h.request(1, "GET", "https", "other.test", "/")
	if status, body := h.response(1); status != 421 {
		t.Errorf("no SNI, :authority other.test: got %d %q, want 421", status, body)
	}
}

// TestH2cSniff: a plain connection is HTTP/2 only when it opens with the
// whole client preface, however it arrives; the preface anywhere else,
// and "PRI * HTTP/2.0" that is not the preface, are HTTP/1.x requests
// answered 505 with the connection closed.
func TestH2cSniff(t *testing.T) {
	t.Parallel()
	s, _ := startBoth(t, "")
	readAll := func(c net.Conn) string {
		c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// The preface in two writes, the second after a pause (what the test
	// sends, not a wait for the server): the first 10 bytes alone could
	// still be either protocol.
	c := dial()
	io.WriteString(c, http2.ClientPreface[:10])
	time.Sleep(200 * time.Millisecond)
	io.WriteString(c, http2.ClientPreface[10:])
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
	if f, err := fr.ReadFrame(); err != nil || f.Header().Type != http2.FrameSettings {
		t.Errorf("split preface: got %v %v, want the server's SETTINGS", f, err)
	}

	c = dial()
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: main.test\r\n\r\n"+http2.ClientPreface)
	if got := readAll(c); !strings.HasPrefix(got, "HTTP/1.1 200") || !strings.Contains(got, "HTTP/1.1 505") {
		t.Errorf("preface after a first request: got %q, want 200 then 505", got)
	}

	tc, err := tls.Dial("tcp", s.Addrs[1], &tls.Config{InsecureSkipVerify: true, ServerName: "main.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	io.WriteString(tc, http2.ClientPreface)
	if got := readAll(tc); !strings.HasPrefix(got, "HTTP/1.1 505") {
		t.Errorf("preface over TLS without ALPN h2: got %q, want 505", got)
	}

	c = dial()
	io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nXX")
	if got := readAll(c); !strings.HasPrefix(got, "HTTP/1.1 505") {
		t.Errorf("PRI that is not the preface: got %q, want 505", got)
	}
}

// A panic in a handler answers 500 on HTTP/2 and the connection serves
// its next stream.
func TestH2Panic(t *testing.T) {
	s, _ := startBoth(t, "")
	restore := server.SetTestHookServe(s.Srv, func(r *http1.Request) {
		if string(r.Path) == "/panic" {
			panic("boom")
		}
	})
	defer restore()
	h := dialH2c(t, s.Addrs[0])
	h.request(1, "GET", "http", "main.test", "/panic")
	st, _ := h.response(1)
	h.request(3, "GET", "http", "main.test", "/hello")
	st2, body := h.response(3)
	if st != 500 || st2 != 200 {
		t.Errorf("panic: %d; next %d %q", st, st2, body)
	}
}

// TLS connections that negotiate h2 and then send nothing (not even the
// preface) are reclaimed under max_connections as silent HTTP/1.1 ones
// are, instead of holding their slots for client_header_timeout.
func TestH2SilentTLSSlots(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			certs := newBothCerts(t)
			files := map[string]string{}
			for k, v := range bothFiles {
				files[k] = v
			}
			for k, v := range certs.files {
				files[k] = v
			}
			s := servertest.Start(t, "max_connections 8;\n"+bothConf, 2, files)
			cfg := &tls.Config{ServerName: "main.test", RootCAs: certs.pool, NextProtos: []string{proto}}
			for range 7 { // the 8th slot is the plain listener's accept loop's
				c, err := tls.Dial("tcp", s.Addrs[1], cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
			}
			client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
				TLSClientConfig: &tls.Config{ServerName: "main.test", RootCAs: certs.pool}}}
			resp, err := client.Get("https://" + s.Addrs[1] + "/hello")
			if err != nil {
				t.Fatalf("7 silent TLS connections (ALPN %s) hold every slot: %v", proto, err)
			}
			resp.Body.Close()
		})
	}
}

// A TLS client that negotiated h2 and sends its preface a moment after the
// handshake (what the test sends: a pause, not a wait) is served.
func TestH2TLSLatePreface(t *testing.T) {
	s, pool := startBoth(t, "")
	c, err := tls.Dial("tcp", s.Addrs[1], &tls.Config{ServerName: "main.test", RootCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	h := newH2Client(t, c)
	h.request(1, "GET", "https", "main.test", "/hello")
	if st, body := h.response(1); st != 200 {
		t.Errorf("preface 300ms after the handshake: %d %q", st, body)
	}
}
