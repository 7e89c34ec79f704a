package http1

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/response"
)

// The HTTP/1.1 writer is what handlers write to on an HTTP/1.x connection.
var _ response.Writer = (*ResponseWriter)(nil)

// ServerName is the value of the Server header on every response.
const ServerName = "webserv"

// Version is webserv's version, which the Server header shows after
// ServerName where server_tokens is on. main sets it from its build-time
// version before serving; nothing changes it afterwards.
var Version = "dev"

// ErrBodyTooLong is returned by ResponseWriter.Write when a handler writes
// more bytes than the Content-Length it declared.
var ErrBodyTooLong = errors.New("http1: body longer than declared Content-Length")

// Header is the protocol-neutral response header list (response.Header).
// Server, Date, Content-Length, Transfer-Encoding and Connection are
// managed by the ResponseWriter and must not be set there.
type Header = response.Header

// ResponseWriter writes one response on a connection. It decides the
// framing (RFC 9112 §6): a declared Content-Length, chunked for HTTP/1.1
// when the length is unknown, or close-delimited for HTTP/1.0. The head is
// serialised lazily so that a small body goes out in the same writev.
//
// A ResponseWriter is reused across the requests of a connection (Reset).
type ResponseWriter struct {
	conn io.Writer
	dl   writeDeadliner // conn, when it supports deadlines

	// SendTimeout bounds the gap between successful writes (send_timeout):
	// the write deadline is pushed forward before every write. Writing
	// through the connection itself (not a wrapper) keeps writev and
	// sendfile available.
	SendTimeout time.Duration

	// ServerTokens (server_tokens on) adds "/Version" to the Server
	// header. Like SendTimeout, it is set per request, after Reset.
	ServerTokens bool

	// KeepAlive says whether the connection persists after this response;
	// the writer clears it when the framing requires closing.
	KeepAlive bool
	minor     int  // request's minor version
	head      bool // HEAD request: headers only

	// BeforeHead, when set, runs once just before the head of a
	// persistent response is written, while KeepAlive may still change:
	// the connection settles a request body the handler left unread
	// there (discard it, or announce the close). Reset clears it.
	BeforeHead HeadHook

	// Waiting, when set, is told once per response, before a write
	// waits for room in the socket's send buffer: a connection served by
	// an event loop (internal/server, loop.go) leaves the loop to a new
	// goroutine there and lets this one wait. Reset keeps it.
	Waiting WaitHook
	// LazyDeadline: no write deadline is armed per response; the
	// connection arms SendTimeout itself when a write is about to wait
	// (Waiting). An event loop's writes never wait, so most of its
	// responses need no deadline at all.
	LazyDeadline bool

	header        Header
	status        int
	contentLength int64 // -1: unknown
	wroteHeader   bool  // WriteHeader called (status fixed)
	headSent      bool  // head bytes written to conn
	chunked       bool
	noBody        bool  // status forbids a body (1xx, 204, 304) or HEAD
	written       int64 // body bytes accepted from the handler
	sent          int64 // bytes written to conn (head and body)
	err           error // first write error; later writes fail fast

	buf      []byte      // head scratch, reused
	bufs     net.Buffers // writev scratch, reused
	wbufs    net.Buffers // what WriteTo consumes (a field, so that it does not escape per call)
	chunkHdr [20]byte
	dlAt     time.Time // the write deadline last armed on conn (zero: none)

	// SendFile's state: the connection's raw descriptor (looked up once
	// per connection), and the call in progress with the callback bound
	// to it once per writer, so that a request allocates nothing.
	rc     syscall.RawConn
	rcConn io.Writer // the conn rc belongs to
	sf     sendfileOp
	sfFn   func(fd uintptr) bool
	// The head and body's writev on the socket, bound the same way
	// (sendfile_linux.go).
	wv   writevOp
	wvFn func(fd uintptr) bool
}

// A HeadHook is told that a response head is about to be written (see
// ResponseWriter.BeforeHead). An interface rather than a func, so that a
// connection can install a pointer it already has without allocating.
type HeadHook interface {
	BeforeHead(w *ResponseWriter)
}

