package dispatch

import (
	"io"

	"webserv/internal/config"
	"webserv/internal/content"
	"webserv/internal/http1"
)

// handle calls hd, a content handler (static files, uploads, CGI), for r:
// the one way dispatch calls a handler. The handler writes to the
// exchange's compressing wrapper of h.w (internal/compress, SPEC §7) when
// r's location compresses, else to h.w itself; when it fails (or asks
// for a local redirect) nothing more goes out through the wrapper, so
// that an error page can still be rendered on h.w. A body that fell short
// of its declared length is an error too (the response cannot complete).
func (h *handler) handle(hd content.Handler, r *content.Request) error {
	w := h.x.cw.Reset(h.w, r.HTTP, r.Loc, h.d.Variants)
	err := hd.Handle(w, r)
	if ferr := h.x.cw.Finish(err != nil); err == nil && ferr != nil {
		err = ferr // the body fell short of its declared length
	}
	return err
}

// request fills the exchange's content request for req at loc (one per
// exchange, reused: a request allocates nothing for it). body is the
// request body when the handler may read it, else nil.
func (h *handler) request(req *http1.Request, loc *config.Location, path string, status int, body io.Reader) *content.Request {
	r := &h.x.creq
	*r = content.Request{HTTP: req, Server: h.srv, Loc: loc, Path: path, Status: status, Body: body, Peer: h.x.Peer}
	return r
}
