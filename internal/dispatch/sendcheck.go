package dispatch

import (
	"os"
	"slices"
	"strings"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/route"
)

// SPEC §5: a CGI script is only ever run, never sent as a file — not when
// reached through error_page, try_files, an index or an internal
// redirect. sendCheck is the one check in front of every static file sent;
// the static handler itself refuses a script of the location it serves
// from (static.isCGI) as a last line.

// errScriptNotSent refuses to send a file that some location runs.
var errScriptNotSent = &http1.StatusError{Status: 403, Msg: "a CGI script reached as a file (run, never sent)"}

// sendCheck decides about the file at the clean URL path that loc is
// about to send (for a path ending in "/", the index file the static
// handler would pick). The file is a script when its name ends in a cgi
// extension, compared case-insensitively, of any location that could run
// it: loc, from (the location the request or error came from, nil if
// none), the location where this dispatch started (h.start), or the
// location a request for the file's own URI routes to (for an alias that
// names a file, that file's name is the one checked). Then, when that
// routed location is another one, runs the file and is not where the
// request came from (which would loop, as a try_files fallback to @name
// would), sendCheck returns the file's URI for an internal redirect
// (nginx's way for an index); otherwise errScriptNotSent. It returns ""
// and nil when the file may be sent. A script's precompressed copy
// (x.php.gz, .br, .zst) is judged by the script's name, and refused,
// never redirected to: its own URI runs nothing.
//
// It allocates nothing for a file whose name ends in no cgi extension of
// the configuration (the hot path: alloc_test.go), nor for any file in a
// configuration without cgi.
func (h *handler) sendCheck(loc, from *config.Location, path string) (string, error) {
	exts := loc.ScriptExts
	if len(exts) == 0 {
		return "", nil
	}
	uri := path
	if strings.HasSuffix(path, "/") {
		if uri = h.indexFile(loc, path); uri == "" {
			return "", nil
		}
	}
	name := uri
	if loc.AliasFile {
		name = loc.Alias // the file's own name decides, as in cgi.Find
	}
	// A script's precompressed copy (x.php.gz) is its source: refused
	// as the script is, never redirected to (its URI runs nothing).
	name, copied := config.TrimCodedSuffixFold(name)
	if !config.HasAnySuffixFold(name, exts) {
		return "", nil
	}
	ruri, _ := config.TrimCodedSuffixFold(uri) // where the script itself routes
	target := route.Location(h.srv, ruri)
	if !config.RunsFold(loc, name) && !config.RunsFold(from, name) && !config.RunsFold(h.start, name) && !config.RunsFold(target, name) {
		return "", nil
	}
	if !copied && target != loc && target != from && target != h.start && target.Return == nil && config.RunsFold(target, name) {
		return uri, nil
	}
	return "", errScriptNotSent
}

// indexFile returns the URI of the index file the static handler would
// send for the directory path at loc — the first of loc's index entries
// that is a regular file — when one of the entries ends in a cgi
// extension of the configuration; else "" (a directory of index.html files
// costs no stat here).
func (h *handler) indexFile(loc *config.Location, path string) string {
	if !slices.ContainsFunc(loc.Index, func(name string) bool { return config.HasAnySuffixFold(name, loc.ScriptExts) }) {
		return ""
	}
	for _, name := range loc.Index {
		uri := path + strings.TrimPrefix(name, "/")
		if fi, err := os.Stat(route.FilePath(loc, uri)); err == nil && fi.Mode().IsRegular() {
			return uri
		}
	}
	return ""
}

// serveStatic sends the file at path under loc with status, after
// sendCheck. An internal redirect sendCheck asks for is returned as a
// request for the caller to serve next.
func (h *handler) serveStatic(req *http1.Request, loc, from *config.Location, path string, status int) (*http1.Request, error) {
	uri, err := h.sendCheck(loc, from, path)
	if err != nil {
		return nil, err
	}
	if uri != "" {
		r2 := *req
		// dispatch percent-decodes the path again.
		r2.Path = []byte(strings.ReplaceAll(uri, "%", "%25"))
		if h.bodyReq == req {
			h.bodyReq = &r2
		}
		return &r2, nil
	}
	return nil, h.handle(h.d.Files, h.request(req, loc, path, status, nil))
}
