package server

import (
	"strconv"
	"sync/atomic"
	"time"

	"webserv/internal/accesslog"
	"webserv/internal/config"
	"webserv/internal/dispatch"
	"webserv/internal/http1"
	"webserv/internal/route"
)

// stats are the server's counters. They are atomics, updated on the
// request path without locks; the status page reads them.
type stats struct {
	accepted atomic.Int64 // connections accepted
	handled  atomic.Int64 // connections taken into service (accepted minus those refused at shutdown)
	// requests counts finished requests by status class: [1] 1xx ..
	// [5] 5xx; [0] requests that got no status (client gone first).
	requests [6]atomic.Int64
	// protoRequests counts the same requests by protocol: [0] HTTP/1.x,
	// [1] HTTP/2 (streams).
	protoRequests  [2]atomic.Int64
	h2Conns        atomic.Int64 // connections that spoke HTTP/2 (ALPN h2 or h2c)
	sentBytes      atomic.Int64 // response bytes written, heads included
	reloads        atomic.Int64
	reloadFailures atomic.Int64
	dispatch       dispatch.Counters // CGI programs running, waiting and refused
	closedLogDrops atomic.Int64      // access log drops of writers already closed
	tlsErrors      atomic.Int64      // failed TLS handshakes
	proxyErrors    atomic.Int64      // connections closed for a bad PROXY header
	reclaimed      atomic.Int64      // idle connections closed for a slot (reclaim.go)
}

// ReloadFailed counts a reload that failed before reaching the server
// (the new configuration did not parse).
func (s *Server) ReloadFailed() { s.stats.reloadFailures.Add(1) }

// requestStart is the start time an access log line needs, or the zero
// time when srv has no access log (sparing the clock read).
func requestStart(st *state, srv *config.Server) time.Time {
	if _, ok := st.logs[srv]; ok {
		return time.Now()
	}
	return time.Time{}
}

// finished is an exchange at its end, as the counters and the access log
// see it, whichever protocol carried it.
type finished struct {
	w     loggedWriter
	req   *http1.Request     // nil: the head did not parse (a 400 or 408)
	x     *dispatch.Exchange // the location that answered, with req
	peer  dispatch.Peer
	http2 bool
	buf   *[]byte // scratch for $request_filename, kept by the connection
}

// loggedWriter is what the access log reads of a response writer.
type loggedWriter interface {
	Status() int
	BodyBytesSent() int64
}

// bytesSent is the response's bytes on the wire, head included, where
// the writer counts them (HTTP/1.1); else its body bytes.
func bytesSent(w loggedWriter) int64 {
	if b, ok := w.(interface{ BytesSent() int64 }); ok {
		return b.BytesSent()
	}
	return w.BodyBytesSent()
}

// logRequest records a finished request: counters, and the access log
// line of srv when it has one. It runs after the response (and any
// panic's 500) is written and while the request is still valid.
func (s *Server) logRequest(st *state, srv *config.Server, start time.Time, f *finished) {
	status := f.w.Status()
	class := status / 100
	if class > 5 {
		class = 0
	}
	s.stats.requests[class].Add(1)
	if f.http2 {
		s.stats.protoRequests[1].Add(1)
	} else {
		s.stats.protoRequests[0].Add(1)
	}
	sent := bytesSent(f.w)
	s.stats.sentBytes.Add(sent)
	l, ok := st.logs[srv]
	var loc *config.Location
	var uri string
	if f.req != nil {
		loc, uri = f.x.Served()
	}
	if !ok || loc != nil && loc.AccessLogOff {
		return
	}
	if status == 0 {
		status = 499 // nginx's "client closed request": nothing was answered
	}
	now := time.Now()
	e := accesslog.Entry{
		Time:       now,
		RemoteAddr: f.peer.Remote(),
		Status:     status,
		BodyBytes:  f.w.BodyBytesSent(),
		ServerName: dispatch.ServerName(srv),
		HTTP2:      f.http2,
	}
	if req := f.req; req != nil {
		e.Duration = now.Sub(start)
		e.Method, e.Target, e.Minor = req.Method, req.Target, req.Minor
		e.Referer, e.UserAgent = req.Get("Referer"), req.Get("User-Agent")
		if l.tmpl != nil {
			e.Path, e.Query, e.Host, e.Header = req.Path, req.Query, route.StripPort(req.Host), req
			// The location that answered and its URI.
			if loc != nil {
				e.URI, e.DocumentRoot = uri, dispatch.DocumentRoot(loc)
				if l.tmpl.NeedsFilename() && uri != "" {
					*f.buf = route.AppendFilePath((*f.buf)[:0], loc, uri)
					e.Filename = *f.buf
				}
			}
		}
	}
	if l.tmpl != nil {
		e.BytesSent, e.LocalAddr, e.TLS = sent, f.peer.Local(), f.peer.TLS()
		l.w.LogTemplate(l.tmpl, &e)
		return
	}
	l.w.Log(l.format, &e)
}

