package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/dispatch"
	"webserv/internal/h2"
	"webserv/internal/http1"
	"webserv/internal/rawio"
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

// conn is one client connection, served by one goroutine at a time (none
// while it is parked).
type conn struct {
	srv  *Server
	addr string // the config.Listen.Addr it was accepted on
	rwc  net.Conn

	// The flags, together so that the struct stays small (a parked
	// connection keeps nothing else on the heap).
	state atomic.Int32
	// For reclaim (reclaim.go): whether it has served a request since it
	// last went idle (idleAt, below).
	kept atomic.Bool
	// Parking (park.go, loop.go): parked: in the parker or a loop,
	// claimed by compare-and-swap; epollAdded: registered with the
	// parker; looped: registered with its loop; pending: an edge came
	// while it was not parked.
	parked     atomic.Bool
	pending    atomic.Bool
	epollAdded bool
	looped     bool
	linger     bool // close with a lingering close (unread request bytes)
	tls        bool // TLS is established (rwc is a *tls.Conn)
	tlsLoop    bool // and a loop can serve it (noWait)

	// When the connection last went idle (unix nanoseconds), for reclaim.
	idleAt atomic.Int64

	br      *bufio.Reader // nil while idle (pooled, see idle.go)
	bufSize int           // full read buffer size from the current limits
	pre     *prefixReader // replays a small buffer's bytes into a grown one; made when one grows

	// fd is the socket's descriptor (-1: cannot park); nreq counts the
	// requests served, carried across parks; loop is the event loop it
	// parks in unless it speaks TLS (nil: the parker, or none).
	fd        int
	nreq      int
	parkTimer *time.Timer
	loop      *evloop
	// serving is the loop whose goroutine serves the connection right
	// now (nil: its own goroutine does): loop, or for the first request
	// of a connection a loop accepted, that loop (accept_linux.go).
	serving *evloop

	// idle is made on the first wait for a keep-alive request (readRequest):
	// most connections of a busy site close after one request and never
	// need it. rc is the socket's (nil when it has no file descriptor);
	// idle stays nil on TLS.
	rc        syscall.RawConn
	idle      *idleWaiter
	*reqState // nil while parked or closed

	// The client (the peer, or a PROXY header's source) and the local
	// address, as "host:port"; made on first use (remote, local), as most
	// requests never need them.
	remoteAddr string
	localAddr  string

	lis *listener     // accepted on (ops: TLS configuration, see proxy.go)
	sem chan struct{} // the max_connections slot set this connection holds one of
	// h2 is the HTTP/2 connection once the connection speaks HTTP/2
	// (h2.go); set under srv.mu, for Shutdown.
	h2 *h2.Conn
}

// reqState is what a connection needs only while it serves requests: the
// parser, the request, the response writer, the body reader and the head
// copy, whose slices grow to fit the traffic. It is pooled, so that a new
// connection starts with grown buffers instead of allocating them again,
// and a parked connection holds none of it: thousands of idle keep-alive
// connections each keep only their conn, which these would nearly
// double.
type reqState struct {
	parser http1.Parser
	req    http1.Request
	w      http1.ResponseWriter
	body   http1.Body
	head   []byte // copy of the request head while a body is read (see readRequest)
	// x is the request as dispatch sees it, with its scratch buffers.
	x dispatch.Exchange
	// logBuf is the access log's scratch buffer ($request_filename).
	logBuf []byte
	// rr reads a plain TCP connection with raw system calls
	// (internal/rawio); here rather than in conn, which must stay
	// small while parked.
	rr rawio.Reader
}

var reqStates = sync.Pool{New: func() any { return new(reqState) }}

func (c *conn) takeReqState() {
	if c.reqState == nil {
		c.reqState = reqStates.Get().(*reqState)
		c.w.Waiting = c
		if !c.tls && c.rc != nil {
			c.w.SetRawConn(c.rwc, c.rc)
		}
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
	rs.x.Reset()           // it points into the request
	rs.body = http1.Body{} // and the connection
	rs.w.Reset(nil, 1, false, false)
	rs.w.Waiting = nil
	rs.parser.Reset()
	rs.req.Reset()
	rs.head = rs.head[:0]
	rs.rr.Bind(nil)
	reqStates.Put(rs)
}

func newConn(s *Server, addr string, rwc net.Conn) *conn {
	c := &conn{srv: s, addr: addr, rwc: rwc}
	c.fd = -1
	if sc, ok := rwc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
			rc.Control(func(fd uintptr) { c.fd = int(fd) })
			c.loop = loopFor(c.fd) // used unless it speaks TLS
		}
	}
	return c
}

