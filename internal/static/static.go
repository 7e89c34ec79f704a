package static

import (
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/fspolicy"
	"webserv/internal/http1"
	"webserv/internal/response"
	"webserv/internal/route"
)

// smallFile is the size up to which a file reached by its URL goes into
// the small-file cache (cache.go). 16 KiB covers typical HTML, CSS and
// icons while keeping the cache's budget for many of them.
const smallFile = 16 << 10

// mediumFile is the size up to which what a response sends of a file (the
// whole file or one range) is read with one pread into a pooled buffer and
// leaves with the head in one writev; more goes out with sendfile after
// the head. For a 20 KiB file that is open, fstat, pread, writev, close
// where sendfile costs a writev for the head and a sendfile: a system
// call fewer, and less CPU per request. 64 KiB bounds a pooled buffer.
const mediumFile = 64 << 10

var mediumBufs = sync.Pool{New: func() any { b := make([]byte, mediumFile); return &b }}

// Serve answers a GET or HEAD for the clean URL path under loc with the
// given status (200, or the original status when serving an error_page).
// Nothing is written when it returns an error: the error carries the status
// (*http1.StatusError) for the caller to render.
//
// For a 200, the request's preconditions (RFC 9110 §13) and Range (§14) are
// honoured; an error page (status != 200) is sent whole, as nginx does.
func (fl *Files) Serve(w response.Writer, req *http1.Request, loc *config.Location, urlPath string, status int) error {
	if status == 200 && loc.Compress.Static != 0 {
		if served, err := fl.servePrecompressed(w, req, loc, urlPath); served { // compress.go
			return err
		}
	}
	var known *cacheEntry // urlPath's meta entry, unchecked (serveFile)
	var knownSlot *atomic.Pointer[cacheEntry]
	if slot, e := fl.lookup(loc, urlPath); e != nil && !e.byIndex {
		knownSlot = slot
		switch {
		case !e.metaOnly:
			if e = fl.fresh(slot, e); e != nil {
				return fl.send(w, req, &e.meta, e.body, nil, status, copyVary(loc, status))
			}
		case !w.BodyAllowed(status):
			// A HEAD: the file's metadata is the whole answer (cache.go,
			// storeMeta).
			if e = fl.fresh(slot, e); e != nil {
				return fl.send(w, req, &e.meta, nil, nil, status, copyVary(loc, status))
			}
		case status == 200 && mayRevalidate(w, req):
			if e = fl.fresh(slot, e); e != nil {
				if cond := conditionsOf(req); cond.evaluate(e.etag, e.mod) == notModified {
					return fl.send(w, req, &e.meta, nil, nil, status, copyVary(loc, status))
				}
				known = e
			}
		default:
			known = e
		}
	}
	if status == 200 && strings.HasSuffix(urlPath, "/") {
		if ie := fl.cachedIndex(loc, urlPath); ie != nil {
			if served, err := fl.serveIndex(w, req, loc, urlPath, ie); served {
				return err
			}
		}
	}
	var pb [512]byte // the file's path, NUL-terminated, on the stack
	pathZ := append(route.AppendFilePath(pb[:0], loc, urlPath), 0)
	f, err := fl.open(loc, pathZ)
	if err != nil {
		if known != nil {
			// The path no longer opens (disable_symlinks may now refuse
			// what the stat still reaches): a HEAD must not say 200
			// where this GET does not.
			knownSlot.CompareAndSwap(known, nil)
		}
		return openStatus(err)
	}
	if f.isDir() {
		fpath := f.path()
		f.close()
		if status != 200 {
			return fspolicy.NotFound
		}
		if !strings.HasSuffix(urlPath, "/") {
			// A directory's relative links only resolve under the slash
			// form, so redirect to it (as nginx and net/http do).
			target := (&url.URL{Path: urlPath + "/"}).EscapedPath()
			if len(req.Query) > 0 {
				target += "?" + string(req.Query)
			}
			w.Header().Set("Location", target)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			body := []byte("<a href=\"" + escapeHTML(target) + "\">Moved Permanently</a>.\n")
			w.SetContentLength(int64(len(body)))
			w.WriteHeader(301)
			w.Write(body)
			return nil
		}
		for _, name := range loc.Index {
			idx, err := fl.openFile(loc, filepath.Join(fpath, name))
			if err != nil {
				continue
			}
			if !idx.isRegular() {
				idx.close()
				continue
			}
			if isCGI(loc, idx.name()) {
				idx.close()
				return cgiScript
			}
			fl.storeIndex(loc, urlPath, fpath, &f.id, idx.pathZ, f.raw)
			return fl.serveFile(w, req, loc, urlPath, &idx, status, byIndex, nil)
		}
		if loc.Autoindex {
			return serveListing(w, loc, fpath, urlPath)
		}
		return noIndex
	}
	if strings.HasSuffix(urlPath, "/") {
		// The path names a directory and this is not one: "/a.txt/" is
		// 404, as open("a.txt/") fails with ENOTDIR and nginx answers
		// (SPEC §3). The file path lost the slash in route.FilePath, so
		// the open succeeded; and nothing is cached under such a path.
		f.close()
		return fspolicy.NotFound
	}
	if !f.isRegular() {
		f.close()
		return notRegular // devices, sockets, FIFOs are never served
	}
	if isCGI(loc, f.name()) {
		f.close()
		return cgiScript
	}
	return fl.serveFile(w, req, loc, urlPath, &f, status, byURL, known)
}

