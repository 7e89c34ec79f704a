package h2

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
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

// A client that opens many streams and gives none of them any window
// makes every handler's response wait in memory: the connection holds
// at most connSendBuffer of them, the other writers wait for room (as
// they wait for their own stream's), instead of each stream holding its
// own streamSendBuffer.
func TestResponseBufferBoundedPerConnection(t *testing.T) {
	t.Parallel()
	const streams, size = 40, 60000 // each fits in its stream's buffer; all of them do not
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var finished atomic.Int32
	h := HandlerFunc(func(st *Stream) {
		if _, err := st.Write(make([]byte, size)); err == nil {
			finished.Add(1)
		}
	})
	conns := make(chan *Conn, 1)
	served := make(chan struct{})
	go func() {
		defer close(served)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := NewConn(nc, nil, h)
		conns <- c
		c.Serve(nil)
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { nc.Close(); <-served }()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, http2.ClientPreface)
	fr := http2.NewFramer(nc, nc)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for id := uint32(1); id < 2*streams; id += 2 {
		hb.Reset()
		for _, kv := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}} {
			enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1]})
		}
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	c := <-conns
	// Poll until the buffers hold the bound: every handler then either
	// returned or waits for room.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		buffered := 0
		for _, st := range c.streams {
			buffered += len(st.out) - st.outOff
		}
		c.mu.Unlock()
		if buffered > connSendBuffer {
			t.Fatalf("%d response bytes buffered for a client that takes none (%d handlers returned): past the %d bound",
				buffered, finished.Load(), connSendBuffer)
		}
		if buffered == connSendBuffer {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes buffered, %d handlers returned", buffered, finished.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if n := finished.Load(); n == streams {
		t.Fatalf("all %d handlers returned", n)
	}
}

// stuckConn is a connection whose close-notify (a TLS connection's
// CloseWrite, or Close, writes one) does not complete until released: a
// client that stopped reading.
type stuckConn struct {
	net.Conn
	failWrites bool          // writes fail: the writer's error path closes
	entered    chan struct{} // closed when the stuck call is entered
	release    chan struct{}
	once       sync.Once
}

func (s *stuckConn) stall() { s.once.Do(func() { close(s.entered); <-s.release }) }

func (s *stuckConn) Write(p []byte) (int, error) {
	if s.failWrites {
		return 0, errors.New("write failed")
	}
	return s.Conn.Write(p)
}

func (s *stuckConn) CloseWrite() error { s.stall(); return nil }

func (s *stuckConn) Close() error {
	if s.failWrites {
		s.stall()
	}
	return s.Conn.Close()
}

// The writer sends the TLS close-notify (CloseWrite after the last
// GOAWAY, Close after a failed write) without holding the connection's
// lock: a client that does not read it must not stall every handler, the
// reader and Shutdown for the write's timeout.
func TestCloseNotifyOutsideLock(t *testing.T) {
	t.Parallel()
	for _, failWrites := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		sc := &stuckConn{failWrites: failWrites, entered: make(chan struct{}), release: make(chan struct{})}
		served := make(chan struct{})
		conns := make(chan *Conn, 1)
		go func() {
			defer close(served)
			nc, err := ln.Accept()
			if err != nil {
				conns <- nil
				return
			}
			sc.Conn = nc
			c := NewConn(sc, nil, HandlerFunc(func(*Stream) {}))
			conns <- c
			c.Serve(nil)
		}()
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(nc, http2.ClientPreface)
		fr := http2.NewFramer(nc, nc)
		fr.WriteSettings()
		c := <-conns
		if c == nil {
			t.Fatal("not accepted")
		}
		if !failWrites {
			// The server's SETTINGS: it serves. Without a stream, Shutdown
			// sends the final GOAWAY, then CloseWrite.
			if _, err := fr.ReadFrame(); err != nil {
				t.Fatal(err)
			}
			c.Shutdown()
		}
		select {
		case <-sc.entered:
		case <-time.After(10 * time.Second):
			t.Fatalf("failWrites %v: the close-notify was never sent", failWrites)
		}
		// Shutdown takes the connection's lock. What is checked does not
		// happen: the wait is bounded, and only a failure waits it out.
		done := make(chan struct{})
		go func() { c.Shutdown(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("failWrites %v: Shutdown blocked while the close-notify was stuck", failWrites)
		}
		close(sc.release)
		nc.Close()
		<-served
		<-done
	}
}
