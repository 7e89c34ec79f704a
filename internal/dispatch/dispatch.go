package dispatch

import (
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"webserv/internal/cgi"
	"webserv/internal/config"
	"webserv/internal/content"
	"webserv/internal/http1"
	"webserv/internal/response"
	"webserv/internal/route"
)

// handler serves one request that parsed well: virtual host and location
// selection, the location's rules (return, methods, body size), then the
// content handler. Every error status is rendered in one place, errorPage.
type handler struct {
	d   *Dispatcher
	x   *Exchange
	srv *config.Server
	req *http1.Request
	w   response.Writer
	// path is the clean URL path once dispatch has it ("" before): the
	// file a 403 or 404 is about, for the error log.
	path string
	// abort is set when the response cannot be completed (bytes already
	// sent, then a failure): the connection closes without Finish.
	abort bool
	// bodyReq is the request (the connection's, or a try_files internal
	// redirect of it) whose body is still the connection's to read.
	bodyReq *http1.Request
	// internal is a try_files internal redirect to serve next (tryfiles.go),
	// and named the `location @name` it goes to, if any.
	internal *http1.Request
	named    *config.Location
	// start is the location the current dispatch selected for its path
	// (before a try_files fallback to @name): a file that it runs is not
	// sent from elsewhere (sendCheck).
	start *config.Location
}

// maxLocalRedirects bounds CGI local redirects (RFC 3875 §6.2.2) per
// request, as nginx bounds internal redirects, so two scripts pointing at
// each other cannot loop.
const maxLocalRedirects = 10

// methodString returns the method as a constant string (no allocation for
// the known methods, which the parser guarantees).
func methodString(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "OPTIONS":
		return "OPTIONS"
	case "PATCH":
		return "PATCH"
	case "TRACE":
		return "TRACE"
	}
	return string(m)
}

func (h *handler) serve() {
	req := h.req
	if h.d.OnRequest != nil {
		if hook := h.d.OnRequest.Load(); hook != nil {
			(*hook)(req)
		}
	}
	// Before any answer: the access log reads the variables too.
	h.setVars(req, h.srv.Default, "", nil)
	h.x.resetHeaderBuf()
	if string(req.Path) == "*" {
		// RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole.
		h.w.Header().Set("Allow", allowHeader(h.srv.Default))
		h.w.WriteHeader(204)
		return
	}
	h.bodyReq = req
	for range maxLocalRedirects {
		redirect := h.dispatch(req)
		if h.internal != nil {
			// try_files: the same request at another URI (tryfiles.go).
			req, h.internal = h.internal, nil
			continue
		}
		if redirect == "" {
			return
		}
		// A CGI local redirect: serve the new URI as a GET without a body,
		// as Apache and nginx do.
		r2 := *req
		r2.Method = []byte("GET")
		r2.Target = []byte(redirect)
		p, q, _ := strings.Cut(redirect, "?")
		r2.Path, r2.Query = []byte(p), []byte(q)
		r2.ContentLength, r2.Chunked, r2.ExpectContinue = -1, false, false
		req = &r2
	}
	h.logFailure(h.srv.Default, 500, "too many internal redirects (CGI local redirects or try_files)", nil)
	h.errorPage(h.srv.Default, 500, "")
}

