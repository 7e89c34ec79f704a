package http1

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testFile writes n pseudo-random bytes to a new file and returns them
// and the file open read-only (closed at the end of the test).
func testFile(t *testing.T, n int) ([]byte, *os.File) {
	t.Helper()
	data := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(data)
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return data, f
}

// SendFile sends the region asked for, from its offset, over a loopback
// TCP connection whose send buffer is far smaller than the region, so that
// sendfile meets EAGAIN and waits for the socket to drain many times; the
// file's own offset is left alone.
func TestSendFile(t *testing.T) {
	t.Parallel()
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "SendFile", true: "SendCachedFile"}[cached], func(t *testing.T) {
			t.Parallel()
			testSendFile(t, cached)
		})
	}
}

// testSendFile is TestSendFile with SendFile, or with SendCachedFile
// (sendfile made raw: the file was just written, so it is in the page
// cache).
func testSendFile(t *testing.T, cached bool) {
	const size, off, n = 3 << 20, 12345, 2<<20 + 777
	data, f := testFile(t, size)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	// A small send buffer: sendfile fills it and meets EAGAIN again and
	// again while the client drains the 2 MiB. (A tiny receive buffer
	// would stall on TCP's zero-window probes instead.)
	server.(*net.TCPConn).SetWriteBuffer(4096)

	type result struct {
		sent int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var w ResponseWriter
		w.Reset(server, 1, false, true)
		w.SendTimeout = 10 * time.Second
		w.SetContentLength(n)
		w.WriteHeader(206)
		send := w.SendFile
		if cached {
			send = w.SendCachedFile
		}
		m, err := send(int(f.Fd()), off, n)
		if err == nil {
			err = w.Finish()
		}
		done <- result{m, err}
	}()

	client.SetDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, n))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, data[off:off+n]) {
		t.Errorf("got %d bytes, not the file's [%d, %d)", len(body), off, off+n)
	}
	r := <-done
	if r.err != nil || r.sent != n {
		t.Errorf("SendFile: %d bytes, %v; want %d", r.sent, r.err, n)
	}
	if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
		t.Errorf("the file's offset moved to %d (%v)", pos, err)
	}
}

// Without a descriptor to send to (TLS, a buffer), SendFile reads with
// pread and writes: the same bytes, framed as Write frames them.
func TestSendFileCopies(t *testing.T) {
	t.Parallel()
	data, f := testFile(t, 100<<10)
	for _, tc := range []struct {
		name     string
		length   int64 // -1: chunked
		off, n   int64
		wantBody string
	}{
		{"declared length", 70000, 1000, 70000, string(data[1000:71000])},
		{"chunked", -1, 5, 10, "a\r\n" + string(data[5:15]) + "\r\n0\r\n\r\n"},
	} {
		var out bytes.Buffer
		var w ResponseWriter
		w.Reset(&out, 1, false, true)
		w.SetContentLength(tc.length)
		m, err := w.SendFile(int(f.Fd()), tc.off, tc.n)
		if err == nil {
			err = w.Finish()
		}
		if err != nil || m != tc.n {
			t.Errorf("%s: SendFile %d, %v", tc.name, m, err)
		}
		if _, body, _ := bytes.Cut(out.Bytes(), []byte("\r\n\r\n")); string(body) != tc.wantBody {
			t.Errorf("%s: got a body of %d bytes, want %d", tc.name, len(body), len(tc.wantBody))
		}
	}
}

// A file shorter than the region asked for ends the body early: SendFile
// returns what it sent, and Finish reports the short body (the connection
// must close).
func TestSendFileShortFile(t *testing.T) {
	t.Parallel()
	_, f := testFile(t, 1000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	var w ResponseWriter
	w.Reset(server, 1, false, true)
	w.SetContentLength(5000)
	m, err := w.SendFile(int(f.Fd()), 0, 5000)
	if err != nil || m != 1000 {
		t.Errorf("SendFile: %d, %v; want 1000, nil", m, err)
	}
	if err := w.Finish(); err != io.ErrShortWrite || w.KeepAlive {
		t.Errorf("Finish: %v, keep-alive %v; want a short write and close", err, w.KeepAlive)
	}
}

// A head and body written in one writev on the socket's descriptor
// (writevOp) arrive whole although the send buffer is far smaller, so
// that writev writes part, meets EAGAIN and resumes mid-buffer many
// times; chunked framing (four buffers a writev) too.
func TestWriteRawPartial(t *testing.T) {
	t.Parallel()
	for _, chunked := range []bool{false, true} {
		t.Run(map[bool]string{false: "length", true: "chunked"}[chunked], func(t *testing.T) {
			t.Parallel()
			const n = 1<<20 + 333
			data := make([]byte, n)
			rand.NewChaCha8([32]byte{2}).Read(data)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			server.(*net.TCPConn).SetWriteBuffer(4096)

			done := make(chan error, 1)
			go func() {
				var w ResponseWriter
				w.Reset(server, 1, false, true)
				w.SendTimeout = 10 * time.Second
				if !chunked {
					w.SetContentLength(n)
				}
				w.WriteHeader(200)
				// Two writes: the head with the first half, then the rest.
				_, err := w.Write(data[:n/2])
				if err == nil {
					_, err = w.Write(data[n/2:])
				}
				if err == nil {
					err = w.Finish()
				}
				done <- err
			}()

			client.SetDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(client), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, data) {
				t.Errorf("got %d bytes, not the %d written", len(body), n)
			}
			if chunked != (len(resp.TransferEncoding) > 0) {
				t.Errorf("Transfer-Encoding %q", resp.TransferEncoding)
			}
			if err := <-done; err != nil {
				t.Errorf("write: %v", err)
			}
		})
	}
}

