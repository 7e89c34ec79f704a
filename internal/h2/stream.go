package h2

import (
	"crypto/tls"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/http1"
	"webserv/internal/response"
)

// A Stream is one request and its response. It is a response.Writer; the
// handler reads the request with Request and Body.
type Stream struct {
	c    *Conn
	id   uint32
	req  http1.Request
	body RequestBody
	err  error // set by setRequest: served, but as this status error

	// Guarded by c.mu.
	cond        sync.Cond // body readers and writers wait here
	gone        chan struct{}
	goneClosed  bool
	closed      bool // "closed" state: out of c.streams
	remoteDone  bool // the client's side ended (END_STREAM or reset)
	localDone   bool // our side ended: END_STREAM queued or RST_STREAM
	endSent     bool // END_STREAM written
	peerReset   bool
	released    bool // counted out of c.active
	handlerDone bool

	// Receive side (guarded by c.mu).
	in            []byte // body bytes received, not read yet: in[inOff:]
	inOff         int
	inEOF         bool
	bodyAbandoned bool // the handler returned: DATA is discarded
	received      int64
	recvWindow    int64
	recvUnacked   int64
	bodyTimeout   time.Duration
	maxBody       int64 // client_max_body_size; 0: none
	bodyRead      int64
	bodyTimedOut  bool
	sendTimedOut  bool
	bodyGen       uint64 // invalidates a body timer that fires late
	sendGen       uint64 // the same for the send timer
	continueSent  bool

	// Send side (guarded by c.mu).
	sendWindow  int64
	queued      bool         // in c.ready
	head        *pendingHead // to encode, before any data
	interim     bool         // 100 Continue to encode first
	out         []byte       // body bytes to send: out[outOff:]
	outOff      int
	endQueued   bool // END_STREAM once out is drained
	rstAfterEnd bool // RST_STREAM(NO_ERROR) after END_STREAM: the body is not wanted
	headQueued  bool // the final head was handed to the writer

	sent  int64       // DATA bytes encoded: the drain watch's progress
	drain *time.Timer // the drain watch, once the handler returned

	// Room for the head in the stream itself, so that a response of a
	// few fields costs the heap no slice growth nor copy: the handler's
	// header list (header starts on hdrBuf), and the head handed to the
	// writer (head points to pending, its fields in pendingFields).
	hdrBuf        [inlineFields]response.Field
	pending       pendingHead
	pendingFields [inlineFields]response.Field

	// Handler-owned: the response.Writer state.
	header        response.Header
	status        int
	contentLength int64
	wroteHeader   bool
	noBody        bool
	isHead        bool
	written       int64
	aborted       bool // CloseAfter once the status was fixed
	serverTokens  bool
}

var _ response.Writer = (*Stream)(nil)

// inlineFields is how many response fields a stream holds without
// allocating: a static file's (Last-Modified, ETag, Accept-Ranges,
// Content-Type, Vary) and one more.
const inlineFields = 6

// pendingHead is a response head waiting for the writer.
type pendingHead struct {
	status        int
	fields        []response.Field
	contentLength int64 // -1: not sent
	serverTokens  bool
	endStream     bool
}

func newStream(c *Conn, id uint32) *Stream {
	st := &Stream{
		c:             c,
		id:            id,
		gone:          make(chan struct{}),
		sendWindow:    c.peerInitWindow,
		recvWindow:    int64(c.cfg.InitialWindowSize),
		contentLength: -1,
		bodyTimeout:   c.cfg.BodyTimeout,
	}
	if !c.settingsAcked {
		// The client may use the protocol's default until it has our
		// SETTINGS (RFC 9113 §6.9.2).
		st.recvWindow = max(st.recvWindow, 65535)
	}
	st.cond.L = &c.mu
	st.body.st = st
	st.header.Use(st.hdrBuf[:])
	return st
}

