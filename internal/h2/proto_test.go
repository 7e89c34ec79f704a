package h2_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/h2"
)

// TestProtocolErrors sends raw frames that break RFC 9113 and checks the
// error the server answers with: RST_STREAM for a stream error (the
// connection then still serves), GOAWAY for a connection error.
func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	hdr := func(kv ...string) func(rc *rawConn) {
		return func(rc *rawConn) {
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.block(kv...), EndStream: true, EndHeaders: true})
		}
	}
	get := []string{":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/"}
	cases := []struct {
		name   string
		send   func(rc *rawConn)
		rst    http2.ErrCode // want RST_STREAM on stream 1 with this code
		goAway http2.ErrCode // else GOAWAY with this code
	}{
		{name: "uppercase name", send: hdr(append(get, "X-Up", "1")...), rst: http2.ErrCodeProtocol},
		{name: "connection field", send: hdr(append(get, "connection", "keep-alive")...), rst: http2.ErrCodeProtocol},
		{name: "te gzip", send: hdr(append(get, "te", "gzip")...), rst: http2.ErrCodeProtocol},
		{name: "no path", send: hdr(":method", "GET", ":scheme", "http", ":authority", "a"), rst: http2.ErrCodeProtocol},
		{name: "pseudo after regular", send: hdr(":method", "GET", ":scheme", "http", "x", "1", ":path", "/"), rst: http2.ErrCodeProtocol},
		{name: "unknown pseudo", send: hdr(append(get, ":foo", "1")...), rst: http2.ErrCodeProtocol},
		{name: "content-length with END_STREAM", send: hdr(append(get, "content-length", "3")...), rst: http2.ErrCodeProtocol},
		{name: "data past content-length", send: func(rc *rawConn) {
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.block(append(get, "content-length", "2")...), EndHeaders: true})
			rc.fr.WriteData(1, true, []byte("abc"))
		}, rst: http2.ErrCodeProtocol},
		{name: "self dependency", send: func(rc *rawConn) {
			rc.fr.WritePriority(1, http2.PriorityParam{StreamDep: 1, Weight: 1})
		}, rst: http2.ErrCodeProtocol},
		{name: "stream window overflow", send: func(rc *rawConn) {
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.block(append(get[:7:7], "/slow")...), EndHeaders: true})
			rc.fr.WriteWindowUpdate(1, 1<<31-1)
		}, rst: http2.ErrCodeFlowControl},
		{name: "data on idle stream", send: func(rc *rawConn) { rc.fr.WriteData(1, true, []byte("x")) }, goAway: http2.ErrCodeProtocol},
		{name: "even stream", send: func(rc *rawConn) {
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 2, BlockFragment: rc.block(get...), EndStream: true, EndHeaders: true})
		}, goAway: http2.ErrCodeProtocol},
		{name: "bad initial window", send: func(rc *rawConn) {
			rc.nc.Write(rawFrame(http2.FrameSettings, 0, 0, []byte{0, 4, 0x80, 0, 0, 0}))
		}, goAway: http2.ErrCodeFlowControl},
		{name: "bad max frame size", send: func(rc *rawConn) {
			rc.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 100})
		}, goAway: http2.ErrCodeProtocol},
		{name: "frame too large", send: func(rc *rawConn) {
			rc.nc.Write(rawFrame(http2.FrameData, 0, 1, make([]byte, 20000)))
		}, goAway: http2.ErrCodeFrameSize},
		{name: "connection window overflow", send: func(rc *rawConn) { rc.fr.WriteWindowUpdate(0, 1<<31-1) }, goAway: http2.ErrCodeFlowControl},
		{name: "bad hpack", send: func(rc *rawConn) {
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff}, EndStream: true, EndHeaders: true})
		}, goAway: http2.ErrCodeCompression},
		{name: "hpack string too long", send: func(rc *rawConn) {
			blk := rc.block(append(get, "x-long", strings.Repeat("v", 40000))...)
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk[:16000], EndStream: true})
			rc.fr.WriteContinuation(1, false, blk[16000:32000])
			rc.fr.WriteContinuation(1, true, blk[32000:])
		}, goAway: http2.ErrCodeCompression},
		{name: "hpack table past 4096", send: func(rc *rawConn) {
			// RFC 7541 §6.3: a dynamic table size update above the
			// SETTINGS_HEADER_TABLE_SIZE in force (4096).
			blk := append([]byte{0x3f, 0xe1, 0x3f}, rc.block(get...)...) // size 8192
			rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk, EndStream: true, EndHeaders: true})
		}, goAway: http2.ErrCodeCompression},
		{name: "push promise", send: func(rc *rawConn) {
			rc.nc.Write(rawFrame(http2.FramePushPromise, http2.FlagPushPromiseEndHeaders, 1, []byte{0, 0, 0, 2}))
		}, goAway: http2.ErrCodeProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := dialRaw(t, ts)
			tc.send(rc)
			if tc.rst != 0 {
				if got := rc.rst(1); got != tc.rst {
					t.Fatalf("RST_STREAM %v, want %v", got, tc.rst)
				}
				// A stream error leaves the connection serving.
				rc.request(3, "/", true)
				if status, _, _ := rc.response(3); status != "200" {
					t.Fatalf("after the stream error: status %s", status)
				}
				return
			}
			if got := rc.goAway(); got != tc.goAway {
				t.Fatalf("GOAWAY %v, want %v", got, tc.goAway)
			}
			if !rc.isClosed() {
				t.Fatal("connection not closed after GOAWAY")
			}
		})
	}
}

