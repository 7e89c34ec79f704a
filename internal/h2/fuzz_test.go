package h2_test

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"webserv/internal/h2"
)

// FuzzServeConn feeds arbitrary bytes after the client preface to a
// server connection over net.Pipe: the frame reader, HPACK decoding,
// header validation and the stream machinery must never panic nor hang.
func FuzzServeConn(f *testing.F) {
	var buf bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	block := func(kv ...string) []byte {
		hb.Reset()
		for i := 0; i+1 < len(kv); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return append([]byte(nil), hb.Bytes()...)
	}
	seed := func(write func()) {
		buf.Reset()
		fr.WriteSettings()
		write()
		f.Add(append([]byte(nil), buf.Bytes()...))
	}
	get := block(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/")
	seed(func() {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: get, EndStream: true, EndHeaders: true})
	})
	seed(func() {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
			BlockFragment: block(":method", "POST", ":scheme", "http", ":authority", "a", ":path", "/echo", "content-length", "4")})
		fr.WriteData(1, false, []byte("ab"))
		fr.WriteWindowUpdate(0, 100)
		fr.WriteData(1, true, []byte("cd"))
	})
	seed(func() {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: get[:3], EndHeaders: false})
		fr.WriteContinuation(1, true, get[3:])
		fr.WritePing(false, [8]byte{1})
		fr.WriteRSTStream(1, http2.ErrCodeCancel)
		fr.WritePriority(3, http2.PriorityParam{StreamDep: 1, Weight: 3})
		fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	})
	seed(func() {
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1}, http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(":method", "GET", ":scheme", "http",
			":authority", "a", ":path", "/big?n=100000", "cookie", "a=1", "cookie", "b=2"), EndStream: true, EndHeaders: true})
		fr.WriteWindowUpdate(1, 1000)
	})

	th := newTestHandler(f)
	cfg := &h2.Config{
		PrefaceTimeout: time.Second, IdleTimeout: 200 * time.Millisecond,
		BodyTimeout: 200 * time.Millisecond, SendTimeout: 200 * time.Millisecond,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h2.ServeConn(srv, cfg, th, nil)
		}()
		go io.Copy(io.Discard, cli) // the server's frames
		cli.SetWriteDeadline(time.Now().Add(2 * time.Second))
		cli.Write([]byte(http2.ClientPreface))
		cli.Write(data)
		cli.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("ServeConn did not return after the client closed:\n%s", buf[:runtime.Stack(buf, true)])
		}
	})
}