// mayRevalidate reports whether req is a conditional GET that a file's
// metadata alone may answer (304, RFC 9110 §13.1.2, §13.1.3): it has
// If-None-Match or If-Modified-Since, and w does not compress (whose
// coded ETag the writer decides: send).
func mayRevalidate(w response.Writer, req *http1.Request) bool {
	if _, ok := w.(coder); ok {
		return false
	}
	for i := range req.Fields {
		n := req.Fields[i].Name
		if len(n) > 3 && (n[0] == 'I' || n[0] == 'i') && (n[1] == 'F' || n[1] == 'f') && n[2] == '-' {
			return true // an If-* field: conditionsOf decides which
		}
	}
	return false
}

// serveIndex answers a directory URL from its index cache entry ie: the
// index file from the small-file cache, or opened by its path. served is
// false, and nothing was written, when the file is no longer one to serve
// (gone, not regular, out of the root): the caller resolves the
// directory afresh.
func (fl *Files) serveIndex(w response.Writer, req *http1.Request, loc *config.Location, urlPath string, ie *indexEntry) (served bool, err error) {
	if e := fl.cachedIndexFile(loc, urlPath, ie.fileZ); e != nil {
		return true, fl.send(w, req, &e.meta, e.body, nil, 200, copyVary(loc, 200))
	}
	idx, err := fl.open(loc, ie.fileZ)
	if err != nil {
		fl.dropIndex(ie)
		return false, nil
	}
	if !idx.isRegular() || isCGI(loc, idx.name()) {
		idx.close()
		fl.dropIndex(ie)
		return false, nil
	}
	return true, fl.serveFile(w, req, loc, urlPath, &idx, 200, byIndex, nil)
}

// openStatus is fspolicy.Error for an error of open. The everyday one,
// a missing file, comes back as the bare ENOENT (openZ) and is answered
// without fspolicy.Status's errors.Is walks (errors.Is in issue 17's
// profile of a 404).
func openStatus(err error) error {
	if errno, ok := err.(syscall.Errno); ok && errno == syscall.ENOENT {
		return fspolicy.NotFound
	}
	return fspolicy.Error(err)
}

// cacheKind says whether and how serveFile may put a file into the
// small-file cache.
type cacheKind int

const (
	noCache cacheKind = iota
	byURL             // reached directly by its URL path
	byIndex           // the index file of the directory URL path
)

// isCGI reports whether the file named name is a CGI program of the
// configuration: its name ends, compared case-insensitively ("a.PHP" is
// a.php on a case-insensitive file system), in a `cgi` extension of any
// location (loc.ScriptExts) or of loc itself. SPEC §5: a script is only
// ever run, never sent, so the static handler refuses it however it was
// reached — an error_page, an index, an alias naming it, a regex
// location whose captures build its path, a location without `cgi` over
// a directory that another location runs scripts from — in case the
// caller did not route it to CGI first. Its precompressed copy (x.php.gz,
// .br, .zst) is refused as the script is: it is the script's source.
func isCGI(loc *config.Location, name []byte) bool {
	name, _ = config.TrimCodedSuffixFold(name)
	return config.HasAnySuffixFold(name, loc.ScriptExts) || config.RunsFold(loc, name)
}