// TestPing: PING is answered with an ACK carrying the same data (RFC 9113
// §6.7).
func TestPing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	data := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	rc.fr.WritePing(false, data)
	f := rc.until("PING ack", func(f http2.Frame) bool { p, ok := f.(*http2.PingFrame); return ok && p.IsAck() })
	if got := f.(*http2.PingFrame).Data; got != data {
		t.Fatalf("PING ack %v, want %v", got, data)
	}
}

// TestRefusedStream: past MAX_CONCURRENT_STREAMS a stream is refused
// (RFC 9113 §5.1.2); the open ones complete.
func TestRefusedStream(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, &h2.Config{MaxConcurrentStreams: 2}, th, false)
	rc := dialRaw(t, ts)
	rc.request(1, "/slow", true)
	rc.request(3, "/slow", true)
	<-th.started
	<-th.started
	rc.request(5, "/", true)
	if got := rc.rst(5); got != http2.ErrCodeRefusedStream {
		t.Fatalf("stream 5: %v, want REFUSED_STREAM", got)
	}
	close(th.release)
	for _, id := range []uint32{1, 3} {
		if status, body, _ := rc.response(id); status != "200" || string(body) != "released" {
			t.Fatalf("stream %d: %s %q", id, status, body)
		}
	}
	rc.request(7, "/", true)
	if status, _, _ := rc.response(7); status != "200" {
		t.Fatalf("stream 7 after the others: %s", status)
	}
}

// TestRapidReset: a client that opens and resets streams without end
// (CVE-2023-44487) gets GOAWAY(ENHANCE_YOUR_CALM); another connection is
// still served.
func TestRapidReset(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, &h2.Config{MaxConcurrentStreams: 10}, th, false)
	rc := dialRaw(t, ts)
	var buf bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	blk := rc.block(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/slow")
	// Write the attack from another goroutine: the server stops reading
	// once it has had enough.
	go func() {
		for id := uint32(1); id < 2000; id += 2 {
			// Each block is the same: after the first, HPACK indexes it,
			// so re-encode with the client's encoder state.
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk, EndHeaders: true})
			fr.WriteRSTStream(id, http2.ErrCodeCancel)
			if id == 1 {
				blk = rc.block(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/slow")
			}
		}
		rc.nc.Write(buf.Bytes())
	}()
	if got := rc.goAway(); got != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("GOAWAY %v, want ENHANCE_YOUR_CALM", got)
	}
	ok := dialRaw(t, ts)
	ok.request(1, "/", true)
	if status, _, _ := ok.response(1); status != "200" {
		t.Fatalf("second connection: %s", status)
	}
}