// dispatch serves req (the connection's request, or a CGI local
// redirect's) and returns the target of a further local redirect, or "".
func (h *handler) dispatch(req *http1.Request) string {
	method := methodString(req.Method)
	path, err := route.CleanPath(req.Path)
	if err != nil {
		h.fail(h.srv.Default, err)
		return ""
	}
	h.path = path
	var loc *config.Location
	var caps []int
	if h.named != nil {
		loc, h.named = h.named, nil
	} else {
		loc, caps = route.Select(h.srv, path)
		h.start = loc
	}
	if loc.AliasTmpl != nil {
		l := h.expandAlias(loc, req, path, caps) // tryfiles.go
		if l == nil {
			h.logFailure(loc, 404, "alias expands to a relative path or one with \"..\"", nil)
			h.errorPage(loc, 404, path)
			return ""
		}
		loc = l
	}
	h.setVars(req, loc, path, caps)
	h.x.Body.SetLimits(loc.MaxBodySize, loc.BodyTimeout)

	// nginx's rewrite phase (return) runs before its access phase (methods).
	if loc.Return != nil {
		h.doReturn(loc, loc.Return)
		return ""
	}
	if !loc.Allows(method) {
		h.w.Header().Set("Allow", allowHeader(loc))
		h.logFailure(loc, 405, "method not allowed by the location's methods", nil)
		h.errorPage(loc, 405, path)
		return ""
	}
	if method == "OPTIONS" {
		// SPEC §2: OPTIONS is a method like the others, answered only
		// where `methods` allows it (RFC 9110 §9.3.7).
		h.addHeaders(loc)
		h.w.Header().Set("Allow", allowHeader(loc))
		h.w.WriteHeader(204)
		return ""
	}
	if loc.Status {
		h.addHeaders(loc)
		h.serveStatus()
		return ""
	}
	// RFC 9112 §6.3: a request body is delimited by Content-Length or
	// chunked; POST and PUT without either cannot carry the content they
	// are for. HTTP/2 frames delimit every body (RFC 9113 §8.1): one
	// without either is empty.
	if (method == "POST" || method == "PUT") && req.ContentLength < 0 && !req.Chunked && !content.HTTP2(h.x.Peer) {
		h.logFailure(loc, 411, "body without Content-Length or chunked coding", nil)
		h.errorPage(loc, 411, path)
		return ""
	}
	if loc.MaxBodySize > 0 && req.ContentLength > loc.MaxBodySize {
		h.w.CloseAfter() // the body is not read: framing lost
		h.logFailure(loc, 413, "Content-Length over client_max_body_size", nil)
		h.errorPage(loc, 413, path)
		return ""
	}

	if loc.TryFiles != nil {
		var done bool
		if path, done = h.tryFiles(req, loc, path); done { // tryfiles.go
			return ""
		}
		h.path = path
	}
	if r2 := h.indexRedirect(req, loc, path); r2 != nil { // tryfiles.go
		h.internal = r2
		return ""
	}

	if len(loc.CGI) > 0 {
		script, err := cgi.Find(h.d.Files.Bases(), loc, path)
		if err != nil {
			h.fail(loc, err)
			return ""
		}
		if script != nil {
			return h.runCGI(req, loc, script)
		}
	}

	switch method {
	case "GET", "HEAD":
		h.addHeaders(loc)
		if loc.UploadStore != "" && loc.UploadSandbox {
			// What is served here came from anyone who could upload: an
			// .html or .svg must not run script as this origin, nor may a
			// browser sniff a text file into HTML (upload_sandbox, as
			// services that host user content do). The listing too: it
			// shows names the uploaders chose and runs no script itself.
			// An error page keeps only add_header's fields, as elsewhere.
			h.w.Header().Add("Content-Security-Policy", "sandbox")
			h.w.Header().Set("X-Content-Type-Options", "nosniff")
		}
		r2, err := h.serveStatic(req, loc, nil, path, 200) // sendcheck.go
		if r2 != nil {
			h.internal = r2 // another location runs it
			return ""
		}
		if err != nil {
			if h.w.HeadSent() {
				// A streamed directory listing failed midway, or a file's
				// body did (it ended early, the client went away): the
				// status is out, so the connection closes instead. A
				// client gone is no failure of the server's to log.
				if !connGone(err) {
					h.d.Log.Error("request failed", "target", string(req.Target), "err", err)
				}
				h.abort = true
				return ""
			}
			// A 416 keeps its Content-Range (RFC 9110 §15.5.17); nothing
			// else the static handler set belongs on an error page.
			cr := h.w.Header().Get("Content-Range")
			h.w.Header().Reset()
			if cr != "" {
				h.w.Header().Set("Content-Range", cr)
			}
			h.fail(loc, err)
		}
		return ""
	case "POST", "PUT":
		if loc.UploadStore == "" {
			break
		}
		h.addHeaders(loc)
		content.Detach(h.x.Peer)
		if err := h.handle(h.d.Uploads, h.request(req, loc, path, 0, h.x.Body)); err != nil {
			h.w.Header().Reset()
			h.fail(loc, err)
		}
		return ""
	case "DELETE":
		h.addHeaders(loc)
		content.Detach(h.x.Peer)
		if err := h.handle(h.d.Uploads, h.request(req, loc, path, 0, nil)); err != nil {
			h.w.Header().Reset()
			h.fail(loc, err)
		}
		return ""
	}
	// The location allows the method, but nothing here implements it for
	// this resource (POST or PUT without upload_store, PATCH on a static
	// file). RFC 9110 §15.5.6: Allow lists what the target resource
	// supports: the allowed methods that are served here.
	h.w.Header().Set("Allow", supported(loc))
	h.logFailure(loc, 405, "method not implemented for this resource (no upload_store or cgi here)", nil)
	h.errorPage(loc, 405, path)
	return ""
}

