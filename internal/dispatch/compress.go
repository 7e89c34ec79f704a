package dispatch

import (
	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// compressing returns the writer that a response from a file or a CGI
// program for req at loc is written to: the exchange's compressing wrapper
// of h.w (internal/compress, SPEC §7) when loc compresses, else h.w
// itself. The caller calls h.x.cw.Finish(failed) once the handler has
// returned — failed when it returned an error, so that nothing more goes
// out and an error page can still be rendered on h.w.
func (h *handler) compressing(req *http1.Request, loc *config.Location) response.Writer {
	return h.x.cw.Reset(h.w, req, loc, h.d.Variants)
}