// TestFloods: control frames that cost work and carry no request are
// bounded (CVE-2019-9512 PING, -9515 SETTINGS, -9518 empty frames,
// CVE-2024-27316 CONTINUATION): GOAWAY, and another connection is served.
func TestFloods(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	get := func(rc *rawConn) []byte {
		return rc.block(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/")
	}
	cases := []struct {
		name   string
		attack func(rc *rawConn) []byte
		want   http2.ErrCode
	}{
		{"ping", func(rc *rawConn) []byte {
			return bytes.Repeat(rawFrame(http2.FramePing, 0, 0, make([]byte, 8)), 5000)
		}, http2.ErrCodeEnhanceYourCalm},
		{"settings", func(rc *rawConn) []byte {
			return bytes.Repeat(rawFrame(http2.FrameSettings, 0, 0, nil), 5000)
		}, http2.ErrCodeEnhanceYourCalm},
		{"empty data", func(rc *rawConn) []byte {
			b := rawFrame(http2.FrameHeaders, http2.FlagHeadersEndHeaders, 1, get(rc))
			return append(b, bytes.Repeat(rawFrame(http2.FrameData, 0, 1, nil), 5000)...)
		}, http2.ErrCodeEnhanceYourCalm},
		{"empty continuation", func(rc *rawConn) []byte {
			b := rawFrame(http2.FrameHeaders, 0, 1, get(rc))
			return append(b, bytes.Repeat(rawFrame(http2.FrameContinuation, 0, 1, nil), 5000)...)
		}, http2.ErrCodeEnhanceYourCalm},
		{"continuation bytes", func(rc *rawConn) []byte {
			b := rawFrame(http2.FrameHeaders, 0, 1, get(rc))
			return append(b, bytes.Repeat(rawFrame(http2.FrameContinuation, 0, 1, make([]byte, 16000)), 100)...)
		}, http2.ErrCodeEnhanceYourCalm},
		{"priority", func(rc *rawConn) []byte {
			return bytes.Repeat(rawFrame(http2.FramePriority, 0, 3, []byte{0, 0, 0, 1, 10}), 5000)
		}, http2.ErrCodeEnhanceYourCalm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := dialRaw(t, ts)
			attack := tc.attack(rc)
			go rc.nc.Write(attack) // the server may stop reading midway
			if got := rc.goAway(); got != tc.want {
				t.Fatalf("GOAWAY %v, want %v", got, tc.want)
			}
			ok := dialRaw(t, ts)
			ok.request(1, "/", true)
			if status, _, _ := ok.response(1); status != "200" {
				t.Fatalf("another connection: %s", status)
			}
		})
	}
}

// TestHeaderListTooLarge: a header list past SETTINGS_MAX_HEADER_LIST_SIZE
// is answered 431, and the HPACK state stays in step for the next request.
func TestHeaderListTooLarge(t *testing.T) {
	t.Parallel()
	ts := startServer(t, &h2.Config{MaxHeaderListSize: 4096}, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.request(1, "/", true, "x-a", strings.Repeat("a", 3000), "x-b", strings.Repeat("b", 3000))
	if status, _, _ := rc.response(1); status != "431" {
		t.Fatalf("status %s, want 431", status)
	}
	rc.request(3, "/", true)
	if status, _, _ := rc.response(3); status != "200" {
		t.Fatalf("next request: %s", status)
	}
}

// TestReceiveWindow: a handler that does not read holds at most the
// stream's window; DATA past it is a FLOW_CONTROL_ERROR (RFC 9113 §6.9).
func TestReceiveWindow(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, &h2.Config{InitialWindowSize: 65535}, th, false)
	rc := dialRaw(t, ts)
	rc.until("SETTINGS ack", func(f http2.Frame) bool { s, ok := f.(*http2.SettingsFrame); return ok && s.IsAck() })
	rc.request(1, "/slow", false)
	<-th.started
	chunk := make([]byte, 16384)
	for sent := 0; sent < 65535; sent += len(chunk) {
		rc.fr.WriteData(1, false, chunk[:min(len(chunk), 65535-sent)])
	}
	rc.fr.WriteData(1, false, []byte("x"))
	if got := rc.rst(1); got != http2.ErrCodeFlowControl {
		t.Fatalf("RST_STREAM %v, want FLOW_CONTROL_ERROR", got)
	}
	select {
	case <-th.gone:
	case <-time.After(ioTimeout):
		t.Fatal("handler did not see Gone after the reset")
	}
}