// writeCounter is a connection without a descriptor, as a TLS one is: it
// records each Write, and so each record a *tls.Conn would send. Like a
// *tls.Conn it has no ReadFrom.
type writeCounter struct {
	out    bytes.Buffer
	writes []int
}

func (c *writeCounter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, len(p))
	return c.out.Write(p)
}

// Over a connection without a descriptor (TLS), a head goes out in the
// same Write as the first body bytes, as it does in one writev on TCP: a
// small body from memory, a file (copyFile's first buffer), a chunk and
// its framing. Each Write there is a TLS record and a write(2).
func TestJoinedWritesWithoutDescriptor(t *testing.T) {
	t.Parallel()
	data, f := testFile(t, 100<<10)
	for _, tc := range []struct {
		name       string
		run        func(w *ResponseWriter) error
		wantBody   string
		wantWrites int
	}{
		{"small body", func(w *ResponseWriter) error {
			w.SetContentLength(1024)
			_, err := w.Write(data[:1024])
			return err
		}, string(data[:1024]), 1},
		{"12 KiB file", func(w *ResponseWriter) error {
			w.SetContentLength(12 << 10)
			_, err := w.SendFile(int(f.Fd()), 0, 12<<10)
			return err
		}, string(data[:12<<10]), 1},
		// A TLS record holds 16 KiB: the head and the file's first bytes
		// fill one Write (joinMax), the rest of the buffer is the next.
		{"20 KiB file", func(w *ResponseWriter) error {
			w.SetContentLength(20 << 10)
			_, err := w.SendFile(int(f.Fd()), 0, 20<<10)
			return err
		}, string(data[:20<<10]), 2},
		{"ReadFrom", func(w *ResponseWriter) error {
			w.SetContentLength(1024)
			_, err := w.ReadFrom(bytes.NewReader(data[:1024]))
			return err
		}, string(data[:1024]), 1},
		{"empty file", func(w *ResponseWriter) error {
			w.SetContentLength(0)
			_, err := w.SendFile(int(f.Fd()), 0, 0)
			return err
		}, "", 1},
		// copyFile's 32 KiB buffers: the head with the first bytes up to
		// 16 KiB, the rest of that buffer, then 32, 32 and 4 KiB.
		{"100 KiB file", func(w *ResponseWriter) error {
			w.SetContentLength(100 << 10)
			_, err := w.SendFile(int(f.Fd()), 0, 100<<10)
			return err
		}, string(data), 5},
		// Chunk size line, data and CRLF in one Write; the last chunk
		// in Finish's.
		{"chunked", func(w *ResponseWriter) error {
			w.SetContentLength(-1)
			_, err := w.Write(data[:10])
			return err
		}, "a\r\n" + string(data[:10]) + "\r\n0\r\n\r\n", 2},
	} {
		var c writeCounter
		var w ResponseWriter
		w.Reset(&c, 1, false, true)
		err := tc.run(&w)
		if err == nil {
			err = w.Finish()
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if _, body, _ := bytes.Cut(c.out.Bytes(), []byte("\r\n\r\n")); string(body) != tc.wantBody {
			t.Errorf("%s: got a body of %d bytes, want %d", tc.name, len(body), len(tc.wantBody))
		}
		if len(c.writes) != tc.wantWrites {
			t.Errorf("%s: %d writes %v, want %d", tc.name, len(c.writes), c.writes, tc.wantWrites)
		}
	}
}

// Over a connection without a descriptor the head waits for the body's
// first bytes; a body that fails before any still sends the head (the
// status is fixed) and gives up the connection, so that the caller does
// not answer again under that status (internal/dispatch writes an error
// page only while nothing is sent).
func TestBodyFailingBeforeHeadWithoutDescriptor(t *testing.T) {
	t.Parallel()
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for _, tc := range []struct {
		name string
		run  func(w *ResponseWriter) error
	}{
		{"SendFile", func(w *ResponseWriter) error {
			_, err := w.SendFile(int(dir.Fd()), 0, 100) // pread: EISDIR
			return err
		}},
		{"ReadFrom", func(w *ResponseWriter) error {
			_, err := w.ReadFrom(dir) // read: EISDIR
			return err
		}},
	} {
		var c writeCounter
		var w ResponseWriter
		w.Reset(&c, 1, false, true)
		w.SetContentLength(100)
		if err := tc.run(&w); err == nil {
			t.Errorf("%s: no error from a directory", tc.name)
		}
		if !w.HeadSent() || w.KeepAlive {
			t.Errorf("%s: head sent %v, keep-alive %v; want the head sent and the connection closed", tc.name, w.HeadSent(), w.KeepAlive)
		}
		if !bytes.HasPrefix(c.out.Bytes(), []byte("HTTP/1.1 200 OK\r\n")) {
			t.Errorf("%s: sent %q", tc.name, c.out.Bytes())
		}
	}
}
