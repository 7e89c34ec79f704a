// Package content is the contract between the dispatch layer and the
// handlers that produce a response's content — static files
// (static.Files), uploads and deletes (upload.Handler) and CGI programs
// (cgi.Handler): one signature, Handler.Handle, over the protocol-neutral
// response.Writer, with the request as dispatch routed it. Dispatch calls
// every handler the same way, so that what wraps a response (compression)
// is applied in one place, whichever protocol carries it.
package content

import (
	"io"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// Handler produces the response to one routed request. An error with
// nothing written (w.Written false) is rendered by dispatch: a
// *http1.StatusError carries its status, anything else is a 500. An error
// after the status is fixed means the response is incomplete: the handler
// has called w.CloseAfter, and the exchange ends without completing it.
type Handler interface {
	Handle(w response.Writer, r *Request) error
}

// Request is a request as dispatch routed it.
type Request struct {
	// HTTP is the request (an internal redirect's, or an error page's
	// GET, which differ from the client's).
	HTTP *http1.Request
	// Server is the virtual server and Loc the location serving it (its
	// alias expanded); Path is the clean, decoded URL path within it.
	Server *config.Server
	Loc    *config.Location
	Path   string
	// Status, when not 0, is the status to answer with: the handler
	// produces an error page's content for it.
	Status int
	// Body is the request body when it is this handler's to read, else
	// nil.
	Body io.Reader
	// Peer is the connection the request came on.
	Peer Peer
}

// Peer is the connection a request came on.
type Peer interface {
	// Remote and Local are the client's (the peer's, or a PROXY header's
	// source) and the server's addresses, as "host:port".
	Remote() string
	Local() string
	// TLS reports whether the connection is encrypted.
	TLS() bool
	// ClientGone blocks until the client goes away (true), or sends
	// more, or stop is closed (false); CGI runs it while a program works.
	ClientGone(stop <-chan struct{}) bool
}

// Detach tells p that the handler about to run may wait a long time (for
// a CGI program, or an upload's body): a connection served by an event
// loop (internal/server) hands the loop on first, if it has a Detach
// method.
func Detach(p Peer) {
	if d, ok := p.(interface{ Detach() }); ok {
		d.Detach()
	}
}

// HTTP2 reports whether p is an HTTP/2 stream's connection: one that has
// an HTTP2 method saying so (an HTTP/1.1 connection has none).
func HTTP2(p Peer) bool {
	h, ok := p.(interface{ HTTP2() bool })
	return ok && h.HTTP2()
}

// LocalRedirect is the error a handler returns, with nothing written, to
// have the request served again at Target (a CGI program's local redirect,
// RFC 3875 §6.2.2: a path and query, served as a GET).
type LocalRedirect struct {
	Target string
}

func (r *LocalRedirect) Error() string { return "local redirect to " + r.Target }
