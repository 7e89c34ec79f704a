package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// Connection states, for graceful shutdown and for reclaiming slots
// (reclaim.go): only an idle connection (waiting for the first byte of a
// request, or lingering) may be closed under a client's feet.
const (
	stateActive int32 = iota
	stateIdle
	stateReclaimed // closed by reclaim while idle; its goroutine ends it
)

// headSlack is room in the read buffer beyond the two configured limits for
// the method, version, line ends and leading empty lines.
const headSlack = 1024

// conn is one client connection, served by one goroutine.
type conn struct {
	srv   *Server
	addr  string // the config.Listen.Addr it was accepted on
	rwc   net.Conn
	state atomic.Int32

	// For reclaim (reclaim.go): when the connection last went idle (unix
	// nanoseconds), and whether it has served a request since.
	idleAt atomic.Int64
	kept   atomic.Bool

	br      *bufio.Reader // nil while idle (pooled, see idle.go)
	bufSize int           // full read buffer size from the current limits
	pre     prefixReader  // replays a small buffer's bytes into a grown one

	// Parking (park.go): fd is the socket's descriptor (-1: cannot park);
	// nreq counts the requests served, carried across parks.
	fd         int
	nreq       int
	parked     atomic.Bool
	parkTimer  *time.Timer
	epollAdded bool

	linger    bool        // close with a lingering close (unread request bytes)
	idle      *idleWaiter // nil when the conn has no file descriptor (TLS)
	*reqState             // nil while parked or closed
	body      body

	// The client (the peer, or a PROXY header's source) and the local
	// address, as "host:port"; made on first use (remote, local), as most
	// requests never need them.
	remoteAddr string
	localAddr  string

	lis *listener     // accepted on (ops: TLS configuration, see proxy.go)
	sem chan struct{} // the max_connections slot set this connection holds one of
	tls bool          // TLS is established (rwc is a *tls.Conn)

	// Variables (vars.go): the current request's expansion context and a
	// scratch buffer for expansions, kept across requests.
	vars   reqVars
	varBuf []byte
}

// reqState is what a connection needs only while it serves requests: the
// parser, the request, the response writer and the head copy, whose slices
// grow to fit the traffic. It is pooled, so that a new connection starts
// with grown buffers instead of allocating them again, and a parked
// connection holds none of it.
type reqState struct {
	parser http1.Parser
	req    http1.Request
	w      http1.ResponseWriter
	head   []byte // copy of the request head while a body is read (see readRequest)
	hdrBuf []byte // add_header values expanded for the current response (vars.go)
}

var reqStates = sync.Pool{New: func() any { return new(reqState) }}

func (c *conn) takeReqState() {
	if c.reqState == nil {
		c.reqState = reqStates.Get().(*reqState)
	}
}

// giveReqState hands the request state back, cleared: the writer forgets
// the connection, the parser a head cut short, and the request its slices
// of the (pooled) read buffer. Nothing of it may be used afterwards.
func (c *conn) giveReqState() {
	rs := c.reqState
	if rs == nil {
		return
	}
	c.reqState = nil
	c.vars = reqVars{} // it points into the request
	rs.w.Reset(nil, 1, false, false)
	rs.parser.Reset()
	rs.req.Reset()
	rs.head = rs.head[:0]
	rs.hdrBuf = rs.hdrBuf[:0]
	reqStates.Put(rs)
}

func newConn(s *Server, addr string, rwc net.Conn) *conn {
	c := &conn{srv: s, addr: addr, rwc: rwc}
	c.fd = -1
	if sc, ok := rwc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.idle = newIdleWaiter(rc, c.dropReader)
			rc.Control(func(fd uintptr) { c.fd = int(fd) })
		}
	}
	return c
}

// remote returns the client's address as "host:port".
func (c *conn) remote() string {
	if c.remoteAddr == "" {
		c.remoteAddr = c.rwc.RemoteAddr().String()
	}
	return c.remoteAddr
}

// local returns the address the connection was accepted on.
func (c *conn) local() string {
	if c.localAddr == "" {
		c.localAddr = c.rwc.LocalAddr().String()
	}
	return c.localAddr
}

// dropReader gives the read buffer back while the connection is idle.
func (c *conn) dropReader() {
	if c.br != nil && c.br.Buffered() == 0 {
		putReader(c.br)
		c.br = nil
		c.pre = prefixReader{}
	}
}

