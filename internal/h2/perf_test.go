package h2_test

import (
	"runtime"
	"testing"
	"time"
)

// allocPerRequest runs n requests for path, one at a time on one
// connection, and returns the heap bytes allocated per request, server
// and client together (the client's share is small and the same before
// and after a change: only the server's is asserted on).
func allocPerRequest(t *testing.T, path string, n int) float64 {
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	id := uint32(1)
	get := func() {
		rc.nc.SetDeadline(time.Now().Add(ioTimeout))
		rc.request(id, path, true)
		_, body, _ := rc.response(id)
		// Credit back what was read: the connection window stays open.
		if err := rc.fr.WriteWindowUpdate(0, uint32(len(body))); err != nil {
			t.Fatal(err)
		}
		delete(rc.streams, id)
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

// TestAllocPerFileRequest bounds what a stream served from a file costs
// the heap: the pread slice, the stream's send buffer and the
// connection's write buffer are reused, not allocated per request (they
// were 16 KiB, the body's size and a growing batch: 43 KiB in all for an
// 8 KB file). The test client's share is about 10 KiB (it keeps the body
// and decodes the frames); the server's is now under 2 KiB.
func TestAllocPerFileRequest(t *testing.T) {
	got := allocPerRequest(t, "/file?off=0&n=8000", 200)
	t.Logf("%.0f B allocated per 8000-byte file request", got)
	if got > 16<<10 {
		t.Errorf("%.0f B allocated per request, want at most %d", got, 16<<10)
	}
}
