package dispatch

import (
	"os"
	"strings"
	"unsafe"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/route"
	"webserv/internal/static"
)

// try_files, variable aliases and named error pages (SPEC §2a), as nginx
// does them.

// tryFiles runs loc's `try_files` for req at path. Each FILE, expanded,
// names a URI under loc's root or alias; the first that exists — as a
// directory when the argument ends in "/", else as a non-directory —
// becomes the request's URI within the same location (nginx does not
// select a location again), and tryFiles returns it. Otherwise the last
// argument decides: =CODE answers that status through error_page, and a
// URI (or @name) is an internal redirect, served next by serve's loop,
// which bounds their number. done reports that the request is answered
// or redirected.
func (h *handler) tryFiles(req *http1.Request, loc *config.Location, path string) (uri string, done bool) {
	tf := loc.TryFiles
	for _, f := range tf.Files {
		b := h.expandBytes(f)
		// As in nginx, the argument as written says whether a directory
		// is tested: `$uri` tests a file even when $uri ends in "/". For
		// `$uri/` the URI is the value without that final "/": "/docs"
		// then answers 301 to "/docs/" as the static handler does for a
		// directory, and "/docs/" serves its index.
		dir := strings.HasSuffix(f.Raw, "/")
		if dir {
			b = b[:len(b)-1]
			if len(b) == 0 {
				b = append(b, '/')
			}
		}
		// The name is a string only when it is not $uri itself, so that
		// `try_files $uri $uri/ =404` allocates nothing (alloc_test.go).
		name := path
		if string(b) != path {
			name = string(b)
		}
		h.trimVarBuf()
		if !safeURI(name) {
			continue // a value from the request ($arg_x) must not climb out of the root
		}
		if !fileExists(loc, name, dir) {
			continue
		}
		h.x.vars.path = name
		return name, false
	}
	if tf.Code != 0 {
		h.logFailure(loc, tf.Code, "try_files: no file found", nil)
		h.errorPage(loc, tf.Code, path)
		return "", true
	}
	target := h.expand(tf.Fallback)
	r2 := *req
	if strings.HasPrefix(target, "@") {
		// A named location serves the same URI (config checked it exists).
		h.named = route.Named(h.srv, target)
		if h.named == nil {
			h.logFailure(loc, 500, "try_files: no location "+target, nil)
			h.errorPage(loc, 500, path)
			return "", true
		}
	} else {
		// An internal redirect keeps the method, the body and the
		// request-target ($request_uri, CGI's REQUEST_URI: a PHP front
		// controller routes on it); the args are the URI's own, none if it
		// has none, as in nginx.
		p, q, _ := strings.Cut(target, "?")
		// dispatch percent-decodes the path again: a "%" that $uri
		// brought in decoded must survive as itself.
		r2.Path = []byte(strings.ReplaceAll(p, "%", "%25"))
		r2.Query = []byte(q)
	}
	if h.bodyReq == req {
		h.bodyReq = &r2
	}
	h.internal = &r2
	return "", true
}

// safeURI reports whether name, a URI that try_files tests, is absolute
// and has no ".." segment.
func safeURI(name string) bool {
	if !strings.HasPrefix(name, "/") {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == ".." {
			return false
		}
	}
	return true
}

// maxStackPath is the file path length tested without allocating: longer
// paths (rare) are built on the heap.
const maxStackPath = 512

// fileExists reports whether the URI name under loc names a directory
// (dir) or a non-directory (!dir). The path is built NUL-terminated on the
// stack for static.StatZ: os.Stat allocated four times per candidate.
func fileExists(loc *config.Location, name string, dir bool) bool {
	var buf [maxStackPath]byte
	p := append(route.AppendFilePath(buf[:0], loc, name), 0)
	ok, isDir := static.StatZ(p)
	return ok && isDir == dir
}

// expandAlias returns a copy of loc whose Alias is its template expanded
// for this request (`location ~ ^/u/(\w+)/(.*)$ { alias /home/$1/www/$2; }`),
// or nil when the expansion is not an absolute path without ".." segments:
// variables from the request must not lead out of the intended tree.
func (h *handler) expandAlias(loc *config.Location, req *http1.Request, path string, caps []int) *config.Location {
	h.setVars(req, loc, path, caps)
	alias := h.expand(loc.AliasTmpl)
	if !safeURI(alias) {
		return nil
	}
	l := *loc
	l.Alias, l.AliasTmpl = alias, nil
	return &l
}

