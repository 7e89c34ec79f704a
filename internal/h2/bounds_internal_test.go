package h2

import (
	"bytes"
	"net"
	"testing"

	"golang.org/x/net/http2"
)

// testConn is a Conn that is not served: its reading and writing
// functions are called by the test itself.
func testConn(t *testing.T, cfg *Config) *Conn {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return NewConn(a, cfg, HandlerFunc(func(*Stream) {}))
}

// dataFrame returns a DATA frame on id carrying n bytes.
func dataFrame(t *testing.T, id uint32, n int, end bool) *http2.DataFrame {
	t.Helper()
	var buf bytes.Buffer
	if err := http2.NewFramer(&buf, nil).WriteData(id, end, make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	f, err := http2.NewFramer(nil, &buf).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	return f.(*http2.DataFrame)
}

// A handler that always leaves a little of its body unread (it reads
// slower than DATA comes) must not make the stream's receive buffer grow
// with the whole upload: what it has read is dropped, and the buffer
// stays within a few receive windows.
func TestRequestBodyBufferBoundedByWindow(t *testing.T) {
	t.Parallel()
	c := testConn(t, nil)
	c.recvWindow = connWindow
	st := newStream(c, 1)
	st.req.ContentLength = -1
	c.streams[1] = st
	c.maxClientID = 1
	const bodySize = 16 << 20
	const frame = 16 << 10
	f := dataFrame(t, 1, frame, false)
	p := make([]byte, 2*DefaultInitialWindowSize)
	maxCap := 0
	for sent := 0; sent < bodySize; {
		// The client sends as far as both windows allow.
		for st.recvWindow >= frame && c.recvWindow >= frame && sent < bodySize {
			if err := c.processData(f); err != nil {
				t.Fatalf("DATA at %d: %v", sent, err)
			}
			sent += frame
		}
		// The handler reads all but one byte of what is buffered.
		c.mu.Lock()
		buffered := len(st.in) - st.inOff
		maxCap = max(maxCap, cap(st.in))
		c.ctl = c.ctl[:0] // the WINDOW_UPDATEs: nobody writes them here
		c.mu.Unlock()
		if buffered < 2 {
			t.Fatalf("at %d: %d bytes buffered, windows %d/%d", sent, buffered, st.recvWindow, c.recvWindow)
		}
		if _, err := st.body.Read(p[:buffered-1]); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("largest receive buffer %d bytes for a %d-byte body, window %d", maxCap, bodySize, DefaultInitialWindowSize)
	if maxCap > 4*DefaultInitialWindowSize {
		t.Fatalf("receive buffer grew to %d bytes: not bounded by the %d-byte window", maxCap, DefaultInitialWindowSize)
	}
}