// TestClientReset: RST_STREAM from the client closes Gone for the handler
// (CGI kills its program then).
func TestClientReset(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, nil, th, false)
	rc := dialRaw(t, ts)
	rc.request(1, "/slow", true)
	<-th.started
	rc.fr.WriteRSTStream(1, http2.ErrCodeCancel)
	select {
	case <-th.gone:
	case <-time.After(ioTimeout):
		t.Fatal("handler did not see Gone")
	}
	rc.request(3, "/", true)
	if status, _, _ := rc.response(3); status != "200" {
		t.Fatalf("after the reset: %s", status)
	}
}

// TestTrailersAndContinue: a request with 100-continue gets the interim
// response at the first body read; request trailers are accepted and
// ignored.
func TestTrailersAndContinue(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: rc.block(
		":method", "POST", ":scheme", "http", ":authority", "a", ":path", "/echo", "expect", "100-continue")})
	f := rc.until("100", func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok })
	if s := f.(*http2.MetaHeadersFrame).PseudoValue("status"); s != "100" {
		t.Fatalf("first head %s, want 100", s)
	}
	rc.fr.WriteData(1, false, []byte("body"))
	rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: rc.block("x-trailer", "t")})
	if status, body, _ := rc.response(1); status != "200" || string(body) != "body" {
		t.Fatalf("%s %q", status, body)
	}
}

// TestIncompleteResponse: a handler that ends short of its declared
// length (or calls CloseAfter once the head is out) resets the stream
// with INTERNAL_ERROR instead of ending it; the connection stays.
func TestIncompleteResponse(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.request(1, "/abort", true)
	if got := rc.rst(1); got != http2.ErrCodeInternal {
		t.Fatalf("RST_STREAM %v, want INTERNAL_ERROR", got)
	}
	rc.request(3, "/", true)
	if status, _, _ := rc.response(3); status != "200" {
		t.Fatalf("after: %s", status)
	}
}

// TestResponseContinuation: a response head past the peer's frame size
// goes out as HEADERS and CONTINUATION (RFC 9113 §6.10); Go's client reads
// it back whole. Flush sends what was written before the handler ends.
func TestResponseContinuation(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, nil, th, false)
	cl := ts.client(t)
	r, err := cl.Get(ts.url("/bighead"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if len(r.Header.Get("X-Big")) != 40000 || string(body) != "ok" {
		t.Fatalf("x-big %d bytes, body %q", len(r.Header.Get("X-Big")), body)
	}

	r, err = cl.Get(ts.url("/flush"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	first := make([]byte, 5)
	if _, err := io.ReadFull(r.Body, first); err != nil || string(first) != "first" {
		t.Fatalf("flushed part %q, %v", first, err)
	}
	close(th.release)
	rest, _ := io.ReadAll(r.Body)
	if string(rest) != " second" {
		t.Fatalf("rest %q", rest)
	}
}

// TestSendTimeout: a client that opens no window (SETTINGS_INITIAL_WINDOW_SIZE
// 0) has its stream reset after SendTimeout; the handler's Write fails
// and it returns.
func TestSendTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, &h2.Config{SendTimeout: 200 * time.Millisecond}, newTestHandler(t), false)
	rc := dialRaw(t, ts, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	rc.request(1, "/big?n=1000000", true)
	if got := rc.rst(1); got != http2.ErrCodeCancel {
		t.Fatalf("RST_STREAM %v, want CANCEL", got)
	}
}

// TestIdleTimeout: a connection without streams for IdleTimeout gets
// GOAWAY(NO_ERROR) and is closed.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, &h2.Config{IdleTimeout: 200 * time.Millisecond}, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	if got := rc.goAway(); got != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v, want NO_ERROR", got)
	}
	if !rc.isClosed() {
		t.Fatal("not closed")
	}
}