// goneLocked closes the Gone channel once.
func (st *Stream) goneLocked() {
	if !st.goneClosed {
		st.goneClosed = true
		close(st.gone)
	}
	st.cond.Broadcast()
}

func (c *Conn) runHandler(st *Stream) {
	defer c.handlers.Done()
	st.isHead = string(st.req.Method) == "HEAD"
	func() {
		defer func() {
			if v := recover(); v != nil {
				// A panic in one request never takes the connection down:
				// 500 when nothing was answered yet, else the stream is
				// reset (the dispatch layer renders its own 500 first).
				c.log.Error("h2: handler panic", "panic", v, "stack", string(debug.Stack()))
				if !st.wroteHeader {
					st.WriteHeader(500)
				} else {
					st.aborted = true
				}
			}
		}()
		c.h.ServeStream(st)
	}()
	st.finish()
}

// finish ends the response after the handler returned: END_STREAM after
// what is queued, or RST_STREAM(INTERNAL_ERROR) when the response is
// incomplete (RFC 9113 §8.1).
func (st *Stream) finish() {
	c := st.c
	if !st.wroteHeader {
		st.WriteHeader(200)
	}
	incomplete := st.aborted ||
		!st.noBody && st.contentLength >= 0 && st.written < st.contentLength
	c.mu.Lock()
	defer c.mu.Unlock()
	st.handlerDone = true
	st.bodyAbandoned = true
	unread := false // DATA arriving later decides (processData)
	if n := len(st.in) - st.inOff; n > 0 {
		unread = true
		c.creditLocked(nil, int64(n))
		st.in, st.inOff = nil, 0
	}
	switch {
	case st.localDone:
	case incomplete:
		c.resetStreamLocked(st.id, http2.ErrCodeInternal)
	default:
		if !st.headQueued {
			cl := st.contentLength
			if cl < 0 && !st.noBody {
				cl = st.written // all of it is known now
			}
			st.queueHeadLocked(cl, len(st.out) == st.outOff)
		}
		st.endQueued = true
		st.localDone = true
		c.readyLocked(st)
		if !st.remoteDone && unread {
			// RFC 9113 §8.1: the response is complete before the request
			// body nobody reads; RST_STREAM(NO_ERROR) after END_STREAM
			// asks the client to stop sending. (A stream whose client
			// sends nothing more stays half-closed until it ends it.)
			st.rstAfterEnd = true
		}
	}
	if !st.closed {
		// The writer starts the drain watch if its next batch does not
		// close the stream: most streams close in it (their client's
		// side is done and the batch takes the rest), and a timer per
		// stream was a few per cent of a small response's CPU.
		c.finishing = append(c.finishing, st)
		c.wakeWriterLocked()
	}
	c.releaseLocked(st)
}

// watchDrainLocked bounds a stream whose handler has returned, since no
// Write or Read watches it any more and the connection has no idle
// timeout while a stream is active: it is reset (CANCEL) once
// SendTimeout passes without the client taking any of the response (a
// zero window), or (NO_ERROR) once the body timeout passes after
// END_STREAM while the client leaves its side open. Either would
// otherwise hold the stream, its buffer and the connection for ever, and
// a graceful Shutdown with them.
func (st *Stream) watchDrainLocked() {
	c := st.c
	d := c.cfg.SendTimeout
	if st.endSent {
		d = st.bodyTimeout
	}
	sent, endSent := st.sent, st.endSent
	st.drain = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if st.closed || c.dead {
			return
		}
		if st.sent != sent || st.endSent != endSent {
			st.watchDrainLocked() // progress: the timeout counts again
			return
		}
		code := http2.ErrCodeCancel
		if st.endSent {
			code = http2.ErrCodeNo // the response is complete
		}
		c.resetStreamLocked(st.id, code)
	})
}

