package h2_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/h2"
)

// TestGoAwayAfterClientGoAway: the client sends GOAWAY while a
// stream runs; when that last stream ends the server closes the
// connection, and should say GOAWAY first (RFC 9113 §6.8).
func TestGoAwayAfterClientGoAway(t *testing.T) {
	th := newTestHandler(t)
	ts := startServer(t, nil, th, false)
	rc := dialRaw(t, ts)
	rc.request(1, "/slow", true)
	<-th.started
	if err := rc.fr.WriteGoAway(0, http2.ErrCodeNo, nil); err != nil {
		t.Fatal(err)
	}
	// Frames are handled in order: the PING's ack says the GOAWAY was.
	if err := rc.fr.WritePing(false, [8]byte{'g', 'o', 'a', 'w', 'a', 'y'}); err != nil {
		t.Fatal(err)
	}
	rc.until("PING ack", func(f http2.Frame) bool {
		p, ok := f.(*http2.PingFrame)
		return ok && p.IsAck()
	})
	close(th.release)
	if status, body, _ := rc.response(1); status != "200" || string(body) != "released" {
		t.Fatalf("stream 1: %s %q", status, body)
	}
	rc.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			t.Fatalf("connection ended without GOAWAY: %v", err)
		}
		if _, ok := f.(*http2.GoAwayFrame); ok {
			return
		}
	}
}

// gateConn blocks large writes (a response batch) until gate is closed.
type gateConn struct {
	net.Conn
	entered chan struct{}
	gate    chan struct{}
}

func (g *gateConn) Write(p []byte) (int, error) {
	if len(p) > 500 {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-g.gate
	}
	return g.Conn.Write(p)
}

// TestIdleAfterLastWrite: Config.Idle(true) (the server then lets
// reclaim close the socket) must not come while the batch holding the
// last stream's END_STREAM is still being written.
func TestIdleAfterLastWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	idle := make(chan struct{}, 10)
	gc := &gateConn{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	var once sync.Once
	defer once.Do(func() { close(gc.gate) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		gc.Conn = nc
		cfg := &h2.Config{Idle: func(i bool) bool {
			if i {
				idle <- struct{}{}
			}
			return true
		}}
		h2.NewConn(gc, cfg, newTestHandler(t)).Serve(nil)
	}()
	rc := dialRaw(t, &testServer{addr: ln.Addr().String()})
	rc.request(1, "/", true)
	select {
	case <-gc.entered:
	case <-time.After(ioTimeout):
		t.Fatal("no response write")
	}
	// What must not happen is waited for a bounded time.
	select {
	case <-idle:
		t.Error("Idle(true) while the last response's bytes are still being written: reclaim may close the socket under them")
	case <-time.After(500 * time.Millisecond):
	}
	once.Do(func() { close(gc.gate) })
	if status, body, _ := rc.response(1); status != "200" || len(body) != 1026 {
		t.Fatalf("stream 1: %s %d bytes", status, len(body))
	}
	rc.nc.Close()
	<-done
}