// supported lists, for Allow, the location's methods that a resource
// without upload_store or CGI answers: GET, HEAD, DELETE and OPTIONS. The
// list may be empty, which RFC 9110 §10.2.1 reads as "no method allowed".
func supported(loc *config.Location) string {
	var b strings.Builder
	for _, m := range loc.Methods {
		switch m {
		case "GET", "HEAD", "DELETE", "OPTIONS":
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m)
		}
	}
	return b.String()
}

// runCGI runs script for req and returns a local redirect target, if the
// program asked for one.
func (h *handler) runCGI(req *http1.Request, loc *config.Location, script *cgi.Script) string {
	h.addHeaders(loc)
	redirect, err := h.execCGI(req, loc, script, 0)
	if err != nil {
		if h.w.HeadSent() {
			h.abort = true
			return ""
		}
		h.w.Header().Reset()
		retryAfterCGI(h.w, err)
		h.fail(loc, err)
		return ""
	}
	if redirect != "" {
		h.w.Header().Reset()
	}
	return redirect
}

// execCGI runs script for req under loc (cgi.Handler). A non-zero status
// is an error page's: the response keeps it whatever the program says.
func (h *handler) execCGI(req *http1.Request, loc *config.Location, script *cgi.Script, status int) (string, error) {
	var body io.Reader
	if req == h.bodyReq && (req.ContentLength > 0 || req.Chunked) {
		body = h.x.Body
		// The program's stdin is fed from another goroutine while the
		// response head may go out (Body.Share).
		h.x.Body.Share(true)
		defer h.x.Body.Share(false)
	}
	content.Detach(h.x.Peer) // the slot may take cgiQueueWait to come
	release, err := h.acquireCGI(loc)
	if err != nil {
		return "", err
	}
	defer release()
	h.d.Counters.CGIRunning.Add(1) // for the status page
	defer h.d.Counters.CGIRunning.Add(-1)
	h.x.cgi = cgi.Handler{Runner: h.d.CGI, Script: script, Log: h.d.Log}
	err = h.handle(&h.x.cgi, h.request(req, loc, h.path, status, body))
	if lr, ok := err.(*content.LocalRedirect); ok {
		return lr.Target, nil
	}
	return "", err
}

// errorCGI answers status with script, an error_page that is a CGI
// program of target (SPEC §5: run, never sent). As nginx does for an
// error_page, the program runs for a GET (a HEAD stays a HEAD) without
// the request body, for the error page's path and query; REQUEST_URI
// stays the original request's. It reports false, with nothing written,
// when the built-in page must answer instead: the program failed before
// its head, or asked for a local redirect (one level of error page, no
// chains).
func (h *handler) errorCGI(target *config.Location, script *cgi.Script, status int, path, query string) bool {
	r := *h.req
	if methodString(r.Method) != "HEAD" {
		r.Method = []byte("GET")
	}
	r.Path, r.Query = []byte(path), []byte(query)
	r.ContentLength, r.Chunked, r.ExpectContinue = -1, false, false
	// Settle the request body the program does not get now, on this
	// goroutine, rather than just before the head: by then the program's
	// client watch (Peer.ClientGone) may share the read buffer from a
	// goroutine of its own.
	h.x.Body.Settle()
	redirect, err := h.execCGI(&r, target, script, status)
	switch {
	case err != nil && (h.w.Written() || errors.Is(err, cgi.ErrClientGone)):
		h.abort = true
		return true
	case err != nil:
		h.d.Log.Warn("error_page program failed", "status", status, "page", path, "err", err)
		return false
	case redirect != "":
		h.d.Log.Warn("error_page program asked for a local redirect; built-in page sent", "status", status, "page", path)
		return false
	}
	return true
}

// connGone reports whether err is the connection failing under a
// response being sent: the client closed or reset it, or stopped reading
// for longer than send_timeout.
func connGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}