// A WaitHook is told that a write is about to wait for the socket (see
// ResponseWriter.Waiting); an interface for the same reason as HeadHook.
type WaitHook interface {
	WillWait()
}

// Reset prepares w for a response to a request of the given version and
// method on conn.
func (w *ResponseWriter) Reset(conn io.Writer, minor int, head, keepAlive bool) {
	if conn != w.conn || conn == nil {
		w.dlAt = time.Time{} // the deadline armed belongs to another connection
	}
	w.conn = conn
	w.dl, _ = conn.(writeDeadliner)
	w.minor = minor
	w.head = head
	w.KeepAlive = keepAlive
	w.BeforeHead = nil
	w.header.Reset()
	w.status = 0
	w.contentLength = -1
	w.wroteHeader = false
	w.headSent = false
	w.chunked = false
	w.noBody = false
	w.written = 0
	w.sent = 0
	w.err = nil
}

// BodyAllowed reports whether a response with status would carry a body
// on this request (not HEAD, not 1xx/204/304).
func (w *ResponseWriter) BodyAllowed(status int) bool {
	return !w.head && status >= 200 && status != 204 && status != 304
}

// Header returns the header list to fill before WriteHeader.
func (w *ResponseWriter) Header() *Header { return &w.header }

// SetContentLength declares the body length; -1 means unknown.
func (w *ResponseWriter) SetContentLength(n int64) { w.contentLength = n }

// CloseAfter ends the connection after this response (Connection: close
// when the head is still to be sent).
func (w *ResponseWriter) CloseAfter() { w.KeepAlive = false }

// Flush does nothing: every Write goes to the connection at once.
func (w *ResponseWriter) Flush() error { return w.err }

// Status returns the status written, or 0.
func (w *ResponseWriter) Status() int { return w.status }

// Written reports whether the response head has been fixed: after it, the
// status can no longer change (an error must close the connection instead).
func (w *ResponseWriter) Written() bool { return w.wroteHeader }

// HeadSent reports whether any byte went to the connection.
func (w *ResponseWriter) HeadSent() bool { return w.headSent }

// BytesSent is the number of bytes written to the connection.
func (w *ResponseWriter) BytesSent() int64 { return w.sent }

// BodyBytesSent is the number of body bytes sent, framing excluded (nginx's
// $body_bytes_sent, for the access log): 0 for HEAD and bodiless statuses.
func (w *ResponseWriter) BodyBytesSent() int64 {
	if w.noBody || !w.headSent {
		return 0
	}
	return w.written
}

// WriteHeader fixes the status. Only the first call counts. The head itself
// goes out with the first body write or Finish.
func (w *ResponseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = status
	// RFC 9110 §15.3.5, §15.4.5: 204 and 304 have no body; 1xx never
	// reaches here (WriteContinue).
	if status == 204 || status == 304 || status < 200 || w.head {
		w.noBody = true
	}
}