// waitOrPark waits up to parkAfter for a keep-alive connection's next
// request in this goroutine — a busy client sends it within moments, and
// a plain read costs no extra syscall and keeps the buffer — then parks a
// connection that stays quiet (park.go) and returns errParked. It returns
// nil with bytes buffered, or when the connection cannot park (then the
// caller waits as usual), or the read error.
func (c *conn) waitOrPark(idle time.Duration) error {
	if c.idle == nil || c.fd < 0 || c.br != nil && c.br.Buffered() > 0 ||
		c.srv.inShutdown.Load() || idle > 0 && idle <= parkAfter {
		return nil
	}
	p := getParker()
	if p == nil {
		return nil
	}
	if c.br == nil {
		c.br = getReader(c.rwc, min(initialBuf, c.bufSize))
	}
	c.rwc.SetReadDeadline(deadline(parkAfter))
	if _, err := c.br.Peek(1); err == nil || !isTimeout(err) {
		return err
	}
	c.dropReader()
	rest := time.Duration(0) // no timer: the wait has no limit
	if idle > 0 {
		rest = idle - parkAfter
	}
	// Out of reclaim's reach (reclaim.go) while it parks: reclaim closes
	// a parked connection through the parker, and must not close the
	// socket under an epoll_ctl on its raw descriptor. It counts as
	// active until it resumes (readRequest) or goes (closeParked).
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return errReclaimed
	}
	// Given back before parking: once parked, another goroutine may resume
	// the connection at any moment.
	c.giveReqState()
	if p.park(c, rest) == nil {
		return errParked
	}
	// Parking failed (epoll_ctl refused): carry on in this goroutine,
	// with a request state from the pool (readRequest sets its limits).
	c.state.Store(stateIdle)
	c.takeReqState()
	return nil
}

// parkAfter is how long a keep-alive connection waits for its next
// request in its goroutine before it is parked (park.go). Parking costs
// an epoll_ctl and a goroutine start, so it is for connections that are
// really idle, not for the gap between a client's requests.
const parkAfter = 250 * time.Millisecond

// initialBuf is the read buffer a request starts with. Most request heads
// fit (browsers send well under 2 KiB); a longer one moves to a buffer of
// the full client_max_uri_length + client_max_header_size (growReader), as
// nginx moves from client_header_buffer_size to its large header buffers.
// A slow or idle-but-started client therefore pins 4 KiB, not ~41 KiB.
const initialBuf = 4 << 10

// growReader moves the connection to a full-size read buffer when the
// head has filled the initial one. buf is everything buffered so far (the
// head's beginning); it is replayed ahead of the socket, so the parser
// sees the same bytes at the same offsets.
func (c *conn) growReader(buf []byte) {
	c.pre.prefix = append(c.pre.prefix[:0], buf...)
	c.pre.r = c.rwc
	old := c.br
	c.br = getReader(&c.pre, c.bufSize)
	old.Discard(len(buf))
	putReader(old)
}

// prefixReader yields prefix, then reads from r.
type prefixReader struct {
	prefix []byte
	r      io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.r.Read(b)
}

func (c *conn) close() {
	c.rwc.Close()
	c.giveReqState()
	if c.br != nil {
		c.br.Discard(c.br.Buffered())
		putReader(c.br)
		c.br = nil
	}
	c.srv.track(c, false)
	<-c.sem
}

// run is the connection loop — read a request, serve it, finish it, and
// decide whether the connection can be reused (RFC 9112 §9.3) — from the
// first request (first) or resumed after the connection was parked while
// idle (park.go). When the connection is parked, run returns without
// closing it.
func (c *conn) run(first bool) {
	parked := false
	defer func() {
		if !parked {
			if c.linger {
				c.lingerClose()
			}
			c.close()
		}
	}()
	defer func() {
		// A panic outside a request (the per-request recover is in
		// serveRequest) must not take the server down either.
		if v := recover(); v != nil {
			parked = false
			c.srv.Log.Error("panic serving connection", "remote", c.remote(), "panic", v, "stack", string(debug.Stack()))
		}
	}()
	if first && !c.prepare() { // PROXY header, TLS handshake (proxy.go)
		return
	}
	c.takeReqState()
	for ; ; c.nreq++ {
		n := c.nreq
		st := c.srv.state.Load()
		def := st.table.Server(c.addr, nil) // limits before Host is known: the address's default server (as nginx)
		if def == nil {
			return // a reload removed this address
		}
		c.bufSize = int(def.ClientMaxURILength+def.ClientMaxHeaderSize) + headSlack
		lim := http1.Limits{MaxURILength: int(def.ClientMaxURILength), MaxHeaderSize: int(def.ClientMaxHeaderSize)}
		idle := def.ClientHeaderTimeout
		if n > 0 {
			idle = def.KeepaliveTimeout
		}
		if err := c.readRequest(lim, idle, def.ClientHeaderTimeout, n > 0); err != nil {
			if err == errParked {
				parked = true
				return
			}
			if se := http1.StatusOf(err); se != nil {
				c.sendParseError(st, se)
			}
			return
		}
		if c.srv.inShutdown.Load() {
			c.req.KeepAlive = false
		}
		// A reload while the connection waited applies to this request.
		if st = c.srv.requestState(c.addr); st == nil {
			return // the reload removed this address
		}
		keep := c.serveRequest(st, n+1)
		if !keep {
			return
		}
	}
}