// TestShutdown: graceful stop sends GOAWAY with the last stream taken,
// serves the open stream to its end, then closes.
func TestShutdown(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, nil, th, false)
	rc := dialRaw(t, ts)
	rc.request(1, "/slow", true)
	<-th.started
	hc := <-ts.conns
	hc.Shutdown()
	f := rc.until("GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
	if f.ErrCode != http2.ErrCodeNo || f.LastStreamID != 1 {
		t.Fatalf("GOAWAY %v last %d, want NO_ERROR last 1", f.ErrCode, f.LastStreamID)
	}
	rc.request(3, "/", true) // after the GOAWAY: not processed
	close(th.release)
	if status, body, _ := rc.response(1); status != "200" || string(body) != "released" {
		t.Fatalf("open stream: %s %q", status, body)
	}
	if !rc.isClosed() {
		t.Fatal("not closed after the last stream")
	}
}

// TestBadPreface: a client that does not speak HTTP/2 is closed.
func TestBadPreface(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	cl := &http.Client{Timeout: ioTimeout}
	if _, err := cl.Get("http://" + ts.addr + "/"); err == nil {
		t.Fatal("an HTTP/1.1 request got a response")
	}
}

// TestBodyTimeout: a client that stops sending its body has the read fail
// with 408 after BodyTimeout.
func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, &h2.Config{BodyTimeout: 200 * time.Millisecond}, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: rc.block(
		":method", "POST", ":scheme", "http", ":authority", "a", ":path", "/echo")})
	rc.fr.WriteData(1, false, []byte("part"))
	if status, _, _ := rc.response(1); status != "408" {
		t.Fatalf("status %s, want 408", status)
	}
}

// TestResetBudgetRefills: a client that cancels some streams among many
// it lets finish (a browser navigating) is not taken for a rapid reset
// attack: every stream served to its end earns a reset back.
func TestResetBudgetRefills(t *testing.T) {
	t.Parallel()
	th := newTestHandler(t)
	ts := startServer(t, &h2.Config{MaxConcurrentStreams: 5}, th, false) // budget: 10 resets
	rc := dialRaw(t, ts)
	id := uint32(1)
	for i := 0; i < 40; i++ {
		rc.request(id, "/", true)
		if status, _, _ := rc.response(id); status != "200" {
			t.Fatalf("round %d: %s", i, status)
		}
		rc.request(id+2, "/slow", true)
		<-th.started
		rc.fr.WriteRSTStream(id+2, http2.ErrCodeCancel)
		<-th.gone
		id += 4
	}
	rc.request(id, "/", true)
	if status, _, _ := rc.response(id); status != "200" {
		t.Fatalf("after 40 cancels among 40 served streams: %s", status)
	}
}

// TestShutdownBeforePreface: a connection stopped before the client's
// preface closes at once (no GOAWAY before SETTINGS).
func TestShutdownBeforePreface(t *testing.T) {
	t.Parallel()
	cli, srv := net.Pipe()
	defer cli.Close()
	hc := h2.NewConn(srv, nil, newTestHandler(t))
	done := make(chan error, 1)
	go func() { done <- hc.Serve(nil) }()
	hc.Shutdown()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Serve did not return")
	}
}

// TestBodyLimit: client_max_body_size (Body.SetLimits) fails the read
// with 413, from content-length before any DATA or from the DATA read.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	post := func(id uint32, extra ...string) {
		rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, BlockFragment: rc.block(append([]string{
			":method", "POST", ":scheme", "http", ":authority", "a", ":path", "/echo?max=3"}, extra...)...)})
	}
	post(1, "content-length", "5")
	if status, _, _ := rc.response(1); status != "413" {
		t.Fatalf("declared 5 past 3: %s, want 413", status)
	}
	post(3)
	rc.fr.WriteData(3, true, []byte("12345"))
	if status, _, _ := rc.response(3); status != "413" {
		t.Fatalf("sent 5 past 3: %s, want 413", status)
	}
	post(5)
	rc.fr.WriteData(5, true, []byte("123"))
	if status, body, _ := rc.response(5); status != "200" || string(body) != "123" {
		t.Fatalf("3 of 3: %s %q", status, body)
	}
}

