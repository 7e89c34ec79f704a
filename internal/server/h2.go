package server

import (
	"crypto/tls"
	"errors"
	"net"
	"runtime/debug"
	"strings"

	"webserv/internal/config"
	"webserv/internal/dispatch"
	"webserv/internal/h2"
	"webserv/internal/http1"
	"webserv/internal/route"
)

// HTTP/2 (RFC 9113): a connection that negotiated "h2" through ALPN on an
// ssl listener, or that opened with the client preface on a plain listener
// where HTTP/2 is enabled (h2c with prior knowledge, §3.3), is handed to
// internal/h2 for good. Each stream's request goes through the same
// dispatch layer as an HTTP/1.1 request, with the stream as its
// response.Writer.

// errH2Preface: a plain connection opened with the HTTP/2 client preface.
var errH2Preface = errors.New("server: HTTP/2 client preface")

// h2Preface is the client connection preface (RFC 9113 §3.4).
const h2Preface = h2.ClientPreface

// sniffH2 decides, for the first bytes buf of a plain connection where
// HTTP/2 is enabled, whether it opens with the HTTP/2 preface: yes, no,
// or more bytes are needed (a preface cut short by the network looks like
// a complete HTTP/1.x head "PRI * HTTP/2.0\r\n\r\n" at 18 bytes).
func sniffH2(buf []byte) (h2, more bool) {
	n := min(len(buf), len(h2Preface))
	if string(buf[:n]) != h2Preface[:n] {
		return false, false
	}
	return n == len(h2Preface), n < len(h2Preface)
}

// serveH2 serves the connection as HTTP/2 until it ends; buffered holds
// the bytes already read from it.
func (c *conn) serveH2(buffered []byte) {
	st := c.srv.state.Load()
	def := st.table.Server(c.addr, nil)
	if def == nil {
		return // a reload removed this address
	}
	cfg := &h2.Config{
		MaxConcurrentStreams: uint32(def.HTTP2MaxStreams),
		// The header list a request may have, as HTTP/1.1's head bound.
		MaxHeaderListSize: uint32(def.ClientMaxURILength + def.ClientMaxHeaderSize),
		MaxURILength:      int(def.ClientMaxURILength), // :path, as the request-target: 414
		IdleTimeout:       def.KeepaliveTimeout,
		PrefaceTimeout:    def.ClientHeaderTimeout,
		BodyTimeout:       def.Default.BodyTimeout,
		SendTimeout:       def.SendTimeout,
		Log:               c.srv.Log,
		// Between streams the connection is idle, as a keep-alive
		// HTTP/1.1 one is: reclaim may close it when max_connections
		// runs short (reclaim.go). A stream takes it back to active,
		// unless reclaim got there first.
		Idle: func(idle bool) bool {
			if idle {
				c.goIdle(true)
				return true
			}
			return c.state.CompareAndSwap(stateIdle, stateActive)
		},
	}
	if crowded(c.sem) {
		// Slots are short: a new connection gets a moment, not
		// client_header_timeout, to send its preface (as readRequest).
		cfg.PrefaceTimeout = min(cfg.PrefaceTimeout, crowdedFirstByte)
	}
	// Until its first stream the connection is idle (a new one: reclaim
	// takes those last).
	c.goIdle(false)
	c.srv.stats.h2Conns.Add(1)
	// The name the client checked the certificate for (SNI), for 421.
	var sni string
	if tc, ok := c.rwc.(*tls.Conn); ok {
		sni = tc.ConnectionState().ServerName
	}
	// Every stream reads the addresses from its own goroutine: fill them
	// once now, not lazily and concurrently.
	c.Remote()
	c.Local()
	hc := h2.NewConn(c.rwc, cfg, h2Handler{c, sni})
	c.srv.mu.Lock()
	c.h2 = hc
	shutting := c.srv.inShutdown.Load()
	c.srv.mu.Unlock()
	if shutting {
		hc.Shutdown()
	}
	if err := hc.Serve(buffered); err != nil {
		c.srv.Log.Debug("HTTP/2 connection ended", "remote", c.Remote(), "err", err)
	}
}

// h2Handler serves the streams of one HTTP/2 connection.
type h2Handler struct {
	c   *conn
	sni string // the TLS client's server name, if any
}