// Request returns the request. Its byte slices stay valid for the
// stream's life. Host is :authority (else the Host field; without one,
// :authority is added as the host field, as nginx does), Path and Query
// come from :path, cookie crumbs are joined (RFC 9113 §8.2.3),
// ContentLength is content-length (checked against the DATA received, RFC
// 9113 §8.1.1) or -1; KeepAlive is true and Minor 1.
func (st *Stream) Request() *http1.Request { return &st.req }

// Err returns the status error a well-formed request is answered with
// before any handling (*http1.StatusError: 431 header list too large, 501
// for CONNECT and unknown methods, 400 without a valid authority), or nil.
func (st *Stream) Err() error { return st.err }

// ID returns the stream identifier.
func (st *Stream) ID() uint32 { return st.id }

// NetConn returns the connection the stream is on (remote address, TLS
// state).
func (st *Stream) NetConn() net.Conn { return st.c.nc }

// Gone is closed when the stream is reset (by the client or the server)
// or its connection ends: whatever produces the response may stop.
func (st *Stream) Gone() <-chan struct{} { return st.gone }

// Remote returns the client's address (dispatch.Peer).
func (st *Stream) Remote() string { return st.c.nc.RemoteAddr().String() }

// Local returns the server's address.
func (st *Stream) Local() string { return st.c.nc.LocalAddr().String() }

// TLS reports whether the connection is encrypted.
func (st *Stream) TLS() bool {
	// *tls.Conn, or a wrapper of one that passes its state on.
	_, ok := st.c.nc.(interface{ ConnectionState() tls.ConnectionState })
	return ok
}

// ClientGone waits until the stream is reset or its connection ends
// (true), or stop is closed (false).
func (st *Stream) ClientGone(stop <-chan struct{}) bool {
	select {
	case <-st.gone:
		return true
	case <-stop:
		return false
	}
}

// SetServerTokens adds webserv's version to the server field
// (server_tokens on).
func (st *Stream) SetServerTokens(on bool) { st.serverTokens = on }

// Body returns the request body: its bytes as DATA frames bring them,
// io.EOF at END_STREAM, ErrStreamClosed if the stream is reset. The
// client's credit is returned as the body is read. It is a dispatch.Body.
func (st *Stream) Body() *RequestBody { return &st.body }

// RequestBody is a stream's request body (Stream.Body).
type RequestBody struct{ st *Stream }

var (
	errBodyTimeout  = &http1.StatusError{Status: 408, Msg: "request body timed out"}
	errBodyTooLarge = &http1.StatusError{Status: 413, Msg: "request body larger than client_max_body_size"}
)

// SetLimits applies the location's client_max_body_size (0: none) and
// client_body_timeout (0: Config.BodyTimeout) before the body is read. A
// content-length past max fails the first read at once.
func (b *RequestBody) SetLimits(max int64, timeout time.Duration) {
	st := b.st
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	st.maxBody = max
	if timeout > 0 {
		st.bodyTimeout = timeout
	}
}

// Share does nothing: on HTTP/2 the body and the response are framed
// apart, so a CGI program's stdin copy may read while the head goes out.
func (b *RequestBody) Share(bool) {}

// Settle does nothing: a body the handler leaves unread is dropped when
// the stream ends (its credit returned, the rest stopped with
// RST_STREAM(NO_ERROR)); the connection is not at stake.
func (b *RequestBody) Settle() {}