// readRequest waits up to idle for the first byte of a request, then up to
// headerTimeout for the whole head, and parses it into c.req within lim. A connection
// that sends nothing is closed without an answer; one that stalls mid-head
// gets 408.
//
// A keep-alive connection (mayPark) with nothing to read yet is parked
// instead (park.go): readRequest then returns errParked, and the serve
// loop resumes in a new goroutine when bytes arrive.
func (c *conn) readRequest(lim http1.Limits, idle, headerTimeout time.Duration, mayPark bool) error {
	// A pipelined request already in the read buffer has arrived: the
	// connection stays active, out of reclaim's reach (reclaim.go), which
	// could not see those bytes on the socket. Idle means nothing to do.
	buffered := c.br != nil && c.br.Buffered() > 0
	if buffered {
		arrived(c)
	} else {
		c.goIdle(mayPark)
	}
	if !mayPark && crowded(c.sem) {
		// Slots are short (reclaim.go): a new connection gets a moment,
		// not client_header_timeout, to start its request.
		idle = min(idle, crowdedFirstByte)
	}
	if c.br != nil && c.br.Size() > c.bufSize && c.br.Buffered() == 0 {
		putReader(c.br) // the limits shrank (reload)
		c.br = nil
	}
	if mayPark {
		if err := c.waitOrPark(idle); err != nil {
			return err // errParked, or the read failed
		}
	}
	if c.br == nil || c.br.Buffered() == 0 {
		c.rwc.SetReadDeadline(deadline(idle))
		if c.idle != nil && mayPark {
			// Wait without a buffer (see idle.go); c.dropReader runs if
			// the connection really goes idle. A new connection's first
			// request is usually there already (or follows at once), so
			// it is read straight away: one syscall fewer per connection.
			if err := c.idle.wait(); err != nil {
				return err
			}
		}
		if c.br == nil {
			c.br = getReader(c.rwc, min(initialBuf, c.bufSize))
		}
		if _, err := c.br.Peek(1); err != nil {
			return err
		}
	}
	if !buffered && !c.state.CompareAndSwap(stateIdle, stateActive) {
		return errReclaimed // reclaim closed it first
	}
	if c.srv.inShutdown.Load() && c.br.Buffered() == 0 {
		return os.ErrDeadlineExceeded
	}
	// The limits are set here, after any park: the request state may
	// have come back from the pool in between.
	c.parser.Limits = lim
	armed := false // the head timeout, set once more bytes are needed
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		n, err := c.parser.Parse(buf, &c.req)
		if err == nil {
			c.finishHead(buf, n)
			return nil
		}
		if err != http1.ErrIncomplete {
			return err
		}
		if c.br.Buffered() == c.br.Size() {
			if c.br.Size() >= c.bufSize {
				return &http1.StatusError{Status: 431, Msg: "request head larger than buffer"}
			}
			c.growReader(buf)
		}
		if !armed {
			// Most heads arrive whole with their first byte and need no
			// timer at all.
			c.rwc.SetReadDeadline(deadline(headerTimeout))
			armed = true
		}
		if _, err := c.br.Peek(c.br.Buffered() + 1); err != nil {
			if isTimeout(err) {
				return &http1.StatusError{Status: 408, Msg: "request head timed out"}
			}
			return err // EOF or reset mid-head: nobody to answer
		}
	}
}

