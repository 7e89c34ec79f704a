package http1

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Body is the request body reader handed to handlers: Content-Length or
// chunked framing, client_body_timeout per read, client_max_body_size, and
// "100 Continue" sent on the first read only (so a request refused before
// its body is read gets its final status at once, RFC 9110 §10.1.1).
type Body struct {
	br       *bufio.Reader
	conn     readDeadliner
	w        *ResponseWriter // for 100 Continue
	remain   int64           // Content-Length mode: bytes left
	chunked  bool
	cr       ChunkedReader
	limit    int64 // 0: unlimited
	read     int64
	timeout  time.Duration
	expect   bool // 100-continue still to send
	started  bool
	err      error
	until    time.Time   // when set, no read waits past it (draining)
	finished atomic.Bool // read to its end; atomic for BeforeHead while shared
	// inHand: what is left of a Content-Length body is all in the read
	// buffer, so discarding it cannot wait for the client. Kept by the
	// reader (atomic: BeforeHead looks while a CGI program's copy reads).
	inHand atomic.Bool
	shared bool // a CGI program's stdin copy may be reading it (Share)
}

type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// Reset prepares b for req's body, read from br (the connection's reader)
// with deadlines set on conn; w sends 100 Continue. limit and timeout are
// the server's client_max_body_size and client_body_timeout until
// SetLimits gives the location's.
func (b *Body) Reset(br *bufio.Reader, conn readDeadliner, w *ResponseWriter, req *Request, limit int64, timeout time.Duration) {
	*b = Body{br: br, conn: conn, w: w, limit: limit, timeout: timeout}
	switch {
	case req.Chunked:
		b.chunked = true
		b.cr.Reset(br)
	case req.ContentLength > 0:
		b.remain = req.ContentLength
		b.inHand.Store(int64(br.Buffered()) >= b.remain)
	default:
		b.finished.Store(true)
	}
	b.expect = req.ExpectContinue && !b.finished.Load()
}

// SetLimits applies the selected location's limits before any byte is
// read (dispatch.Body).
func (b *Body) SetLimits(max int64, timeout time.Duration) {
	b.limit = max
	b.timeout = timeout
}

// Share marks the body as read by a CGI program's stdin copy while the
// response head may go out (BeforeHead).
func (b *Body) Share(shared bool) { b.shared = shared }

// Settle settles the unread body now, as BeforeHead would just before a
// persistent response's head.
func (b *Body) Settle() {
	if w := b.w; w.KeepAlive {
		b.BeforeHead(w)
	}
}

// errBodyTooLarge is returned by body reads past client_max_body_size.
var errBodyTooLarge = &StatusError{Status: 413, Msg: "request body larger than client_max_body_size"}

func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.finished.Load() {
		return 0, io.EOF
	}
	if b.expect {
		b.expect = false
		if err := b.w.WriteContinue(); err != nil {
			b.err = err
			return 0, err
		}
	}
	b.started = true
	d := deadline(b.timeout)
	if !b.until.IsZero() && (d.IsZero() || b.until.Before(d)) {
		d = b.until
	}
	b.conn.SetReadDeadline(d)
	var n int
	var err error
	if b.chunked {
		n, err = b.cr.Read(p)
		if err == io.EOF {
			b.finished.Store(true)
		}
	} else {
		if int64(len(p)) > b.remain {
			p = p[:b.remain]
		}
		n, err = b.br.Read(p)
		b.remain -= int64(n)
		b.inHand.Store(err == nil && int64(b.br.Buffered()) >= b.remain)
		if b.remain == 0 {
			b.finished.Store(true)
			if err == nil {
				err = io.EOF
			}
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	b.read += int64(n)
	if b.limit > 0 && b.read > b.limit {
		b.err = errBodyTooLarge
		return 0, b.err
	}
	if err != nil && err != io.EOF {
		if isTimeout(err) {
			err = &StatusError{Status: 408, Msg: "request body timed out"}
		}
		b.err = err
	}
	return n, err
}

// Discarding an unread body (RFC 9112 §9.3: a persistent connection
// must read the whole message before the next). A handler may answer
// without reading the request body (a GET with one, a 405, a 409, an
// error half-way through an upload), and the connection can only carry
// another request once the rest of it is read and dropped. Like nginx
// (which discards a body bounded by lingering_time), the server reads and
// discards it, bounded in size and time: just before the response head is
// written (BeforeHead), so that when the body is larger than drainLimit,
// or does not arrive within DrainTime, the head says "Connection: close"
// — a client told nothing would send its next request on a connection the
// server then closes, and see it fail (Go's client, curl). Go's net/http
// decides the same way before its head, with a 256 KiB bound.
const (
	// drainLimit is how much of an unread body the server reads and
	// discards to keep a connection alive; past it, closing is cheaper.
	// 1 MiB takes a millisecond over loopback and a few seconds on a slow
	// uplink (then DrainTime cuts it short).
	drainLimit = 1 << 20
	// DrainTime bounds the discarding, all reads together: the response
	// waits for it.
	DrainTime = 2 * time.Second
)

// BeforeHead settles the unread rest of the body just before the head of
// a persistent response goes out: it discards it, or, when it cannot
// (too large, too slow, broken framing, a client still waiting for 100
// Continue), makes the head announce the close.
func (b *Body) BeforeHead(w *ResponseWriter) {
	if b.finished.Load() {
		return
	}
	if b.shared {
		// A CGI program's stdin copy may be reading the body right now:
		// it cannot be drained here, only after cgi.Runner.Serve returns
		// (then Drain), and by then the head has promised a
		// persistent connection. That promise holds only if the rest is
		// already in the read buffer: a rest still to come may never
		// come within DrainTime (a client that stalls, or that stopped
		// sending on seeing the response), and the connection would
		// close unannounced.
		if !b.inHand.Load() {
			w.KeepAlive = false
		}
		return
	}
	if !b.Drain() {
		w.KeepAlive = false
	}
}

// Drain discards what the handler left of the body, up to drainLimit bytes
// and DrainTime, and reports whether the connection is still usable for
// another request.
func (b *Body) Drain() bool {
	if b.finished.Load() {
		return true
	}
	if b.err != nil || b.expect {
		// A failed body, or a client still waiting for 100 Continue that
		// was never sent: the framing cannot be trusted.
		return false
	}
	if !b.chunked && b.remain > drainLimit {
		return false
	}
	b.limit = 0
	b.until = time.Now().Add(DrainTime)
	n, err := io.Copy(io.Discard, io.LimitReader(b, drainLimit+1))
	return err == nil && n <= drainLimit && b.finished.Load()
}

// Finished reports whether the body was read to its end.
func (b *Body) Finished() bool { return b.finished.Load() }

func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