// Read reads body bytes, waiting for DATA for at most the body timeout.
func (b *RequestBody) Read(p []byte) (int, error) {
	st := b.st
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.maxBody > 0 && (st.req.ContentLength > st.maxBody || st.bodyRead > st.maxBody) {
		return 0, errBodyTooLarge
	}
	if st.req.ExpectContinue && !st.continueSent {
		// RFC 9110 §10.1.1: the client waits for 100 before the body,
		// sent at the first read unless the response has started.
		st.continueSent = true
		if !st.headQueued && !st.inEOF && !st.localDone {
			st.interim = true
			c.readyLocked(st)
		}
	}
	var timer *time.Timer
	defer func() { st.stopTimerLocked(timer, &st.bodyGen) }()
	for st.inOff == len(st.in) && !st.inEOF {
		if st.closed || c.dead {
			return 0, ErrStreamClosed
		}
		if st.bodyTimedOut {
			return 0, errBodyTimeout
		}
		if len(p) == 0 {
			return 0, nil
		}
		if timer == nil && st.bodyTimeout > 0 {
			timer = st.startTimerLocked(st.bodyTimeout, &st.bodyTimedOut, &st.bodyGen)
		}
		st.cond.Wait()
	}
	if st.inOff == len(st.in) {
		return 0, io.EOF
	}
	n := copy(p, st.in[st.inOff:])
	st.inOff += n
	st.bodyRead += int64(n)
	if st.maxBody > 0 && st.bodyRead > st.maxBody {
		st.inOff, st.in = 0, st.in[:0]
		c.creditLocked(st, int64(n))
		return 0, errBodyTooLarge
	}
	if st.inOff == len(st.in) {
		st.in, st.inOff = st.in[:0], 0
	}
	c.creditLocked(st, int64(n))
	return n, nil
}

// Header returns the header list to fill before WriteHeader.
func (st *Stream) Header() *response.Header { return &st.header }

// SetContentLength declares the body length; -1 means unknown.
func (st *Stream) SetContentLength(n int64) { st.contentLength = n }

// Status returns the status written, or 0.
func (st *Stream) Status() int { return st.status }

// Written reports whether the status is fixed.
func (st *Stream) Written() bool { return st.wroteHeader }

// HeadSent reports whether the head has been handed to the connection.
func (st *Stream) HeadSent() bool { return st.headQueued }

// BodyBytesSent is the number of body bytes written ($body_bytes_sent).
func (st *Stream) BodyBytesSent() int64 {
	if st.noBody {
		return 0
	}
	return st.written
}

// BodyAllowed reports whether a response with status carries a body.
func (st *Stream) BodyAllowed(status int) bool {
	return !st.isHead && status >= 200 && status != 204 && status != 304
}

// CloseAfter marks the response incomplete once its status is fixed: the
// stream then ends with RST_STREAM(INTERNAL_ERROR). Before that (a request
// body left unread) it changes nothing: the stream ends normally and the
// connection stays.
func (st *Stream) CloseAfter() {
	if st.wroteHeader {
		st.aborted = true
	}
}

// WriteHeader fixes the status; only the first call counts. The head goes
// out with the first body bytes or at the end.
func (st *Stream) WriteHeader(status int) {
	if st.wroteHeader {
		return
	}
	st.wroteHeader = true
	st.status = status
	st.noBody = !st.BodyAllowed(status)
}

// WriteContinue sends the interim 100 (Continue) response now, unless the
// final head went out.
func (st *Stream) WriteContinue() error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !st.headQueued && !st.continueSent && !st.localDone {
		st.continueSent = true
		st.interim = true
		c.readyLocked(st)
	}
	return nil
}

// queueHeadLocked hands the final head to the writer; cl is the
// content-length to send (-1: none).
func (st *Stream) queueHeadLocked(cl int64, endStream bool) {
	st.headQueued = true
	if st.status == 204 || st.status == 304 || st.status < 200 {
		cl = -1 // RFC 9110 §8.6
	}
	// A copy: the handler may still change its header list, which the
	// writer reads under c.mu.
	st.pending = pendingHead{
		status:        st.status,
		fields:        append(st.pendingFields[:0], st.header.Fields()...),
		contentLength: cl,
		serverTokens:  st.serverTokens,
		endStream:     endStream,
	}
	st.head = &st.pending
	if endStream {
		st.endQueued = true
		st.localDone = true
	}
	st.c.readyLocked(st)
}