// goIdle marks the connection idle from now on; kept says it has served a
// request (keep-alive, or lingering after one).
func (c *conn) goIdle(kept bool) {
	c.kept.Store(kept)
	c.idleAt.Store(time.Now().UnixNano())
	c.state.Store(stateIdle)
}

// finishHead consumes the head from the read buffer. The request's slices
// alias that buffer, and reading a body refills it, so when a body follows
// the head is first copied aside and the request rebased onto the copy.
// Body-less requests (most) skip the copy.
func (c *conn) finishHead(buf []byte, n int) {
	if c.req.ContentLength > 0 || c.req.Chunked {
		c.head = append(c.head[:0], buf[:n]...)
		c.req.Rebase(buf[:n], c.head)
	}
	c.br.Discard(n)
}

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

// sendParseError answers a request whose head could not be parsed. The
// framing is lost, so the connection closes after it (SPEC §3).
func (c *conn) sendParseError(st *state, se *http1.StatusError) {
	status := se.Status
	if lvl, ok := failureLevel(c.srv.Log, status); ok { // handler.go
		c.srv.Log.Log(context.Background(), lvl, "request rejected", "status", status, "cause", se.Msg, "remote", c.remote())
	}
	c.w.Reset(c.rwc, 1, false, false)
	def := st.table.Server(c.addr, nil)
	c.w.SendTimeout = def.SendTimeout
	c.w.ServerTokens = def.ServerTokens
	writeBuiltinError(&c.w, status, def.Default)
	c.logRequest(st, def, time.Time{}, false)
	// The rest of what the client sent is unread; a client that timed
	// out (408) is not worth waiting for.
	c.linger = status != 408
}

// serveRequest serves c.req and reports whether the connection may carry
// another request. A panic in a handler is recovered here: logged with its
// stack and answered with 500 if nothing was sent yet.
func (c *conn) serveRequest(st *state, count int) (keep bool) {
	req := &c.req
	srv := st.table.Server(c.addr, req.Host)
	if count >= srv.KeepaliveRequests || srv.KeepaliveTimeout == 0 {
		req.KeepAlive = false
	}
	c.w.Reset(c.rwc, req.Minor, string(req.Method) == "HEAD", req.KeepAlive)
	c.w.SendTimeout = srv.SendTimeout
	c.w.ServerTokens = srv.ServerTokens
	c.body.reset(c, srv.Default)
	// An unread body is discarded or the close announced (BeforeHead).
	c.w.BeforeHead = &c.body
	defer c.logRequest(st, srv, requestStart(st, srv), true) // status.go; runs after the recover below

	defer func() {
		if v := recover(); v != nil {
			c.srv.Log.Error("panic serving request", "remote", c.remote(), "target", string(req.Target), "panic", v, "stack", string(debug.Stack()))
			if !c.w.HeadSent() {
				c.w.Reset(c.rwc, req.Minor, false, false)
				writeBuiltinError(&c.w, 500, srv.Default)
			}
			keep = false
		}
	}()

	h := handler{c: c, st: st, srv: srv, req: req, w: &c.w}
	h.serve()
	if h.abort {
		// The response was cut short after bytes went out (a CGI program
		// that failed mid-body, a client gone): finishing it would frame a
		// truncated body as complete, so the connection just closes.
		return false
	}
	if err := c.w.Finish(); err != nil {
		return false
	}
	if !c.w.KeepAlive {
		// The client may still be sending a body we did not read (413,
		// 405 on a POST, an error): close gently so it can read the
		// answer (see lingerClose).
		c.linger = !c.body.finished.Load()
		return false
	}
	if !c.body.drain() {
		c.linger = true
		return false
	}
	return true
}

// Lingering close (RFC 9112 §9.6): closing a socket whose receive buffer
// holds unread bytes makes the kernel send a reset, and a reset can
// destroy the response the client has not read yet — a browser uploading
// a file over client_max_body_size would see "connection reset" instead
// of the 413 page. So after such a response the server closes only its
// writing side and reads and discards what the client still sends, for a
// bounded time, before closing (nginx's lingering_close).
const (
	lingerTotal = 5 * time.Second // at most this long in all (nginx lingering_time: 30s)
	lingerGap   = 2 * time.Second // per read (nginx lingering_timeout: 5s)
)

