package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
	"unsafe"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// plainConf is one server on $PORT0 serving www/ with the defaults.
const plainConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
}
`

// An idle keep-alive connection is parked (no goroutine) and still
// answers its next request; keepalive_timeout closes a parked connection;
// shutdown closes parked connections at once.
func TestParkedConnections(t *testing.T) {
	t.Parallel()
	if server.Parked() < 0 {
		t.Skip("no epoll or kqueue: connections are not parked")
	}
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    keepalive_timeout 1500ms;
}
`, 1, map[string]string{"www/index.html": "home"})

	const n = 20
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	ask := func(i int) {
		t.Helper()
		io.WriteString(conns[i], "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, readers[i], "GET"); r.StatusCode != 200 || string(r.Body) != "home" {
			t.Fatalf("conn %d: got %d %q", i, r.StatusCode, r.Body)
		}
	}
	for i := range conns {
		conns[i] = s.Dial(t, 0)
		readers[i] = bufio.NewReader(conns[i])
		ask(i)
	}
	waitParked(t, s, n)
	// Parked connections wake up for their next request, and park again.
	for i := range conns {
		ask(i)
	}
	waitParked(t, s, n)
	// keepalive_timeout closes them without a response.
	for i := range conns {
		conns[i].SetReadDeadline(time.Now().Add(servertest.IOTimeout))
		if _, err := readers[i].ReadByte(); err != io.EOF {
			t.Errorf("conn %d after keepalive_timeout: %v, want EOF", i, err)
		}
	}
	waitParked(t, s, 0)
}

func TestShutdownClosesParked(t *testing.T) {
	t.Parallel()
	if server.Parked() < 0 {
		t.Skip("no epoll or kqueue: connections are not parked")
	}
	s := servertest.Start(t, plainConf, 1, map[string]string{"www/index.html": "home"})
	c := s.Dial(t, 0)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	servertest.ReadResponse(t, br, "GET")
	waitParked(t, s, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (after %v)", err, time.Since(start))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("parked connection after shutdown: %v, want EOF", err)
	}
}

func waitParked(t *testing.T, s *servertest.Server, want int) {
	t.Helper()
	wait.Until(t, servertest.IOTimeout, func() error {
		if got := server.ParkedOn(s.Srv); got != want {
			return fmt.Errorf("parked connections: %d, want %d", got, want)
		}
		return nil
	})
}

// After a burst of connections goes idle, the parker gives the memory they
// used back to the operating system once parking is quiet.
func TestParkedBurstTrimsMemory(t *testing.T) {
	if server.Parked() < 0 {
		t.Skip("no epoll or kqueue: connections are not parked")
	}
	defer server.SetTrim(32, 200*time.Millisecond)()
	s := servertest.Start(t, plainConf, 1, map[string]string{"www/index.html": "home"})
	trims := server.Trims()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 64
	for range n {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, bufio.NewReader(c), "GET"); r.StatusCode != 200 {
			t.Fatalf("got %d", r.StatusCode)
		}
	}
	waitParked(t, s, n)
	wait.Until(t, servertest.IOTimeout, func() error {
		if server.Trims() == trims {
			return errors.New("no trim after a burst of parked connections")
		}
		return nil
	})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.NumForcedGC == before.NumForcedGC || after.HeapReleased == 0 {
		t.Errorf("trim forced %d collections and left %d bytes released", after.NumForcedGC-before.NumForcedGC, after.HeapReleased)
	}
}

// What a burst of connections used is in pools when they park (each holds
// a read buffer and request state while it waits before parking), and a
// sync.Pool keeps its objects through one collection: the trim must
// collect them, not only the garbage, or a burst's buffers stay in RSS.
func TestParkedBurstTrimFreesPools(t *testing.T) {
	if server.Parked() < 0 {
		t.Skip("no epoll or kqueue: connections are not parked")
	}
	defer server.SetTrim(32, 200*time.Millisecond)()
	// No collection but the trim's: one the runtime starts on its own
	// could empty the pool early and hide a trim that does not.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	s := servertest.Start(t, plainConf, 1, map[string]string{"www/index.html": "home"})
	trims := server.Trims()
	// A size no configuration here uses: nothing takes it from the pool.
	pooled := server.PoolReader(s.Srv, 12345)
	const n = 40
	for range n {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, bufio.NewReader(c), "GET"); r.StatusCode != 200 {
			t.Fatalf("got %d", r.StatusCode)
		}
	}
	waitParked(t, s, n)
	wait.Until(t, servertest.IOTimeout, func() error {
		if server.Trims() == trims {
			return errors.New("no trim after a burst of parked connections")
		}
		return nil
	})
	if pooled.Value() != nil {
		t.Error("a pooled read buffer survived the trim")
	}
}

// A parked connection holds its conn and nothing of the request state
// (pooled while it is idle): the conn must stay small, as thousands of
// idle keep-alive connections each keep one (bench/run.sh scenario 5,
// target 2 KiB each in all). 224 bytes is its size class today.
func TestParkedConnSmall(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes measured on 64-bit platforms")
	}
	if server.ConnSize > 224 {
		t.Errorf("conn is %d bytes, want at most 224: request state belongs in reqState", server.ConnSize)
	}
}