// namedErrorPage answers status through `error_page ... @name`: the named
// location's `return` — a redirect as it says, a text with status, as
// nginx keeps the error's status without `=` — else its files for the
// request's path, with status. It reports false when that fails (the
// caller sends the built-in page). from is the location where the error
// arose.
func (h *handler) namedErrorPage(from *config.Location, name string, status int) bool {
	target := route.Named(h.srv, name)
	if target == nil {
		return false
	}
	if r := target.Return; r != nil {
		switch {
		case r.Code == 301 || r.Code == 302 || r.Code == 303 || r.Code == 307 || r.Code == 308:
			h.w.Header().Reset() // the redirect's own add_header, not the error's
			h.doReturn(target, r)
		case r.Text == "" && r.Code >= 400:
			return false // its error page would lead back here
		default:
			text := r.Text
			if r.Tmpl != nil {
				text = h.expand(r.Tmpl)
			}
			h.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			h.w.SetContentLength(int64(len(text)))
			h.w.WriteHeader(status)
			h.w.Write([]byte(text))
		}
		return true
	}
	path := h.path
	if path == "" {
		path = "/"
	}
	if uri, err := h.sendCheck(target, from, path); uri != "" || err != nil { // sendcheck.go
		h.d.Log.Debug("error_page location would send a CGI script; built-in page sent", "status", status, "page", name, "path", path)
		return false // SPEC §5: never sent as a file
	}
	return h.handle(h.d.Files, h.request(h.req, target, path, status, nil)) == nil
}

// indexRedirect is nginx's index module where it differs from serving the
// index file in place: for a directory URI whose index file another
// location would serve, the request is redirected internally to that
// file, and location selection runs again. With `location / { }` and
// `location ~ \.php$ { cgi .php php-cgi; }`, "/" then runs index.php
// instead of sending its source (SPEC §5: a script is only ever run).
// The result is nil when the index is served here. A directory whose
// index no other location could take, served by its own location, costs
// no stat (alloc_test.go: "/" through its index).
func (h *handler) indexRedirect(req *http1.Request, loc *config.Location, path string) *http1.Request {
	if !strings.HasSuffix(path, "/") {
		return nil
	}
	if !indexMayMove(h.srv, loc, path) && route.Location(h.srv, path) == loc {
		return nil
	}
	if !h.indexRoutesAway(loc, path) {
		// Whichever index file exists, it is served here: no stat.
		return nil
	}
	for _, name := range loc.Index {
		uri := path + name
		fi, err := os.Stat(route.FilePath(loc, uri))
		if err != nil || fi.IsDir() {
			continue
		}
		// Exact and longer prefix locations change the location too,
		// not only regex ones (`location = /index.php { cgi ... }`).
		// h.start: loc may be its copy with the alias expanded.
		if t := route.Location(h.srv, uri); t == loc || t == h.start {
			return nil
		}
		r2 := *req
		r2.Path = []byte(strings.ReplaceAll(uri, "%", "%25"))
		if h.bodyReq == req {
			h.bodyReq = &r2
		}
		return &r2
	}
	return nil
}

// indexRoutesAway reports whether the URI of one of loc's index files in
// the directory path routes to another location than loc and h.start:
// only then does it matter which of them exists (indexRedirect). Any
// regex location makes indexMayMove say it might, so a site that runs
// scripts (`location ~ \.php$`) stat'ed the index and allocated on every
// directory request; the locations' own rules decide most of those
// without a system call. The URIs are built in the exchange's scratch
// buffer: route.Location keeps nothing of them.
func (h *handler) indexRoutesAway(loc *config.Location, path string) bool {
	away := false
	for _, name := range loc.Index {
		b := append(append(h.x.uriBuf[:0], path...), name...)
		h.x.uriBuf = b
		if t := route.Location(h.srv, unsafe.String(&b[0], len(b))); t != loc && t != h.start {
			away = true
			break
		}
	}
	if cap(h.x.uriBuf) > maxVarBuf {
		h.x.uriBuf = nil // one long path does not pin its size
	}
	return away
}

// indexMayMove reports whether a location other than the one serving the
// directory path could be selected for one of loc's index files: any
// regex location, or an exact or prefix location that lies below path and
// begins that file's URI (`location = /index.php`, `location
// /sub/index.php`). A prefix location no longer than path that matches
// path+name matches path too, so it cannot differ.
func indexMayMove(s *config.Server, loc *config.Location, path string) bool {
	for _, l := range s.Locations {
		if l.Regex != nil {
			return true
		}
		if l.Named || len(l.Path) <= len(path) || !strings.HasPrefix(l.Path, path) {
			continue
		}
		for _, name := range loc.Index {
			if strings.HasPrefix(name, l.Path[len(path):]) {
				return true
			}
		}
	}
	return false
}
