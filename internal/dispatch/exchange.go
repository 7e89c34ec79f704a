package dispatch

import (
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"webserv/internal/cgi"
	"webserv/internal/compress"
	"webserv/internal/config"
	"webserv/internal/content"
	"webserv/internal/http1"
	"webserv/internal/response"
	"webserv/internal/static"
	"webserv/internal/upload"
)

// Dispatcher applies one configuration's nginx rules to requests: it is
// built with each configuration snapshot (a reload builds a new one) and
// shared by every connection and protocol serving under it.
type Dispatcher struct {
	Log     *slog.Logger
	Uploads *upload.Handler
	// CGISlots has one slot per CGI program allowed to run at once
	// (cgi_max_processes).
	CGISlots chan struct{}
	// Done is closed when the server shuts down: no new CGI programs.
	Done <-chan struct{}
	// Counters are the server's, for its status page.
	Counters *Counters
	// StatusPage appends the body of the status page (`status;`
	// location) to b: the counters belong to the server, the rule that
	// answers with them here.
	StatusPage func(b []byte) []byte
	// OnRequest, when set (tests), runs at the start of every request.
	OnRequest *atomic.Pointer[func(*http1.Request)]
	// Variants keeps the compressed variants of small files (nil: none);
	// the server's, kept across reloads: it is keyed by file identity.
	Variants *compress.Cache
	// Files serves this configuration's static files, with its caches
	// and root directories (closed when the configuration is retired).
	Files *static.Files
	// CGI runs the server's CGI programs; the server kills those still
	// running at its shutdown, and no other server's.
	CGI *cgi.Runner
}

// Counters are what dispatch counts for the status page; atomics, updated
// on the request path without locks.
type Counters struct {
	CGIRunning  atomic.Int64
	CGIWaiting  atomic.Int64 // requests waiting for a CGI slot
	CGIRejected atomic.Int64 // requests refused a CGI slot: 503
}

// Exchange is one request being answered, as the protocol layer hands it
// to dispatch: the parsed request, the response writer, the request body
// and the connection it came on. The protocol layer owns it and reuses it
// for the requests of a connection (HTTP/1.1) or a stream (HTTP/2), so
// that its scratch buffers are grown once.
type Exchange struct {
	Req  *http1.Request
	W    response.Writer
	Body Body
	Peer Peer

	// Variables (vars.go): the current request's expansion context and
	// scratch buffers for expansions, kept across requests.
	vars   reqVars
	varBuf []byte
	hdrBuf []byte // add_header values expanded for the current response
	uriBuf []byte // index file URIs routed (indexRoutesAway)

	cw   compress.Writer // W's compressing wrapper, reused (handle.go)
	creq content.Request // the request as handlers get it (handle.go)
	cgi  cgi.Handler     // the CGI program being run (execCGI)
}

// Body is a request body as a protocol carries it: Content-Length or
// chunked framing on HTTP/1.1, DATA frames under flow control on HTTP/2.
// A read past the location's client_max_body_size fails with a 413
// *http1.StatusError; a read that times out, with a 408.
type Body interface {
	io.Reader
	// SetLimits applies the selected location's client_max_body_size
	// (0: none) and client_body_timeout before any byte is read.
	SetLimits(max int64, timeout time.Duration)
	// Share tells the body that another goroutine (a CGI program's stdin
	// copy) reads it until Share(false): the transport must not settle
	// it under that reader.
	Share(shared bool)
	// Settle deals with what the handler left unread now, on this
	// goroutine, before a response head (discard it, or plan to end the
	// exchange).
	Settle()
}

// Peer is the connection a request came on (content.Peer).
type Peer = content.Peer

// Reset forgets the request, which the expansion context points into;
// the scratch buffers are kept unless one response made them large.
func (x *Exchange) Reset() {
	x.vars = reqVars{}
	x.resetHeaderBuf()
}

// Forget is Reset, and drops the request, writer, body and peer, the
// request as handlers saw it and the compressing wrapper's writer: for an
// exchange kept in a pool between streams, which must neither carry one
// stream's variables into the next (a 421 logged under the last request's
// location) nor keep a finished stream reachable.
func (x *Exchange) Forget() {
	x.Reset()
	x.Req, x.W, x.Body, x.Peer = nil, nil, nil, nil
	x.creq = content.Request{}
	x.cw.Forget()
}

// Served returns the location that answered the last request and its URI
// ($uri), for the access log; loc is nil before dispatch chose one.
func (x *Exchange) Served() (loc *config.Location, uri string) {
	return x.vars.loc, x.vars.path
}

// Serve answers x.Req, a request that parsed well, for srv (the virtual
// server its Host selected). It reports abort when the response could not
// be completed after bytes went out (a CGI program that failed mid-body, a
// client gone): the transport must then end the exchange without
// finishing the response, which would frame a truncated body as complete.
func (d *Dispatcher) Serve(x *Exchange, srv *config.Server) (abort bool) {
	h := handler{d: d, x: x, srv: srv, req: x.Req, w: x.W}
	h.serve()
	return h.abort
}