// The errors of everyday requests are shared values (a 404 allocates
// nothing; the file-system ones are fspolicy's); their messages are the
// cause the error log gives at debug.
var (
	noIndex    = &http1.StatusError{Status: 403, Msg: "directory without an index file (autoindex off)"}
	notRegular = &http1.StatusError{Status: 403, Msg: "not a regular file"}
	cgiScript  = &http1.StatusError{Status: 403, Msg: "a CGI script (run, never sent)"}
)

// serveFile sends the regular file f, and closes it. A small file goes
// into the small-file cache (cache.go) under urlPath as cache says, a
// larger one reached by its URL into a meta entry; known is urlPath's
// meta entry found by Serve (nil if none), whose metadata is f's if the
// identities agree.
func (fl *Files) serveFile(w response.Writer, req *http1.Request, loc *config.Location, urlPath string, f *file, status int, cache cacheKind, known *cacheEntry) error {
	defer f.close()
	if known != nil && known.id == f.id {
		return fl.send(w, req, &known.meta, nil, f, status, copyVary(loc, status))
	}
	m := meta{size: f.id.size, mod: f.modTime(), ctype: ContentType(string(f.ext()), loc.Types, loc.DefaultType), fid: f.id}
	// A strong validator from modification time and size, as nginx builds
	// it (RFC 9110 §8.8.3).
	m.etag, m.lastMod = validators(m.mod, m.size)
	if m.size > smallFile && cache == byURL {
		fl.storeMeta(loc, urlPath, f, &m)
	}

	// A small file reached by its URL, asked for before (admit), is read
	// whole into the cache (and before anything is committed, so that a
	// read error can still become an error page); any other leaves from f
	// (send).
	if m.size <= smallFile && cache != noCache && fl.cacheable(loc, urlPath, &f.id) && fl.admit(urlPath) {
		body := make([]byte, m.size)
		if err := f.readAt(body, 0); err != nil {
			return err
		}
		fl.store(loc, urlPath, f, &m, body, cache == byIndex)
		return fl.send(w, req, &m, body, nil, status, copyVary(loc, status))
	}
	return fl.send(w, req, &m, nil, f, status, copyVary(loc, status))
}