// fail renders err, which carries a status when it is a *http1.StatusError;
// anything else is a 500.
func (h *handler) fail(loc *config.Location, err error) {
	status := 500
	if se := http1.StatusOf(err); se != nil {
		status = se.Status
	} else if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, cgi.ErrClientGone) {
		// The client went away mid-body: nobody to answer.
		h.abort = true
		return
	}
	h.logFailure(loc, status, "", err)
	if status == 400 {
		h.w.CloseAfter()
	}
	h.errorPage(loc, status, "")
}

// logFailure logs why the request is answered status (SPEC, error_log):
// every 5xx at error and every 4xx at debug (at error when it comes
// wrapped with a cause only the operator can fix: wrappedStatus), with
// its cause — err, or reason when there is no error value — and, for a
// 403 or 404, the file it is about. The level is checked before anything
// is built: a 404 at the default level must not allocate (alloc_test.go).
func (h *handler) logFailure(loc *config.Location, status int, reason string, err error) {
	log := h.d.Log
	lvl, ok := FailureLevel(log, status)
	wrapped := wrappedStatus(err)
	if wrapped && lvl < slog.LevelError {
		lvl, ok = slog.LevelError, log.Enabled(context.Background(), slog.LevelError)
	}
	if !ok {
		return
	}
	cause := reason
	if err != nil {
		cause = causeOf(err)
	}
	if (status == 403 || status == 404) && h.path != "" && !wrapped {
		cause += ": " + route.FilePath(loc, h.path)
	}
	log.Log(context.Background(), lvl, "request failed", "status", status, "cause", cause,
		"method", methodString(h.req.Method), "target", string(h.req.Target), "remote", h.x.Peer.Remote())
}

// FailureLevel is the error log level of a response with status, and
// whether the log takes it.
func FailureLevel(log *slog.Logger, status int) (slog.Level, bool) {
	var lvl slog.Level
	switch {
	case status >= 500:
		lvl = slog.LevelError
	case status >= 400:
		lvl = slog.LevelDebug
	default:
		return 0, false
	}
	return lvl, log.Enabled(context.Background(), lvl)
}

// wrappedStatus reports whether err is a status error that comes wrapped
// with its cause (upload: the store may not be written, the disk is full).
// Only the operator can fix those, so they are logged at error whatever
// the status, naming the cause, which names its file.
func wrappedStatus(err error) bool {
	if _, bare := err.(*http1.StatusError); bare || err == nil {
		return false
	}
	return http1.StatusOf(err) != nil
}

// causeOf is err's text for the error log: a bare *http1.StatusError by
// its message alone (its Error adds a prefix and the status, which the
// log line has already).
func causeOf(err error) string {
	if se, ok := err.(*http1.StatusError); ok {
		return se.Msg
	}
	return err.Error()
}

// allowHeader lists the location's methods, each once (config removes
// repeats), in the order `methods` gives them (RFC 9110 §10.2.1).
func allowHeader(loc *config.Location) string {
	return strings.Join(loc.Methods, ", ")
}

func (h *handler) addHeaders(loc *config.Location) {
	for _, f := range loc.AddHeaders {
		v := f.Value
		if f.Tmpl != nil {
			v = h.expandHeader(f.Tmpl) // never holds CR, LF or NUL (config.Template.Expand)
		}
		h.w.Header().Add(f.Name, v)
	}
}

// doReturn implements `return CODE [URL|TEXT]`.
func (h *handler) doReturn(loc *config.Location, r *config.Return) {
	text := r.Text
	if r.Tmpl != nil {
		text = h.expand(r.Tmpl)
	}
	switch r.Code {
	case 301, 302, 303, 307, 308:
		h.addHeaders(loc)
		h.w.Header().Set("Location", text)
		body := redirectBody(r.Code, text)
		h.w.Header().Set("Content-Type", "text/html; charset=utf-8")
		h.w.SetContentLength(int64(len(body)))
		h.w.WriteHeader(r.Code)
		h.w.Write(body)
		return
	}
	if r.Code >= 400 {
		h.logFailure(loc, r.Code, "return directive", nil)
	}
	if r.Text == "" && r.Code >= 400 {
		h.errorPage(loc, r.Code, "")
		return
	}
	h.addHeaders(loc)
	h.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	h.w.SetContentLength(int64(len(text)))
	h.w.WriteHeader(r.Code)
	h.w.Write([]byte(text))
}