// WriteContinue sends the interim "100 Continue" response (RFC 9110
// §10.1.1) immediately.
func (w *ResponseWriter) WriteContinue() error {
	if w.headSent {
		return nil
	}
	return w.writeRaw([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
}

type writeDeadliner interface {
	SetWriteDeadline(time.Time) error
}

// armDeadline pushes the write deadline to SendTimeout from now before a
// write. Moving a deadline costs a runtime timer update, so one armed
// less than deadlineSlack ago is left alone: send_timeout is then honoured
// to within deadlineSlack (never longer than configured), and a busy
// keep-alive connection re-arms about once per deadlineSlack instead of
// once per response.
func (w *ResponseWriter) armDeadline() {
	if w.dl == nil || w.SendTimeout <= 0 || w.LazyDeadline {
		return
	}
	now := time.Now()
	want := now.Add(w.SendTimeout)
	slack := min(deadlineSlack, w.SendTimeout/8)
	if !w.dlAt.IsZero() && !w.dlAt.After(want) && w.dlAt.Sub(want) > -slack {
		return
	}
	w.dlAt = want
	w.dl.SetWriteDeadline(want)
}

const deadlineSlack = time.Second

// DeadlineCleared tells w that the connection's write deadline was
// cleared (the next write arms SendTimeout again).
func (w *ResponseWriter) DeadlineCleared() { w.dlAt = time.Time{} }

func (w *ResponseWriter) writeRaw(p []byte) error {
	if w.err != nil {
		return w.err
	}
	w.armDeadline()
	var n int
	var err error
	if rc := w.rawConn(); rc != nil && canSendfile {
		w.bufs = append(w.bufs[:0], p)
		var m int64
		m, err = w.writevRaw(rc, w.bufs)
		n = int(m)
	} else {
		n, err = w.conn.Write(p)
	}
	w.sent += int64(n)
	if err != nil {
		w.err = err
		w.KeepAlive = false
	}
	return err
}

// frame decides the body framing once the head is about to be sent.
func (w *ResponseWriter) frame() {
	if w.noBody || w.status == 204 || w.status == 304 {
		return
	}
	if w.contentLength >= 0 {
		return
	}
	if w.minor >= 1 {
		w.chunked = true // RFC 9112 §7.1
	} else {
		w.KeepAlive = false // RFC 9112 §6.3: close-delimited for 1.0
	}
}

func (w *ResponseWriter) appendHead(b []byte) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(w.status), 10)
	b = append(b, ' ')
	b = append(b, StatusText(w.status)...)
	b = append(b, "\r\nServer: "+ServerName...)
	if w.ServerTokens {
		b = append(b, '/')
		b = append(b, Version...)
	}
	b = append(b, "\r\nDate: "...)
	b = append(b, dateBytes()...)
	b = append(b, "\r\n"...)
	for _, f := range w.header.Fields() {
		b = append(b, f.Name...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	switch {
	case w.status == 204 || w.status == 304 || w.status < 200:
		// RFC 9110 §8.6: no Content-Length on 1xx and 204; 304 may carry
		// the GET's length but need not.
	case w.chunked:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	case w.contentLength >= 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, w.contentLength, 10)
		b = append(b, "\r\n"...)
	}
	if !w.KeepAlive {
		b = append(b, "Connection: close\r\n"...)
	} else if w.minor == 0 {
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return append(b, "\r\n"...)
}

// Write writes body bytes, sending the head first if needed. On HEAD and
// bodiless statuses the bytes are counted and discarded.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, ErrBodyTooLong
	}
	w.written += int64(len(p))
	if w.noBody {
		if !w.headSent {
			return len(p), w.sendHead(nil)
		}
		return len(p), nil
	}
	if err := w.sendHead(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendHead writes the head if not sent yet, together with body p (chunk
// framed when chunked) in one writev; with the head already sent it writes
// just p.
func (w *ResponseWriter) sendHead(p []byte) error {
	w.bufs = w.bufs[:0]
	if !w.headSent {
		w.frame() // may decide to close (HTTP/1.0 without a length)
		if w.BeforeHead != nil && w.KeepAlive {
			w.BeforeHead.BeforeHead(w)
		}
		w.buf = w.appendHead(w.buf[:0])
		w.headSent = true
		w.bufs = append(w.bufs, w.buf)
	}
	if len(p) > 0 && !w.noBody {
		if w.chunked {
			hdr := strconv.AppendInt(w.chunkHdr[:0], int64(len(p)), 16)
			hdr = append(hdr, '\r', '\n')
			w.bufs = append(w.bufs, hdr, p, crlf)
		} else {
			w.bufs = append(w.bufs, p)
		}
	}
	if len(w.bufs) == 0 {
		return nil
	}
	w.armDeadline()
	var n int64
	var err error
	if rc := w.rawConn(); rc != nil && canSendfile && len(w.bufs) <= maxIovecs {
		n, err = w.writevRaw(rc, w.bufs) // sendfile_linux.go
	} else {
		n, err = w.writeJoined()
	}
	w.sent += n
	if err != nil {
		w.err = err
		w.KeepAlive = false
	}
	return err
}

var crlf = []byte("\r\n")

// writeJoined writes w.bufs to a connection without a descriptor of its
// own (TLS) with one Write when they fit in joinMax: net.Buffers would
// write each buffer apart, and over TLS every Write is a record of its
// own and a write(2) of its own, so a head and a small body cost two
// records, two syscalls and two TCP segments where nginx (its SSL
// buffer) sends one. The copy is cheaper than the record it saves.
func (w *ResponseWriter) writeJoined() (int64, error) {
	if len(w.bufs) == 1 || w.rawConn() != nil {
		// One buffer, or a connection with a descriptor (TCP where
		// canSendfile is false), whose WriteTo is one writev.
		w.wbufs = w.bufs // WriteTo consumes the slice header
		return w.wbufs.WriteTo(w.conn)
	}
	// The first joinMax bytes in one Write; what is left of a larger
	// body (a file's first 32 KiB) follows as it is, without a copy.
	bp := joinBufs.Get().(*[]byte)
	b := (*bp)[:0]
	i := 0
	for ; i < len(w.bufs); i++ {
		s := w.bufs[i]
		if room := joinMax - len(b); len(s) > room {
			b = append(b, s[:room]...)
			w.bufs[i] = s[room:]
			break
		}
		b = append(b, s...)
	}
	n, err := w.conn.Write(b)
	*bp = b[:0]
	joinBufs.Put(bp)
	if err != nil || i == len(w.bufs) {
		return int64(n), err
	}
	w.wbufs = w.bufs[i:]
	m, err := w.wbufs.WriteTo(w.conn)
	return int64(n) + m, err
}

// joinMax is the most writeJoined copies: one TLS record's plaintext
// (RFC 8446 §5.1), so that a slow client holds no more than that in a
// join buffer while its write waits.
const joinMax = 16 << 10

var joinBufs = sync.Pool{New: func() any { b := make([]byte, 0, joinMax); return &b }}

// ReadFrom copies r to the body. With a declared length and a connection
// that implements io.ReaderFrom (a *net.TCPConn with an *os.File source),
// the body goes out with sendfile after the head.
func (w *ResponseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.noBody || w.chunked || w.contentLength < 0 {
		return io.Copy(writerOnly{w}, r)
	}
	return w.ReadFromN(r, w.contentLength-w.written)
}

// ReadFromN copies at most n bytes of r to the body, with sendfile when r
// is an *os.File and the connection a *net.TCPConn. It is how a file
// region (a byte range) is sent: seek the file, then ReadFromN.
func (w *ResponseWriter) ReadFromN(r io.Reader, n int64) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.noBody || w.chunked || w.contentLength < 0 {
		return io.Copy(writerOnly{w}, io.LimitReader(r, n))
	}
	n = min(n, w.contentLength-w.written)
	rf, ok := w.conn.(io.ReaderFrom)
	if !ok {
		// TLS: the head leaves with the first bytes Write is given
		// (writeJoined).
		m, err := io.Copy(writerOnly{w}, io.LimitReader(r, n))
		w.failedBeforeHead(err)
		return m, err
	}
	if !w.headSent {
		if err := w.sendHead(nil); err != nil {
			return 0, err
		}
	}
	if w.err != nil {
		return 0, w.err
	}
	// Send in slices so that SendTimeout is a bound on the gap between
	// progress, not on the whole transfer.
	var total int64
	for total < n {
		w.armDeadline()
		lr := io.LimitedReader{R: r, N: min(n-total, sendfileSlice)}
		m, err := rf.ReadFrom(&lr)
		w.written += m
		w.sent += m
		total += m
		if err != nil {
			w.err = err
			w.KeepAlive = false
			return total, err
		}
		if m == 0 {
			break // source ended early; Finish reports the short body
		}
	}
	return total, nil
}

// sendfileSlice is how much one sendfile call may move before the write
// deadline is pushed forward again.
const sendfileSlice = 4 << 20

// SendFile sends n bytes of the open file fd from offset off as body
// bytes (a whole file, or one range of it), after the head. On Linux, with
// a declared length and a connection that has a descriptor (TCP, not
// TLS), that is sendfile(2) with an explicit offset on the socket itself:
// no *os.File, no lseek, and no fcntl to make the file blocking (issue
// 17's strace of the 20 KiB path). Elsewhere the bytes are read with
// pread and written. The file's offset is never used, so fd may be shared.
// It returns the bytes sent; fewer than n with a nil error means the file
// ended early (Finish then reports the short body).
func (w *ResponseWriter) SendFile(fd int, off, n int64) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.noBody || w.chunked || w.contentLength < 0 || !canSendfile {
		return w.copyFile(fd, off, n)
	}
	n = min(n, w.contentLength-w.written)
	rc := w.rawConn()
	if rc != nil && !w.headSent {
		// The head waits in the socket for the file's first bytes
		// (MSG_MORE, sendfile_linux.go) and leaves in one segment with
		// them, as it does with a body read into memory: sent alone, it
		// was one more packet for the kernel to carry (on loopback, to
		// deliver, in our time) and a wake-up of a client to read just
		// the head. Without a body to follow (n == 0) it goes at once.
		// Should the body then fail, the connection closes, and the
		// close sends what the socket holds. Over TLS (no descriptor)
		// copyFile's first Write carries the head with the file's first
		// bytes (writeJoined).
		w.wv.more = canSendMore && n > 0
		err := w.sendHead(nil)
		w.wv.more = false
		if err != nil {
			return 0, err
		}
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.sf.raw && w.Waiting != nil {
		// Not known to be in the page cache: sendfile, or the reads of
		// copyFile (TLS), may wait for the disk, which a connection's
		// event loop must not.
		w.Waiting.WillWait()
	}
	if rc == nil {
		return w.copyFile(fd, off, n)
	}
	// In slices, so that SendTimeout bounds the gap between progress,
	// not the whole transfer (as ReadFromN).
	var total int64
	for total < n {
		w.armDeadline()
		w.sf = sendfileOp{in: fd, off: off + total, n: int(min(n-total, sendfileSlice)), raw: w.sf.raw, wait: w.Waiting}
		if w.sfFn == nil {
			w.sfFn = w.sf.do
		}
		err := rc.Write(w.sfFn)
		if err == nil {
			err = w.sf.err
		}
		w.sf.wait = nil
		m := int64(w.sf.done)
		w.written += m
		w.sent += m
		total += m
		if err != nil {
			w.err = err
			w.KeepAlive = false
			return total, err
		}
		if m == 0 {
			break // the file ended early
		}
	}
	return total, nil
}

// SendCachedFile is SendFile for a region its caller found in the page
// cache of a local file system (internal/static): sendfile(2) then cannot
// block on the disk, and is made without the runtime's syscall
// bookkeeping, as the socket writes are (sendfile_linux.go).
func (w *ResponseWriter) SendCachedFile(fd int, off, n int64) (int64, error) {
	if strconv.IntSize != 64 {
		// SYS_SENDFILE takes a 32-bit offset there (sendfile64 is
		// another call): the runtime's Sendfile knows which to use.
		return w.SendFile(fd, off, n)
	}
	w.sf.raw = true
	defer func() { w.sf.raw = false }()
	return w.SendFile(fd, off, n)
}

// SetRawConn tells w the syscall.RawConn of conn, the connection of the
// next Reset, which the caller already has: looking it up again costs an
// allocation (net.TCPConn.SyscallConn) whenever pooled writers change
// connections.
func (w *ResponseWriter) SetRawConn(conn io.Writer, rc syscall.RawConn) {
	w.rc, w.rcConn = rc, conn
}

// rawConn returns the connection's syscall.RawConn, or nil if it has none
// (TLS, a test's buffer).
func (w *ResponseWriter) rawConn() syscall.RawConn {
	if w.rcConn != w.conn {
		w.rc, w.rcConn = nil, w.conn
		if sc, ok := w.conn.(syscall.Conn); ok {
			w.rc, _ = sc.SyscallConn()
		}
	}
	return w.rc
}

// copyFile is SendFile without sendfile: pread into a pooled buffer, then
// Write (which also frames chunks and discards a HEAD's body).
func (w *ResponseWriter) copyFile(fd int, off, n int64) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	m, err := response.CopyFile(w, fd, off, n, *bp)
	copyBufs.Put(bp)
	w.failedBeforeHead(err)
	return m, err
}

// failedBeforeHead sends the head and gives up the connection when a body
// whose head waited for its first bytes (writeJoined) failed before any:
// the status is already fixed, so the caller must see the response begun,
// as when a body fails midway, and not answer again under it.
func (w *ResponseWriter) failedBeforeHead(err error) {
	if err != nil && !w.headSent {
		w.KeepAlive = false
		w.sendHead(nil)
	}
}

// copyBufSize is copyFile's buffer: large enough for few round trips
// through TLS records, small enough to pool freely.
const copyBufSize = 32 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }

