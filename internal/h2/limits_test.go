package h2_test

import (
	"testing"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/h2"
)

// shortTimeouts makes every timeout of a connection short, so that a test
// waits for what they end rather than for their defaults.
var shortTimeouts = &h2.Config{
	IdleTimeout: 200 * time.Millisecond,
	BodyTimeout: 200 * time.Millisecond,
	SendTimeout: 200 * time.Millisecond,
}

// A client that never ends its side of a stream (no END_STREAM, no DATA)
// after the whole response went out: once the body timeout passes the
// stream is reset, and the connection, idle then, ends. Before, the
// half-closed stream kept the connection active, without any timeout,
// for ever.
func TestFinishedHalfClosedStreamIsReset(t *testing.T) {
	t.Parallel()
	ts := startServer(t, shortTimeouts, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.request(1, "/", false)
	if status, _, _ := rc.response(1); status != "200" {
		t.Fatalf("status %s", status)
	}
	if got := rc.rst(1); got != http2.ErrCodeNo {
		t.Fatalf("RST_STREAM %v, want NO_ERROR (the response was complete)", got)
	}
	if got := rc.goAway(); got != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v, want NO_ERROR (idle timeout)", got)
	}
	if !rc.isClosed() {
		t.Fatal("connection still open after its idle timeout")
	}
}

// The same with a graceful Shutdown: the connection closes once the
// half-closed stream is reset, instead of holding a reload or a stop.
func TestShutdownEndsHalfClosedStream(t *testing.T) {
	t.Parallel()
	ts := startServer(t, shortTimeouts, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	hc := <-ts.conns
	rc.request(1, "/", false)
	if status, _, _ := rc.response(1); status != "200" {
		t.Fatalf("status %s", status)
	}
	hc.Shutdown()
	if got := rc.goAway(); got != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v", got)
	}
	if got := rc.rst(1); got != http2.ErrCodeNo {
		t.Fatalf("RST_STREAM %v, want NO_ERROR", got)
	}
	if !rc.isClosed() {
		t.Fatal("connection still open after Shutdown and its last stream's end")
	}
}

// A client with a zero stream window: the response fits in the stream's
// buffer and its handler returns, so no Write waits on the window. Once
// the send timeout passes without the client taking any of it the
// stream is reset (CANCEL), its buffer freed and the connection goes
// idle.
func TestZeroWindowFinishedStreamIsReset(t *testing.T) {
	t.Parallel()
	ts := startServer(t, shortTimeouts, newTestHandler(t), false)
	rc := dialRaw(t, ts, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	rc.request(1, "/big?n=60000", true)
	if got := rc.rst(1); got != http2.ErrCodeCancel {
		t.Fatalf("RST_STREAM %v, want CANCEL", got)
	}
	if got := rc.goAway(); got != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v, want NO_ERROR (idle timeout)", got)
	}
}