// Write queues body bytes; it waits while the stream holds
// streamSendBuffer bytes the client has not taken yet, or the connection
// connSendBuffer, for at most SendTimeout.
func (st *Stream) Write(p []byte) (int, error) {
	if !st.wroteHeader {
		st.WriteHeader(200)
	}
	var err error
	if st.contentLength >= 0 && st.written+int64(len(p)) > st.contentLength {
		p = p[:st.contentLength-st.written]
		err = ErrBodyTooLong
	}
	st.written += int64(len(p))
	if st.noBody {
		// HEAD, 204, 304: counted, and the head goes out at the end with
		// END_STREAM.
		return len(p), err
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	var timer *time.Timer
	defer func() { st.stopTimerLocked(timer, &st.sendGen) }()
	for len(p) > 0 {
		if st.localDone || st.closed || c.dead {
			return n, ErrStreamClosed
		}
		if st.sendTimedOut {
			// send_timeout: the client takes nothing; the stream ends.
			c.resetStreamLocked(st.id, http2.ErrCodeCancel)
			return n, errSendTimeout
		}
		room := min(streamSendBuffer-(len(st.out)-st.outOff), connSendBuffer-c.outBuffered)
		if room < len(p) && !st.headQueued {
			// The body does not fit in the stream's buffer (or what is
			// left of the connection's): the head goes now. A body that
			// fits waits for the end, which then knows its length
			// (content-length), or for Flush.
			st.queueHeadLocked(st.contentLength, false)
		}
		if room <= 0 {
			if timer == nil {
				timer = st.startTimerLocked(c.cfg.SendTimeout, &st.sendTimedOut, &st.sendGen)
			}
			c.outWaiters++
			st.cond.Wait()
			c.outWaiters--
			continue
		}
		// Progress: the timeout counts again from the next wait.
		st.stopTimerLocked(timer, &st.sendGen)
		timer = nil
		if st.outOff > 0 && st.outOff >= len(st.out)/2 {
			st.out = st.out[:copy(st.out, st.out[st.outOff:])]
			st.outOff = 0
		}
		m := min(room, len(p))
		if st.out == nil {
			st.out = frameBufs.get()
		}
		st.out = append(st.out, p[:m]...)
		c.outBuffered += m
		p = p[m:]
		n += m
		if st.headQueued {
			c.readyLocked(st)
		}
	}
	return n, err
}

// SendFile sends n bytes of fd from off, read with pread in frame-sized
// slices (the file's offset is not used, so fd may be shared).
func (st *Stream) SendFile(fd int, off, n int64) (int64, error) {
	if !st.wroteHeader {
		st.WriteHeader(200)
	}
	if st.noBody {
		st.written += n
		return n, nil
	}
	chunk := frameBufs.get()[:sendFileChunk]
	defer frameBufs.put(chunk)
	return response.CopyFile(st, fd, off, n, chunk)
}

// Flush makes what was written available to the connection's writer,
// which sends it as the window allows: nothing waits in the stream.
func (st *Stream) Flush() error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !st.wroteHeader {
		return nil
	}
	if !st.headQueued && !st.localDone && !st.noBody {
		st.queueHeadLocked(st.contentLength, false)
	}
	if c.dead || st.closed && !st.endSent {
		return ErrStreamClosed
	}
	return nil
}

// startTimerLocked sets *flag (and wakes the stream's waiters) once d has
// passed, unless stopTimerLocked comes first: a timer that fires while
// being stopped finds *gen moved on and does nothing.
func (st *Stream) startTimerLocked(d time.Duration, flag *bool, gen *uint64) *time.Timer {
	*gen++
	g := *gen
	c := st.c
	return time.AfterFunc(d, func() {
		c.mu.Lock()
		if *gen == g {
			*flag = true
			st.cond.Broadcast()
		}
		c.mu.Unlock()
	})
}

func (st *Stream) stopTimerLocked(t *time.Timer, gen *uint64) {
	if t != nil {
		t.Stop()
		*gen++
	}
}