// logRequest records the connection's request; parsed is false for a
// request whose head could not be parsed (then c.req is not used).
func (c *conn) logRequest(st *state, srv *config.Server, start time.Time, parsed bool) {
	f := finished{w: &c.w, x: &c.x, peer: c, buf: &c.logBuf}
	if parsed {
		f.req = &c.req
	}
	c.srv.logRequest(st, srv, start, &f)
}

// appendStatus appends the status page (a `status;` location, see
// dispatch) to b: the counters in the Prometheus text exposition format
// (version 0.0.4), like nginx's stub_status.
func (s *Server) appendStatus(st *state, b []byte) []byte {
	open, waiting := s.connCounts()
	var drops int64
	for _, w := range st.writers {
		drops += w.Dropped()
	}
	drops += s.stats.closedLogDrops.Load()

	metric := func(name, typ, help string, v int64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" "+typ+"\n"+name+" "...)
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	metric("webserv_connections_accepted_total", "counter", "Client connections accepted.", s.stats.accepted.Load())
	metric("webserv_connections_handled_total", "counter", "Client connections taken into service.", s.stats.handled.Load())
	metric("webserv_connections_open", "gauge", "Client connections open now.", int64(open))
	metric("webserv_connections_waiting", "gauge", "Open connections waiting for a request (idle keep-alive).", int64(waiting))
	metric("webserv_connections_active", "gauge", "Open connections reading a request or writing a response.", int64(open-waiting))
	metric("webserv_connections_reclaimed_total", "counter", "Idle connections closed to make room under max_connections.", s.stats.reclaimed.Load())
	b = append(b, "# HELP webserv_requests_total Requests answered, by status class.\n# TYPE webserv_requests_total counter\n"...)
	for class, label := range [...]string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		b = append(b, `webserv_requests_total{class="`+label+`"} `...)
		b = strconv.AppendInt(b, s.stats.requests[class].Load(), 10)
		b = append(b, '\n')
	}
	b = append(b, "# HELP webserv_protocol_requests_total Requests answered, by protocol.\n# TYPE webserv_protocol_requests_total counter\n"...)
	for i, label := range [...]string{"http/1.1", "h2"} {
		b = append(b, `webserv_protocol_requests_total{protocol="`+label+`"} `...)
		b = strconv.AppendInt(b, s.stats.protoRequests[i].Load(), 10)
		b = append(b, '\n')
	}
	metric("webserv_http2_connections_total", "counter", "Client connections that spoke HTTP/2 (h2 through ALPN, or h2c).", s.stats.h2Conns.Load())
	metric("webserv_sent_bytes_total", "counter", "Response bytes written, heads included.", s.stats.sentBytes.Load())
	metric("webserv_reloads_total", "counter", "Configuration reloads that took effect.", s.stats.reloads.Load())
	metric("webserv_reload_failures_total", "counter", "Configuration reloads refused (the old configuration kept serving).", s.stats.reloadFailures.Load())
	metric("webserv_access_log_dropped_total", "counter", "Access log lines dropped because the disk did not keep up.", drops)
	metric("webserv_cgi_running", "gauge", "CGI programs running now.", s.stats.dispatch.CGIRunning.Load())
	metric("webserv_cgi_waiting", "gauge", "Requests waiting for a CGI slot (cgi_max_processes).", s.stats.dispatch.CGIWaiting.Load())
	metric("webserv_cgi_rejected_total", "counter", "Requests answered 503 for want of a CGI slot.", s.stats.dispatch.CGIRejected.Load())
	metric("webserv_tls_handshake_errors_total", "counter", "TLS handshakes that failed.", s.stats.tlsErrors.Load())
	metric("webserv_proxy_protocol_errors_total", "counter", "Connections closed for a missing or invalid PROXY protocol header.", s.stats.proxyErrors.Load())

	return b
}

// connCounts returns the open connections and how many of them wait for a
// request. It takes s.mu: the status page is not the hot path.
func (s *Server) connCounts() (open, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.parked.Load() || c.state.Load() == stateIdle {
			waiting++
		}
	}
	return len(s.conns), waiting
}
