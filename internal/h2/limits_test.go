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
	// The idle timeout runs from the client's SETTINGS until the request:
	// longer than the send timeout, so that a slow start under load is
	// not taken for an idle connection (EOF instead of RST_STREAM).
	cfg := *shortTimeouts
	cfg.IdleTimeout = time.Second
	ts := startServer(t, &cfg, newTestHandler(t), false)
	rc := dialRaw(t, ts, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	rc.request(1, "/big?n=60000", true)
	if got := rc.rst(1); got != http2.ErrCodeCancel {
		t.Fatalf("RST_STREAM %v, want CANCEL", got)
	}
	if got := rc.goAway(); got != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v, want NO_ERROR (idle timeout)", got)
	}
}

// The rapid-reset budget (CVE-2023-44487) counts the streams the server
// resets before their response is complete too: a client that makes it
// reset each stream right after its handler started (here DATA past
// content-length: 0) costs as much as one that resets them itself, and
// is cut with GOAWAY(ENHANCE_YOUR_CALM).
func TestServerResetsSpendResetBudget(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, &h2.Config{MaxConcurrentStreams: 10}, th, false) // a budget of 20
	rc := dialRaw(t, ts)
	cut := func(f http2.Frame) bool {
		ga, ok := f.(*http2.GoAwayFrame)
		if ok && ga.ErrCode != http2.ErrCodeEnhanceYourCalm {
			t.Fatalf("GOAWAY %v, want ENHANCE_YOUR_CALM", ga.ErrCode)
		}
		return ok
	}
	for id := uint32(1); id < 400; id += 2 {
		if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, BlockFragment: rc.block(
			":method", "POST", ":scheme", "http", ":authority", "a", ":path", "/slow", "content-length", "0")}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-th.started:
		case <-time.After(ioTimeout):
			t.Fatalf("stream %d: handler not started", id)
		}
		rc.fr.WriteData(id, true, []byte("x"))
		f := rc.until("RST_STREAM or GOAWAY", func(f http2.Frame) bool {
			r, ok := f.(*http2.RSTStreamFrame)
			return ok && r.StreamID == id || cut(f)
		})
		if cut(f) {
			return
		}
		select {
		case <-th.gone:
		case <-time.After(ioTimeout):
			t.Fatalf("stream %d: handler not told the stream is gone", id)
		}
		// A GOAWAY that reset ended the connection with comes before the
		// PING's acknowledgement.
		rc.fr.WritePing(false, [8]byte{byte(id)})
		f = rc.until("PING ack or GOAWAY", func(f http2.Frame) bool {
			p, ok := f.(*http2.PingFrame)
			return ok && p.IsAck() || cut(f)
		})
		if cut(f) {
			return
		}
	}
	t.Fatal("200 streams reset by the server right after their handler started, and no GOAWAY")
}