// Finish completes the response: sends a head not yet sent (with
// Content-Length: 0 if nothing was written), the last chunk when chunked.
// A body shorter than the declared length leaves the framing broken, so
// the connection must close.
func (w *ResponseWriter) Finish() error {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if !w.headSent {
		if w.contentLength < 0 && !w.noBody {
			w.contentLength = w.written
		}
		if err := w.sendHead(nil); err != nil {
			return err
		}
	}
	if w.err != nil {
		return w.err
	}
	if w.chunked {
		return w.writeRaw(lastChunk)
	}
	if !w.noBody && w.contentLength >= 0 && w.written < w.contentLength {
		w.KeepAlive = false
		return io.ErrShortWrite
	}
	return nil
}

var lastChunk = []byte("0\r\n\r\n")

// Date header cache: formatting a date per response is measurable, and so
// is reading the clock per response (a tenth of a static response's user
// time). RFC 9110 §6.6.1 has second resolution, so, as nginx updates its
// cached time once per event loop turn, a goroutine updates the cached
// date at each second and responses read it without the clock. It starts
// with the program (so that it is part of any count of goroutines a test
// takes) and lives as long as the process.
type dateCache struct {
	b    []byte
	unix int64 // the second b names
}

var cachedDate atomic.Pointer[dateCache]