// TestInitialWindowChange: SETTINGS_INITIAL_WINDOW_SIZE moves the send
// window of open streams (RFC 9113 §6.9.2), and one that overflows a
// stream's window is a connection FLOW_CONTROL_ERROR.
func TestInitialWindowChange(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	rc.request(1, "/big?n=1000", true)
	rc.until("response head", func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok })
	rc.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100})
	f := rc.until("DATA", func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok }).(*http2.DataFrame)
	if len(f.Data()) != 100 || f.StreamEnded() {
		t.Fatalf("DATA of %d bytes (end %v), want 100 within the new window", len(f.Data()), f.StreamEnded())
	}
	// Stream 3 stays open (its handler waits) with a window of 100,
	// raised to 2^31-1; a new initial size past 100 overflows it.
	rc.request(3, "/slow", true)
	rc.fr.WriteWindowUpdate(3, 1<<31-1-100)
	rc.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 101})
	if got := rc.goAway(); got != http2.ErrCodeFlowControl {
		t.Fatalf("GOAWAY %v, want FLOW_CONTROL_ERROR", got)
	}
}

// TestHandlerPanic: a handler that panics gets 500 (nothing was written),
// and the connection keeps serving.
func TestHandlerPanic(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.request(1, "/panic", true)
	if status, _, _ := rc.response(1); status != "500" {
		t.Fatalf("status %s, want 500", status)
	}
	rc.request(3, "/", true)
	if status, _, _ := rc.response(3); status != "200" {
		t.Fatalf("after the panic: %s", status)
	}
}

// TestBufferedPreface: the bytes a server read while sniffing for the
// preface (h2c prior knowledge) are passed to ServeConn and read first.
func TestBufferedPreface(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(ioTimeout))
		sniff := make([]byte, 7) // "PRI * H": enough to tell HTTP/2 from a request line
		if _, err := io.ReadFull(nc, sniff); err != nil {
			done <- err
			return
		}
		done <- h2.ServeConn(nc, nil, newTestHandler(t), sniff)
	}()
	rc := dialRaw(t, &testServer{addr: ln.Addr().String()})
	rc.request(1, "/echo", true)
	if status, _, _ := rc.response(1); status != "200" {
		t.Fatalf("status %s", status)
	}
	rc.nc.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeConn: %v", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("ServeConn did not return after the client left")
	}
}

// TestResponseQueuedBeforeBodyEnd: a response the handler completed but
// whose DATA waits for the client's window is still sent when the
// client's END_STREAM comes meanwhile. (The stream closed at the
// client's END_STREAM once END_STREAM was queued, not written, and the
// queued body was dropped: the client waited for ever.)
func TestResponseQueuedBeforeBodyEnd(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	// Exhaust the connection's send window (65535, nothing credited).
	rc.request(1, "/big?n=65535", true)
	if _, body, _ := rc.response(1); len(body) != 65535 {
		t.Fatalf("first response: %d bytes", len(body))
	}
	// A POST whose handler answers (1 KiB) without reading the body:
	// its HEADERS go out, its DATA waits for the window.
	if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: 3, BlockFragment: rc.block(":method", "POST", ":scheme", "http", ":authority", "localhost", ":path", "/"), EndHeaders: true,
	}); err != nil {
		t.Fatal(err)
	}
	rc.until("HEADERS on stream 3", func(f http2.Frame) bool {
		h, ok := f.(*http2.MetaHeadersFrame)
		return ok && h.StreamID == 3
	})
	// The request ends, then the window opens.
	if err := rc.fr.WriteData(3, true, nil); err != nil {
		t.Fatal(err)
	}
	if err := rc.fr.WriteWindowUpdate(0, 1<<20); err != nil {
		t.Fatal(err)
	}
	n := 0
	rc.until("END_STREAM on stream 3", func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.DataFrame:
			if f.StreamID == 3 {
				n += len(f.Data())
				return f.StreamEnded()
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("RST_STREAM %v on stream %d", f.ErrCode, f.StreamID)
		}
		return false
	})
	if n != 1026 {
		t.Fatalf("stream 3: %d body bytes, want 1026", n)
	}
}
