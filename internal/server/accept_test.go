package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// The event loops accept plain connections themselves (accept_linux.go)
// and serve their first request: keep-alive and `Connection: close` alike
// are answered, and TCP_NODELAY is set on a connection kept alive from
// its first response on (which may go out in pieces: a head, then a
// file), as net.TCPConn has it from the start.
func TestLoopAcceptsConnections(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	k := &keptConn{c: s.Dial(t, 0)}
	k.br = bufio.NewReader(k.c)
	k.get(t, "/index.html", "home")
	if !server.LoopAccepted(s.Srv, k.c) {
		t.Fatal("a plain connection was not accepted by an event loop")
	}
	if on, err := server.NoDelay(s.Srv, k.c); err != nil || !on {
		t.Errorf("kept alive: TCP_NODELAY %v (%v), want it set", on, err)
	}
	for range 3 {
		r, closed := s.Exchange(t, 0, "GET", "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if r.StatusCode != 200 || string(r.Body) != "home" || !closed {
			t.Fatalf("Connection: close: got %d %q, closed %v", r.StatusCode, r.Body, closed)
		}
	}
}

// A connection a loop accepted knows both its addresses, as a
// net.TCPConn does: CGI's REMOTE_ADDR, REMOTE_PORT and SERVER_PORT, over
// IPv4 and IPv6.
func TestLoopAcceptAddresses(t *testing.T) {
	t.Parallel()
	needLoops(t)
	listen6 := ""
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		listen6 = "listen " + ln.Addr().String() + ";"
		ln.Close()
	}
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    `+listen6+`
    root www;
    location /cgi/ { cgi .sh sh; }
}
`, 1, map[string]string{"www/cgi/addr.sh": "printf 'Content-Type: text/plain\\r\\n\\r\\n%s %s %s' \"$REMOTE_ADDR\" \"$REMOTE_PORT\" \"$SERVER_PORT\"\n"})
	addrs := []string{s.Addrs[0]}
	if listen6 != "" {
		addrs = append(addrs, strings.TrimSuffix(strings.TrimPrefix(listen6, "listen "), ";"))
	}
	for _, addr := range addrs {
		c, err := net.DialTimeout("tcp", addr, servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		io.WriteString(c, "GET /cgi/addr.sh HTTP/1.1\r\nHost: x\r\n\r\n")
		r := servertest.ReadResponse(t, bufio.NewReader(c), "GET")
		lh, lp, _ := net.SplitHostPort(c.LocalAddr().String())
		_, rp, _ := net.SplitHostPort(c.RemoteAddr().String())
		want := fmt.Sprintf("%s %s %s", lh, lp, rp)
		if r.StatusCode != 200 || string(r.Body) != want {
			t.Errorf("%s: got %d %q, want %q", addr, r.StatusCode, r.Body, want)
		}
		if !server.LoopAccepted(s.Srv, c) {
			t.Errorf("%s: not accepted by an event loop", addr)
		}
		c.Close()
	}
}

// A client that finds every max_connections slot taken waits for one in
// a goroutine, while the loops stop accepting on its address; once it
// has a slot they accept there again.
func TestLoopAcceptResumesAfterSlotWait(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, `
max_connections 2;
server { listen 127.0.0.1:$PORT0; root www; }
`, 1, map[string]string{"www/index.html": "home"})
	var held []net.Conn
	for range 2 {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, bufio.NewReader(c), "GET"); r.StatusCode != 200 {
			t.Fatalf("got %d", r.StatusCode)
		}
		io.WriteString(c, "GET / HTTP/1.1\r\n") // busy: not reclaimed
		held = append(held, c)
	}
	poll(t, "two connections busy", func() string {
		if n := server.Busy(s.Srv); n != 2 {
			return fmt.Sprintf("%d busy", n)
		}
		return ""
	})
	third := s.Dial(t, 0)
	io.WriteString(third, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	held[0].Close()
	br := bufio.NewReader(third)
	if r := servertest.ReadResponse(t, br, "GET"); r.StatusCode != 200 {
		t.Fatalf("the waiting client: got %d", r.StatusCode)
	}
	third.Close()
	// The slots free up as the server sees the closes; then a new client
	// is accepted by a loop again.
	poll(t, "a new connection accepted by a loop", func() string {
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			return err.Error()
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r, _, err := readResponseBody(bufio.NewReader(c), "GET")
		if err != nil || r.StatusCode != 200 {
			return fmt.Sprintf("got %v %v", r, err)
		}
		if !server.LoopAccepted(s.Srv, c) {
			return "not accepted by a loop"
		}
		return ""
	})
}