func init() {
	storeDate(time.Now())
	go updateDate()
}

func dateBytes() []byte { return cachedDate.Load().b }

// CoarseUnix is the current Unix time in seconds as the Date cache has it
// (at most a second behind), for code that wants a coarse clock without
// reading the clock.
func CoarseUnix() int64 { return cachedDate.Load().unix }

// dateRing holds the dates stored, each rewritten in place a minute after
// it was last current: storing a date allocates nothing (the allocation
// tests count a process's allocations, and a new date each second showed
// up in them), and no response still reads a date a minute old.
var (
	dateRing [64]dateCache
	dateNext int // the updater's (and init's) only
)

func storeDate(now time.Time) {
	d := &dateRing[dateNext%len(dateRing)]
	dateNext++
	d.b = now.UTC().AppendFormat(d.b[:0], TimeFormat)
	d.unix = now.Unix()
	cachedDate.Store(d)
}

// updateDate stores the date just after each second begins.
func updateDate() {
	for {
		now := time.Now()
		time.Sleep(time.Second - time.Duration(now.Nanosecond()) + time.Millisecond)
		storeDate(time.Now())
	}
}

// TimeFormat is IMF-fixdate (RFC 9110 §5.6.7).
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// StatusText returns the reason phrase for code (RFC 9110 §15).
func StatusText(code int) string {
	switch code {
	case 100:
		return "Continue"
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	case 204:
		return "No Content"
	case 206:
		return "Partial Content"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 303:
		return "See Other"
	case 304:
		return "Not Modified"
	case 307:
		return "Temporary Redirect"
	case 308:
		return "Permanent Redirect"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 406:
		return "Not Acceptable"
	case 408:
		return "Request Timeout"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 411:
		return "Length Required"
	case 412:
		return "Precondition Failed"
	case 413:
		return "Content Too Large"
	case 414:
		return "URI Too Long"
	case 415:
		return "Unsupported Media Type"
	case 416:
		return "Range Not Satisfiable"
	case 417:
		return "Expectation Failed"
	case 429:
		return "Too Many Requests"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	case 505:
		return "HTTP Version Not Supported"
	case 507:
		return "Insufficient Storage" // RFC 4918 §11.5: a full upload store
	}
	return "Status " + strconv.Itoa(code)
}
