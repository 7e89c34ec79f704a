package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// Issue 14 item 6: connections that hold a max_connections slot while
// doing nothing — sockets that never send a byte, keep-alive connections
// between requests — must not lock normal clients out. When the slots run
// out the server closes the oldest idle ones to make room (as nginx reuses
// connections when worker_connections run out).
//
// Not parallel: it waits for its connections to be parked by counting
// parked connections, which counts other tests' too.
func TestSlotsReclaimedFromIdleConnections(t *testing.T) {
	const conf = `
max_connections 32;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    client_header_timeout 60s;
    keepalive_timeout 75s;
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"www/index.html": "home"})

	// Idle keep-alive connections first: each served one request, then
	// went quiet long enough to be parked.
	var kept []net.Conn
	for range 16 {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, bufio.NewReader(c), "GET"); r.StatusCode != 200 || r.Close {
			t.Fatalf("keep-alive request: got %d (close %v)", r.StatusCode, r.Close)
		}
		kept = append(kept, c)
	}
	wait.Until(t, servertest.IOTimeout, func() error {
		if n := server.ParkedOn(s.Srv); n < 16 {
			return fmt.Errorf("%d connections parked, want 16", n)
		}
		return nil
	})
	// Then far more silent sockets than there are slots.
	for range 300 {
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}

	// A normal client, a new connection per request, is still served
	// (each request fails after IOTimeout if it is not).
	client := &http.Client{Timeout: servertest.IOTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 20 {
		resp, err := client.Get(s.URL(0, "/"))
		if err != nil {
			t.Fatalf("request %d with every slot held by idle connections: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "home" {
			t.Fatalf("request %d: got %d %q", i, resp.StatusCode, body)
		}
	}
	// The idle keep-alive connections went first.
	for i, c := range kept {
		var b [1]byte
		if _, err := c.Read(b[:]); err != io.EOF {
			t.Errorf("keep-alive connection %d: got %v, want EOF (reclaimed)", i, err)
		}
	}
}

// The slots are taken back from idle connections only: requests in
// progress are never cut off to make room. 8 slots, all held by
// connections in the middle of a request head; a new client waits for one
// of them to finish, and every one of them is answered.
func TestSlotsNotReclaimedFromActive(t *testing.T) {
	t.Parallel()
	const conf = `
max_connections 8;
server {
    listen 127.0.0.1:$PORT0;
    root www;
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"www/index.html": "home"})
	var busy []net.Conn
	for range 8 {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // the head is not finished
		busy = append(busy, c)
	}
	done := make(chan error, 1)
	go func() {
		client := &http.Client{Timeout: servertest.IOTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get(s.URL(0, "/"))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a ninth client was served while 8 requests held the 8 slots (err %v)", err)
	case <-time.After(300 * time.Millisecond): // nothing to poll for: showing that something does not happen
	}
	for i, c := range busy {
		io.WriteString(c, "Connection: close\r\n\r\n")
		if r := servertest.ReadResponse(t, bufio.NewReader(c), "GET"); r.StatusCode != 200 {
			t.Errorf("request %d in progress: got %d, want 200", i, r.StatusCode)
		}
	}
	if err := <-done; err != nil {
		t.Errorf("the waiting client: %v", err)
	}
}

// While slots are short, a new connection that sends nothing is closed
// after a second (crowdedFirstByte), not after client_header_timeout.
func TestCrowdedFirstByteTimeout(t *testing.T) {
	t.Parallel()
	const conf = `
max_connections 32;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    client_header_timeout 60s;
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"www/index.html": "home"})
	var last net.Conn
	for range 32 {
		last = s.Dial(t, 0)
	}
	// The last one was accepted with every slot taken.
	var b [1]byte
	_, err := last.Read(b[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a silent connection accepted into the last slot was kept for %v", servertest.IOTimeout)
	}
	if err != io.EOF {
		t.Errorf("got %v, want EOF", err)
	}
}

// A shortage of slots never closes a connection a request has arrived
// for. Pipelined requests the server has already read into its buffer
// are invisible on the socket, so the connection must not count as idle
// between them; a parked connection woken by its next request must not
// be closed either. ReclaimOnArrival runs reclaim at exactly those
// moments, which a real shortage hits only now and then.
func TestSlotsNotReclaimedWithRequestArrived(t *testing.T) {
	t.Parallel()
	const conf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    keepalive_timeout 75s;
}
`
	// A server each: reclaim closes the longest idle connection first.
	start := func(t *testing.T) *servertest.Server {
		s := servertest.Start(t, conf, 1, map[string]string{"www/index.html": "home"})
		t.Cleanup(server.ReclaimOnArrival(s.Srv))
		return s
	}

	t.Run("pipelined", func(t *testing.T) {
		t.Parallel()
		s := start(t)
		c := s.Dial(t, 0)
		const get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
		io.WriteString(c, get+get+get) // one write: read at once
		br := bufio.NewReader(c)
		for i := range 3 {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("pipelined request %d of 3: %v", i+1, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "home" {
				t.Fatalf("pipelined request %d: got %d %q", i+1, resp.StatusCode, body)
			}
		}
	})

	t.Run("parked", func(t *testing.T) {
		t.Parallel()
		if server.Parked() < 0 {
			t.Skip("no poller: connections do not park")
		}
		s := start(t)
		c := s.Dial(t, 0)
		br := bufio.NewReader(c)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, br, "GET"); r.StatusCode != 200 || r.Close {
			t.Fatalf("first request: got %d (close %v)", r.StatusCode, r.Close)
		}
		for deadline := time.Now().Add(servertest.IOTimeout); server.ParkedOn(s.Srv) < 1; pollPause() {
			if time.Now().After(deadline) {
				t.Fatal("the keep-alive connection did not park")
			}
		}
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request to a parked connection: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request to a parked connection: got %d", resp.StatusCode)
		}
	})
}