// send answers with the file described by m: its bytes are body, or, when
// body is nil, they are read from f: a region up to mediumFile with one
// pread before the head is committed (so that a read error can still
// become an error page) and sent with it in one writev, a larger one with
// sendfile after the head. vary adds `Vary: Accept-Encoding` (copyVary).
func (fl *Files) send(w response.Writer, req *http1.Request, m *meta, body []byte, f *file, status int, vary bool) error {
	size := m.size
	h := w.Header()
	h.Set("Last-Modified", m.lastMod)
	h.Set("ETag", m.etag)
	if vary {
		h.Add("Vary", "Accept-Encoding")
	}

	var ranges []byteRange
	var rangeBuf [2]byteRange // most requests have one range
	if status == 200 {
		h.Set("Accept-Ranges", "bytes")
		cond := conditionsOf(req)
		pre := fl.evaluateCoded(w, &cond, m) // compress.go
		switch pre {
		case notModified:
			// RFC 9110 §15.4.5: the validators a 200 would carry, no body.
			w.WriteHeader(304)
			return nil
		case failed:
			h.Del("Last-Modified")
			h.Del("ETag")
			h.Del("Accept-Ranges")
			return &http1.StatusError{Status: 412, Msg: "precondition failed"}
		}
		// RFC 9110 §14.2: range handling is defined for GET only.
		if rv := cond.rng; rv != nil && pre != ignoreRanges && string(req.Method) == "GET" {
			var res rangeResult
			ranges, res = parseRange(string(rv), size, rangeBuf[:0])
			if res == rangeUnsatisfiable {
				h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
				return errUnsatisfiable
			}
		}
	}
	// part writes bytes [start, start+n) of the file; a failure can only
	// close the connection (the head is out).
	part := func(start, n int64) error {
		if body != nil {
			_, err := w.Write(body[start : start+n])
			return err
		}
		if n > mediumFile {
			_, err := sendFile(w, f, start, n)
			return err
		}
		bp := mediumBufs.Get().(*[]byte)
		defer mediumBufs.Put(bp)
		b := (*bp)[:n]
		if err := f.readAt(b, start); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	}
	// one sends the single region [start, start+n) as the body of a
	// response with status: read first when it is small enough to go
	// with the head, else sent with sendfile after it.
	one := func(status int, start, n int64) error {
		w.SetContentLength(n)
		if n == 0 || !w.BodyAllowed(status) {
			w.WriteHeader(status)
			return nil
		}
		if body != nil || n > mediumFile {
			w.WriteHeader(status)
			// The head is out: an error (the client gone, a read failing) can only
			// close the connection, which the caller does for it.
			return part(start, n)
		}
		bp := mediumBufs.Get().(*[]byte)
		defer mediumBufs.Put(bp)
		b := (*bp)[:n]
		if err := f.readAt(b, start); err != nil {
			// The error page goes out instead: without this file's fields.
			for _, name := range fileFields {
				h.Del(name)
			}
			return err
		}
		w.WriteHeader(status)
		w.Write(b)
		return nil
	}
	switch {
	case len(ranges) == 1:
		r := ranges[0]
		h.Set("Content-Type", m.ctype)
		h.Set("Content-Range", contentRange(r, size))
		return one(206, r.Start, r.Length)
	case len(ranges) > 1:
		mp := newMultipart(ranges, size, m.ctype)
		h.Set("Content-Type", "multipart/byteranges; boundary="+mp.boundary)
		w.SetContentLength(mp.length)
		w.WriteHeader(206)
		for i, r := range ranges {
			if _, err := io.WriteString(w, mp.heads[i]); err != nil {
				return nil // connection failed; the writer closes it
			}
			if part(r.Start, r.Length) != nil {
				return nil
			}
		}
		io.WriteString(w, mp.tail)
		return nil
	}

	h.Set("Content-Type", m.ctype)
	return one(status, 0, size)
}

// cachedSender is the HTTP/1.1 writer's sendfile for a region in the
// page cache (http1.ResponseWriter.SendCachedFile).
type cachedSender interface {
	SendCachedFile(fd int, off, n int64) (int64, error)
}

// sendFile sends n bytes of f from start with w.SendFile, raw where f's
// region is cached and w can (rawfile_linux.go).
func sendFile(w response.Writer, f *file, start, n int64) (int64, error) {
	// A long send to a slow client gives the page cache time to drop
	// pages the check found: raw only for a region sent in moments.
	if cs, ok := w.(cachedSender); ok && n <= maxRawSend && f.cached(start, n) {
		return cs.SendCachedFile(f.fd, start, n)
	}
	return w.SendFile(f.fd, start, n)
}

// maxRawSend bounds the region sent with raw sendfile (rawfile_linux.go).
const maxRawSend = 256 << 10

// fileFields are the header fields send sets from the file.
var fileFields = [...]string{"Last-Modified", "ETag", "Accept-Ranges", "Content-Type", "Content-Range"}

var errUnsatisfiable = &http1.StatusError{Status: 416, Msg: "range not satisfiable"}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&#34;", "'", "&#39;").Replace(s)
}

// validators returns the strong ETag (modification time and size, as nginx
// builds it, RFC 9110 §8.8.3) and the Last-Modified value (§8.8.2), built
// in one allocation: both are slices of one string, remembered for the
// next request of the same version of a file (memo.go).
func validators(mod time.Time, size int64) (etag, lastMod string) {
	if e := validatorMemo.get(mod.Unix(), size, 0); e != nil {
		return e.s[:e.n], e.s[e.n:]
	}
	var b [80]byte
	buf := append(b[:0], '"')
	buf = strconv.AppendInt(buf, mod.Unix(), 16)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, size, 16)
	buf = append(buf, '"')
	n := len(buf)
	buf = mod.AppendFormat(buf, http1.TimeFormat)
	s := string(buf)
	validatorMemo.put(&memoEntry{a: mod.Unix(), b: size, s: s, n: n})
	return s[:n], s[n:]
}