// lingerClose half-closes the connection and discards input until the
// client closes its side or the time runs out. The connection counts as
// idle meanwhile, so shutdown may cut it short.
func (c *conn) lingerClose() {
	type closeWriter interface{ CloseWrite() error }
	cw, ok := c.rwc.(closeWriter)
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.goIdle(true)
	var buf [4096]byte
	end := time.Now().Add(lingerTotal)
	for time.Now().Before(end) {
		d := time.Now().Add(lingerGap)
		if d.After(end) {
			d = end
		}
		c.rwc.SetReadDeadline(d)
		if _, err := c.rwc.Read(buf[:]); err != nil {
			return
		}
	}
}

// body is the request body reader handed to handlers: Content-Length or
// chunked framing, client_body_timeout per read, client_max_body_size, and
// "100 Continue" sent on the first read only (so a request refused before
// its body is read gets its final status at once, RFC 9110 §10.1.1).
type body struct {
	c        *conn
	remain   int64 // Content-Length mode: bytes left
	chunked  bool
	cr       http1.ChunkedReader
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
	shared bool // a CGI program's stdin copy may be reading it (runCGI)
}

func (b *body) reset(c *conn, loc *config.Location) {
	*b = body{c: c, limit: loc.MaxBodySize, timeout: loc.BodyTimeout}
	req := &c.req
	switch {
	case req.Chunked:
		b.chunked = true
		b.cr.Reset(c.br)
	case req.ContentLength > 0:
		b.remain = req.ContentLength
		b.inHand.Store(int64(c.br.Buffered()) >= b.remain)
	default:
		b.finished.Store(true)
	}
	b.expect = req.ExpectContinue && !b.finished.Load()
}

// setLocation applies the selected location's limits before any byte is read.
func (b *body) setLocation(loc *config.Location) {
	b.limit = loc.MaxBodySize
	b.timeout = loc.BodyTimeout
}

// ErrBodyTooLarge is returned by body reads past client_max_body_size.
var errBodyTooLarge = &http1.StatusError{Status: 413, Msg: "request body larger than client_max_body_size"}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.finished.Load() {
		return 0, io.EOF
	}
	if b.expect {
		b.expect = false
		if err := b.c.w.WriteContinue(); err != nil {
			b.err = err
			return 0, err
		}
	}
	b.started = true
	d := deadline(b.timeout)
	if !b.until.IsZero() && (d.IsZero() || b.until.Before(d)) {
		d = b.until
	}
	b.c.rwc.SetReadDeadline(d)
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
		n, err = b.c.br.Read(p)
		b.remain -= int64(n)
		b.inHand.Store(err == nil && int64(b.c.br.Buffered()) >= b.remain)
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
			err = &http1.StatusError{Status: 408, Msg: "request body timed out"}
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
// or does not arrive within drainTime, the head says "Connection: close"
// — a client told nothing would send its next request on a connection the
// server then closes, and see it fail (Go's client, curl). Go's net/http
// decides the same way before its head, with a 256 KiB bound.
const (
	// drainLimit is how much of an unread body the server reads and
	// discards to keep a connection alive; past it, closing is cheaper.
	// 1 MiB takes a millisecond over loopback and a few seconds on a slow
	// uplink (then drainTime cuts it short).
	drainLimit = 1 << 20
	// drainTime bounds the discarding, all reads together: the response
	// waits for it.
	drainTime = 2 * time.Second
)

// BeforeHead settles the unread rest of the body just before the head of
// a persistent response goes out: it discards it, or, when it cannot
// (too large, too slow, broken framing, a client still waiting for 100
// Continue), makes the head announce the close.
func (b *body) BeforeHead(w *http1.ResponseWriter) {
	if b.finished.Load() {
		return
	}
	if b.shared {
		// A CGI program's stdin copy may be reading the body right now:
		// it cannot be drained here, only after cgi.Serve returns
		// (serveRequest), and by then the head has promised a
		// persistent connection. That promise holds only if the rest is
		// already in the read buffer: a rest still to come may never
		// come within drainTime (a client that stalls, or that stopped
		// sending on seeing the response), and the connection would
		// close unannounced.
		if !b.inHand.Load() {
			w.KeepAlive = false
		}
		return
	}
	if !b.drain() {
		w.KeepAlive = false
	}
}

// drain discards what the handler left of the body, up to drainLimit bytes
// and drainTime, and reports whether the connection is still usable for
// another request.
func (b *body) drain() bool {
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
	b.until = time.Now().Add(drainTime)
	n, err := io.Copy(io.Discard, io.LimitReader(b, drainLimit+1))
	return err == nil && n <= drainLimit && b.finished.Load()
}
