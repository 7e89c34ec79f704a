package h2_test

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/h2"
)

// allocPerRequest runs n requests for path, one at a time on one
// connection, and returns the heap bytes allocated per request, server
// and client together (the client keeps nothing of the responses: its
// share is a few hundred bytes).
func allocPerRequest(t *testing.T, path string, n int) float64 {
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	id := uint32(1)
	get := func() {
		rc.nc.SetDeadline(time.Now().Add(ioTimeout))
		rc.request(id, path, true)
		n := drain(t, rc, 1)
		// Credit back what was read: the connection window stays open.
		if err := rc.fr.WriteWindowUpdate(0, uint32(n)); err != nil {
			t.Fatal(err)
		}
		id += 2
	}
	for range 20 { // warm up: buffers, HPACK tables, workers
		get()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		get()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

// drain reads frames until streams responses have ended, keeping
// nothing of them (the test client's allocations stay small beside the
// server's); it returns the body bytes read.
func drain(t *testing.T, rc *rawConn, streams int) int {
	t.Helper()
	n := 0
	for streams > 0 {
		switch f := rc.read().(type) {
		case *http2.DataFrame:
			n += len(f.Data())
			if f.StreamEnded() {
				streams--
			}
		case *http2.MetaHeadersFrame:
			if f.StreamEnded() {
				streams--
			}
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			t.Fatalf("unexpected %v", f)
		}
	}
	return n
}

// TestAllocPerFileRequest bounds what a stream served from a file costs
// the heap: the pread slice, the stream's send buffer and the
// connection's write buffer are reused, not allocated per request (they
// were 16 KiB, the body's size and a growing batch: 43 KiB in all for an
// 8 KB file); now under 2 KiB.
func TestAllocPerFileRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	got := allocPerRequest(t, "/file?off=0&n=8000", 200)
	t.Logf("%.0f B allocated per 8000-byte file request", got)
	if got > 6<<10 {
		t.Errorf("%.0f B allocated per request, want at most %d", got, 6<<10)
	}
}

// TestAllocPerConcurrentFileRequest is TestAllocPerFileRequest with 64
// streams at a time, as a page's assets come: the writer's batch stays
// one size (a batch ends within a round once full) instead of growing by
// a frame per ready stream, about 64 × 8 KB, every time it is filled.
func TestAllocPerConcurrentFileRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	ts := startServer(t, &h2.Config{MaxConcurrentStreams: 64}, newTestHandler(t), false)
	rc := dialRaw(t, ts, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	// Open the connection window wide: the responses are not held back
	// by flow control.
	if err := rc.fr.WriteWindowUpdate(0, 1<<30); err != nil {
		t.Fatal(err)
	}
	const streams = 64
	id := uint32(1)
	round := func() {
		rc.nc.SetDeadline(time.Now().Add(ioTimeout))
		for range streams {
			rc.request(id, "/file?off=0&n=8000", true)
			id += 2
		}
		n := drain(t, rc, streams)
		if err := rc.fr.WriteWindowUpdate(0, uint32(n)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		round()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const rounds = 20
	for range rounds {
		round()
	}
	runtime.ReadMemStats(&after)
	got := float64(after.TotalAlloc-before.TotalAlloc) / (rounds * streams)
	t.Logf("%.0f B allocated per request, %d at a time", got, streams)
	if got > 8<<10 {
		t.Errorf("%.0f B allocated per request, want at most %d", got, 8<<10)
	}
}

// TestIdleConnNoWriter: an idle connection keeps its reading goroutine
// only; the writer starts when there is something to send and exits once
// no stream is left (it was one more goroutine, and its stack, for every
// idle connection).
func TestIdleConnNoWriter(t *testing.T) {
	ts := startServer(t, nil, newTestHandler(t), false)
	const n = 20
	base := runtime.NumGoroutine()
	for i := range n {
		rc := dialRaw(t, ts)
		rc.request(1, "/", true)
		if status, _, _ := rc.response(1); status != "200" {
			t.Fatalf("connection %d: status %s", i, status)
		}
	}
	// Each connection holds its reader; the writers exit after their
	// last write, and handlers go back to the pool (a few goroutines in
	// all, whatever n).
	deadline := time.Now().Add(ioTimeout)
	for {
		extra := runtime.NumGoroutine() - base
		if extra <= n+n/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines for %d idle connections, want about one each", extra, n)
		}
		time.Sleep(time.Millisecond) // poll: the writers exit on their own
	}
}

// TestIdleConnHeap bounds the heap an idle connection holds after a
// request, server and client sides together (the client's is its
// net.Conn): the server's read buffer (4 KiB) goes back to a pool when
// drained, the wait for the next frame holds none. About 11.3 KB per
// connection before, 7.2 KB after.
func TestIdleConnHeap(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	ts := startServer(t, nil, newTestHandler(t), false)
	const n = 200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		rc := dialRaw(t, ts)
		rc.request(1, "/", true)
		if status, _, _ := rc.response(1); status != "200" {
			t.Fatalf("connection %d: status %s", i, status)
		}
		rc.nc.SetDeadline(time.Time{})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	got := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d heap bytes per idle connection", got)
	if got > 9000 {
		t.Errorf("%d heap bytes per idle connection, want at most 9000", got)
	}
}