func redirectBody(code int, url string) []byte {
	return []byte("<!DOCTYPE html>\n<html><head><title>" + strconv.Itoa(code) + " " + http1.StatusText(code) +
		"</title></head><body><h1>" + http1.StatusText(code) + "</h1><p><a href=\"" + html.EscapeString(url) +
		"\">" + html.EscapeString(url) + "</a></p></body></html>\n")
}

// errorPage answers status for a request at loc: through the location's
// error_page when it has one for status (an internal redirect keeping the
// status, or a 302 to an absolute URL), else the built-in page. An
// error_page that itself fails falls back to the built-in page: one level,
// no loops.
func (h *handler) errorPage(loc *config.Location, status int, _ string) {
	h.x.vars.status = status
	h.addHeaders(loc)
	if uri, ok := loc.ErrorPages[status]; ok {
		if t := loc.ErrorPageTmpls[status]; t != nil {
			uri = h.expand(t)
		}
		if strings.HasPrefix(uri, "@") {
			if h.namedErrorPage(loc, uri, status) { // tryfiles.go
				return
			}
			WriteBuiltinError(h.w, status)
			return
		}
		if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
			h.w.Header().Set("Location", uri)
			body := redirectBody(302, uri)
			h.w.Header().Set("Content-Type", "text/html; charset=utf-8")
			h.w.SetContentLength(int64(len(body)))
			h.w.WriteHeader(302)
			h.w.Write(body)
			return
		}
		p, q, _ := strings.Cut(uri, "?")
		if clean, err := route.CleanPath([]byte(p)); err == nil {
			target := route.Location(h.srv, clean)
			// The page is served as a request for its URI would be, so
			// the cgi directives of the location it routes to decide
			// whether it is a program: a script is run, never sent
			// (SPEC §5; static.Files.Serve refuses one too).
			script, err := cgi.Find(h.d.Files.Bases(), target, clean)
			switch {
			case target.Return != nil, err != nil:
			case script != nil:
				if h.errorCGI(target, script, status, p, q) {
					return
				}
			default:
				if uri, err := h.sendCheck(target, loc, clean); uri != "" || err != nil { // sendcheck.go
					// A page that is code where the error arose, or
					// where it routes, and that target would send as a
					// file: neither.
					h.d.Log.Warn("error_page is a CGI script that its location does not run; built-in page sent",
						"status", status, "page", p)
				} else if err := h.handle(h.d.Files, h.request(h.req, target, clean, status, nil)); err == nil {
					return
				}
			}
		}
	}
	WriteBuiltinError(h.w, status)
}

// WriteBuiltinError writes the small built-in HTML page for status.
func WriteBuiltinError(w response.Writer, status int) {
	switch status {
	case 400, 408, 413, 414, 431, 501, 505:
		// SPEC §3: errors that leave the framing unknown close the
		// connection.
		w.CloseAfter()
	}
	body := builtinPage(status)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.SetContentLength(int64(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// builtinPages holds the built-in error page of every status with a
// reason phrase, built once: error responses (404s above all) are a hot
// path too. An array indexed by status rather than a map: a 404 costs an
// index, not a map lookup (runtime.mapaccess2_fast64 in issue 17's
// profile).
var builtinPages = func() (pages [600][]byte) {
	for code := 100; code < len(pages); code++ {
		if !strings.HasPrefix(http1.StatusText(code), "Status ") {
			pages[code] = renderBuiltinPage(code)
		}
	}
	return pages
}()

func builtinPage(status int) []byte {
	if status >= 0 && status < len(builtinPages) && builtinPages[status] != nil {
		return builtinPages[status]
	}
	return renderBuiltinPage(status)
}

func renderBuiltinPage(status int) []byte {
	title := strconv.Itoa(status) + " " + http1.StatusText(status)
	return []byte("<!DOCTYPE html>\n<html>\n<head><title>" + title + "</title></head>\n<body>\n<h1>" + title +
		"</h1>\n<hr><p>" + http1.ServerName + "</p>\n</body>\n</html>\n")
}

// serveStatus answers a `status;` location with the server's counters
// (Dispatcher.StatusPage), like nginx's stub_status.
func (h *handler) serveStatus() {
	b := h.d.StatusPage(make([]byte, 0, 2048))
	h.w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	h.w.Header().Set("Cache-Control", "no-store")
	h.w.SetContentLength(int64(len(b)))
	h.w.WriteHeader(200)
	h.w.Write(b)
}