// Remote returns the client's address as "host:port".
func (c *conn) Remote() string {
	if c.remoteAddr == "" {
		c.remoteAddr = c.rwc.RemoteAddr().String()
	}
	return c.remoteAddr
}

// Local returns the address the connection was accepted on.
func (c *conn) Local() string {
	if c.localAddr == "" {
		c.localAddr = c.rwc.LocalAddr().String()
	}
	return c.localAddr
}

// TLS reports whether TLS is established on the connection.
func (c *conn) TLS() bool { return c.tls }

// ClientGone blocks until the client closes the connection (true), sends
// more bytes, or stop is closed (false); cgi.Runner.Serve runs it (dispatch.Peer) while a program
// works, after the request body has been read. It peeks at the socket
// (recv MSG_PEEK) instead of reading: a pipelined request stays unread,
// and the read buffer, which the current request's head may alias, is
// not touched. Like nginx (proxy_ignore_client_abort off), it takes a
// half-close for a close.
func (c *conn) ClientGone(stop <-chan struct{}) bool {
	nc := c.rwc
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn() // TLS: look at the TCP connection beneath
	}
	sc, ok := nc.(syscall.Conn)
	if !ok || c.br != nil && c.br.Buffered() > 0 {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	// The head and body deadlines no longer apply; stop ends the wait by
	// setting one in the past. The connection loop sets its own deadline
	// before its next read.
	nc.SetReadDeadline(time.Time{})
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-stop:
			nc.SetReadDeadline(time.Unix(1, 0))
		case <-done:
		}
	}()
	gone := false
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		n, err := peek(fd, b[:])
		if err == syscall.EAGAIN {
			return false // wait until readable (or the deadline)
		}
		gone = n == 0 && err == nil || err == syscall.ECONNRESET
		return true
	})
	close(done)
	<-stopped // no deadline may be set after this returns
	return gone
}