// h2Exchange is what serving a stream takes beside the stream: the
// dispatch exchange, its peer, the access log's view and scratch. The
// server keeps those of finished streams for the next ones (an HTTP/1.1
// connection keeps its one exchange the same way), so that a stream
// does not cost the heap the exchange's half kilobyte and three more
// objects.
type h2Exchange struct {
	x    dispatch.Exchange
	peer h2Peer
	f    finished
	buf  []byte // $request_filename for the access log
}

// ServeStream answers one stream's request through the dispatch layer of
// the configuration in force.
func (h h2Handler) ServeStream(s *h2.Stream) {
	c := h.c
	req := s.Request()
	st := c.srv.requestState(c.addr)
	if st == nil {
		s.CloseAfter() // a reload removed this address
		return
	}
	srv := st.table.Server(c.addr, req.Host)
	s.SetServerTokens(srv.ServerTokens)
	e, _ := c.srv.h2Exchanges.Get().(*h2Exchange)
	if e == nil {
		e = new(h2Exchange)
	}
	// The stream's body has the location's limits (dispatch.Body); the
	// peer is the connection's, whose client address a PROXY header may
	// have given.
	e.peer = h2Peer{c: c, s: s}
	x := &e.x
	x.Req, x.W, x.Body, x.Peer = req, s, s.Body(), &e.peer
	e.f = finished{w: s, req: req, x: x, peer: x.Peer, http2: true, buf: &e.buf}
	f := &e.f
	panicked := false
	defer func() {
		if panicked {
			return // what the exchange holds is in doubt: left to the collector
		}
		// Nothing of the stream's is kept: the next stream sets all of it.
		e.peer, e.f = h2Peer{}, finished{}
		x.Forget()
		c.srv.h2Exchanges.Put(e)
	}()
	defer c.srv.logRequest(st, srv, requestStart(st, srv), f)
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			c.srv.Log.Error("panic serving request", "remote", c.Remote(), "target", string(req.Target), "panic", v, "stack", string(debug.Stack()))
			if !s.Written() {
				s.Header().Reset()
				dispatch.WriteBuiltinError(s, 500)
			} else {
				s.CloseAfter()
			}
		}
	}()
	if err := s.Err(); err != nil {
		status := 400
		if se := http1.StatusOf(err); se != nil {
			status = se.Status
		}
		f.req = nil // not a request the log can describe
		dispatch.WriteBuiltinError(s, status)
		return
	}
	if c.tls && !sameServer(st, c.addr, h.sni, req.Host, srv) {
		// RFC 9113 §9.1.1: the certificate the client checked was for
		// the name it sent in SNI; a request for another server on this
		// connection is refused so that it retries on its own one.
		dispatch.WriteBuiltinError(s, 421)
		return
	}
	if st.dispatch.Serve(x, srv) {
		s.CloseAfter() // incomplete: RST_STREAM, not END_STREAM
	}
}

// sameServer reports whether the server the connection's SNI name chose
// is srv, the one its request's authority selects (a client without SNI
// gets the address's default server).
func sameServer(st *state, addr, sni string, host []byte, srv *config.Server) bool {
	if sni == "" {
		// Without SNI the client got the address's default server's
		// certificate: that server answers, no other.
		return srv == st.table.Server(addr, nil)
	}
	if strings.EqualFold(string(route.StripPort(host)), sni) {
		return true
	}
	return st.table.Server(addr, []byte(sni)) == srv
}

// h2Peer is the connection of an HTTP/2 stream (dispatch.Peer): the
// stream's, with the connection's addresses, which a PROXY header may
// have given.
type h2Peer struct {
	c *conn
	s *h2.Stream
}

func (p *h2Peer) Remote() string { return p.c.Remote() }
func (p *h2Peer) Local() string  { return p.c.Local() }
func (p *h2Peer) TLS() bool      { return p.c.tls }

// HTTP2 tells the dispatch layer the protocol (CGI's SERVER_PROTOCOL).
func (p *h2Peer) HTTP2() bool { return true }

// ClientGone is the stream's: a reset, or the connection's end.
func (p *h2Peer) ClientGone(stop <-chan struct{}) bool { return p.s.ClientGone(stop) }

// alpn is the protocols offered through ALPN (RFC 7301) on a TLS
// connection to srv.
func alpn(srv *config.Server) []string {
	if srv != nil && srv.HTTP2 == config.HTTP2Off {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
}

// negotiatedH2 reports whether the TLS connection nc chose "h2".
func negotiatedH2(nc net.Conn) bool {
	tc, ok := nc.(*tls.Conn)
	return ok && tc.ConnectionState().NegotiatedProtocol == "h2"
}