// dropReader gives the read buffer back while the connection is idle.
func (c *conn) dropReader() {
	if c.br != nil && c.br.Buffered() == 0 {
		c.srv.readers.put(c.br)
		c.br = nil
		c.pre = nil
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
		c.br = c.srv.readers.get(c.reader(), min(initialBuf, c.bufSize))
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
	if c.pre == nil {
		c.pre = new(prefixReader) // rare: most heads fit the initial buffer
	}
	c.pre.prefix = append(c.pre.prefix[:0], buf...)
	c.pre.r = c.reader()
	old := c.br
	c.br = c.srv.readers.get(c.pre, c.bufSize)
	old.Discard(len(buf))
	c.srv.readers.put(old)
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

// reader is what the read buffer reads the connection through: the raw
// reader of the request state for a plain TCP connection (the buffer is
// given back before the request state is), else the connection itself.
func (c *conn) reader() io.Reader {
	if c.rc != nil && !c.tls && canRawRead {
		c.rr.Bind(c.rc)
		return &c.rr
	}
	return c.rwc
}

// sockClose closes the connection from a goroutine that does not own it
// (shutdown, reclaim): beneath TLS, the socket itself, so that nothing
// but the owner ever reads or writes the TLS layer (whose close writes
// an alert, which the owner's loop must hear of: loopWillWait). The
// owner's read or write fails and it closes the rest. Call it under
// s.mu, where prepare replaces rwc.
func (c *conn) sockClose() {
	if tc, ok := c.rwc.(*tls.Conn); ok {
		tc.NetConn().Close()
		return
	}
	c.rwc.Close()
}

func (c *conn) close() {
	if c.loop != nil {
		c.loop.forget(c)
	}
	c.giveReqState() // first: a TLS close_notify that waits keeps its own 5 s deadline (loopWillWait)
	c.rwc.Close()
	if c.br != nil {
		c.br.Discard(c.br.Buffered())
		c.srv.readers.put(c.br)
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
				c.leave() // it waits for the client
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
			c.srv.Log.Error("panic serving connection", "remote", c.Remote(), "panic", v, "stack", string(debug.Stack()))
		}
	}()
	if first && !c.prepare() { // PROXY header, TLS handshake (proxy.go)
		return
	}
	if first && c.tls && negotiatedH2(c.rwc) {
		c.serveH2(nil) // h2.go
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
		// A loop waits for every request in its epoll set, the first
		// one of a connection it accepted (accept_linux.go) too.
		if err := c.readRequest(lim, idle, def.ClientHeaderTimeout, n > 0 || c.serving != nil); err != nil {
			if err == errParked {
				parked = true
				return
			}
			if err == errH2Preface {
				c.leave() // an HTTP/2 connection waits in its goroutines
				buf, _ := c.br.Peek(c.br.Buffered())
				c.serveH2(append([]byte(nil), buf...)) // h2.go
				return
			}
			if se := http1.StatusOf(err); se != nil {
				c.sendParseError(st, se)
			}
			return
		}
		if n == 0 && c.req.KeepAlive {
			// Kept alive (loop.go): a response in pieces (a head, then
			// a file; several ranges) must not wait for the client's
			// acknowledgement, which a client may delay by up to
			// 200 ms. With the close after it, the close sends the
			// rest.
			c.noDelay()
		}
		if c.srv.inShutdown.Load() {
			c.req.KeepAlive = false
		}
		// A reload while the connection waited applies to this request.
		if cur := c.srv.state.Load(); cur != st {
			if st = c.srv.requestState(c.addr); st == nil {
				return // the reload removed this address
			}
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
	first := c.nreq == 0
	if buffered {
		arrived(c)
	} else {
		c.goIdle(!first)
	}
	if first && crowded(c.sem) {
		// Slots are short (reclaim.go): a new connection gets a moment,
		// not client_header_timeout, to start its request.
		idle = min(idle, crowdedFirstByte)
	}
	if c.br != nil && c.br.Size() > c.bufSize && c.br.Buffered() == 0 {
		c.srv.readers.put(c.br) // the limits shrank (reload)
		c.br = nil
	}
	if mayPark && c.loop != nil && (!c.tls || c.tlsLoop) && !c.srv.inShutdown.Load() {
		if err := c.loopWait(idle); err != nil {
			return err // errParked, or the read failed
		}
	}
	if mayPark && c.idle == nil && c.rc != nil && !c.tls && c.loop == nil {
		c.idle = newIdleWaiter(c.rc, c.dropReader)
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
			c.br = c.srv.readers.get(c.reader(), min(initialBuf, c.bufSize))
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
	h2c := c.nreq == 0 && !c.tls && c.srv.state.Load().listens[c.addr].http2
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		parse := true
		if h2c {
			// h2c with prior knowledge (RFC 9113 §3.3), h2.go.
			switch yes, more := sniffH2(buf); {
			case yes:
				return errH2Preface
			case more:
				parse = false // not yet told apart from HTTP/1.x
			default:
				h2c = false
			}
		}
		if parse {
			n, err := c.parser.Parse(buf, &c.req)
			if err == nil {
				c.finishHead(buf, n)
				return nil
			}
			if err != http1.ErrIncomplete {
				return err
			}
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
			c.leave() // the rest of the head may take a while
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
	if lvl, ok := dispatch.FailureLevel(c.srv.Log, status); ok {
		c.srv.Log.Log(context.Background(), lvl, "request rejected", "status", status, "cause", se.Msg, "remote", c.Remote())
	}
	c.w.Reset(c.rwc, 1, false, false)
	def := st.table.Server(c.addr, nil)
	c.w.SendTimeout = def.SendTimeout
	c.w.LazyDeadline = c.serving != nil
	c.w.ServerTokens = def.ServerTokens
	dispatch.WriteBuiltinError(&c.w, status)
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
	c.w.LazyDeadline = c.serving != nil
	c.w.ServerTokens = srv.ServerTokens
	c.body.Reset(c.br, c.rwc, &c.w, req, srv.Default.MaxBodySize, srv.Default.BodyTimeout)
	// An unread body is discarded or the close announced (BeforeHead).
	c.w.BeforeHead = &c.body
	defer c.logRequest(st, srv, requestStart(st, srv), true) // status.go; runs after the recover below

	defer func() {
		if v := recover(); v != nil {
			c.srv.Log.Error("panic serving request", "remote", c.Remote(), "target", string(req.Target), "panic", v, "stack", string(debug.Stack()))
			if !c.w.HeadSent() {
				c.w.Reset(c.rwc, req.Minor, false, false)
				dispatch.WriteBuiltinError(&c.w, 500)
			}
			keep = false
		}
	}()

	if req.ContentLength > 0 || req.Chunked {
		c.leave() // reading the body waits for the client
	}
	x := &c.x
	x.Req, x.W, x.Body, x.Peer = req, &c.w, &c.body, c
	if st.dispatch.Serve(x, srv) {
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
		c.linger = !c.body.Finished()
		return false
	}
	if !c.body.Drain() {
		c.linger = true
		return false
	}
	return true
}

// lingerClose closes the connection gently after a response that left
// request bytes unread (http1.Linger). The connection counts as idle
// meanwhile, so shutdown may cut it short.
func (c *conn) lingerClose() {
	if !http1.CloseWrite(c.rwc) {
		return
	}
	c.goIdle(true)
	http1.Linger(c.rwc)
}
