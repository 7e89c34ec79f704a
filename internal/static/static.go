package static

import (
	"errors"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/route"
)

// smallFile is the size up to which a file is read into memory and sent
// with its head in one writev; larger files go out with sendfile after the
// head. 16 KiB keeps the pooled buffers small while covering typical HTML,
// CSS and icons.
const smallFile = 16 << 10

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallFile); return &b }}

// Serve answers a GET or HEAD for the clean URL path under loc with the
// given status (200, or the original status when serving an error_page).
// Nothing is written when it returns an error: the error carries the status
// (*http1.StatusError) for the caller to render.
//
// For a 200, the request's preconditions (RFC 9110 §13) and Range (§14) are
// honoured; an error page (status != 200) is sent whole, as nginx does.
func Serve(w *http1.ResponseWriter, req *http1.Request, loc *config.Location, urlPath string, status int) error {
	fpath := route.FilePath(loc, urlPath)
	f, err := openFile(fpath)
	if err != nil {
		return FileError(err)
	}
	if err := inside(loc, &f); err != nil {
		f.close()
		return err
	}
	if f.isDir() {
		f.close()
		if status != 200 {
			return notFound
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
			idx, err := openFile(filepath.Join(fpath, name))
			if err != nil {
				continue
			}
			if !idx.isRegular() || inside(loc, &idx) != nil {
				idx.close()
				continue
			}
			return serveFile(w, req, loc, &idx, status)
		}
		if loc.Autoindex {
			return serveListing(w, loc, fpath, urlPath)
		}
		return forbidden
	}
	if !f.isRegular() {
		f.close()
		return forbidden // devices, sockets, FIFOs are never served
	}
	return serveFile(w, req, loc, &f, status)
}

var (
	notFound  = &http1.StatusError{Status: 404, Msg: "file not found"}
	forbidden = &http1.StatusError{Status: 403, Msg: "forbidden"}
)

// FileError maps a file system error to the status SPEC §3 names: missing
// 404, permission 403, out of descriptors 503, anything else 500.
func FileError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return notFound
	case errors.Is(err, fs.ErrPermission):
		return forbidden
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return &http1.StatusError{Status: 503, Msg: "out of file descriptors"}
	}
	return err
}

// serveFile sends the regular file f, and closes it.
func serveFile(w *http1.ResponseWriter, req *http1.Request, loc *config.Location, f *file, status int) error {
	defer f.close()
	size := f.size
	ctype := ContentType(f.path, loc.DefaultType)
	mod := f.mod
	// A strong validator from modification time and size, as nginx builds
	// it (RFC 9110 §8.8.3).
	etag, lastMod := validators(mod, size)
	h := w.Header()
	h.Set("Last-Modified", lastMod)
	h.Set("ETag", etag)

	var ranges []byteRange
	if status == 200 {
		h.Set("Accept-Ranges", "bytes")
		pre := evaluate(req, etag, mod)
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
		if rv := req.Get("Range"); rv != nil && pre != ignoreRanges && string(req.Method) == "GET" {
			var res rangeResult
			ranges, res = parseRange(string(rv), size)
			if res == rangeUnsatisfiable {
				h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
				return errUnsatisfiable
			}
		}
	}
	switch {
	case len(ranges) == 1:
		r := ranges[0]
		h.Set("Content-Type", ctype)
		h.Set("Content-Range", contentRange(r, size))
		w.SetContentLength(r.Length)
		w.WriteHeader(206)
		if w.BodyAllowed(206) {
			of := f.osFile()
			if _, err := of.Seek(r.Start, io.SeekStart); err != nil {
				return nil // the head is out: the short body closes the connection
			}
			w.ReadFromN(of, r.Length) // sendfile from the offset
		}
		return nil
	case len(ranges) > 1:
		m := newMultipart(ranges, size, ctype)
		h.Set("Content-Type", "multipart/byteranges; boundary="+m.boundary)
		w.SetContentLength(m.length)
		w.WriteHeader(206)
		of := f.osFile()
		for i, r := range ranges {
			if _, err := io.WriteString(w, m.heads[i]); err != nil {
				return nil // connection failed; the writer closes it
			}
			if _, err := of.Seek(r.Start, io.SeekStart); err != nil {
				return nil
			}
			if _, err := w.ReadFromN(of, r.Length); err != nil {
				return nil
			}
		}
		io.WriteString(w, m.tail)
		return nil
	}

	// A small file is read before anything is committed, so that a read
	// error can still become an error page; it then leaves with its head in
	// one writev.
	var buf []byte
	if size > 0 && size <= smallFile && w.BodyAllowed(status) {
		bp := smallBufs.Get().(*[]byte)
		defer smallBufs.Put(bp)
		buf = (*bp)[:size]
		if err := f.readAll(buf); err != nil {
			return err
		}
	}
	h.Set("Content-Type", ctype)
	w.SetContentLength(size)
	w.WriteHeader(status)
	switch {
	case buf != nil:
		w.Write(buf)
	case size > smallFile && w.BodyAllowed(status):
		of := f.osFile()
		w.ReadFrom(of) // sendfile; a failure here can only close the connection
	}
	return nil
}

var errUnsatisfiable = &http1.StatusError{Status: 416, Msg: "range not satisfiable"}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&#34;", "'", "&#39;").Replace(s)
}

// validators returns the strong ETag (modification time and size, as nginx
// builds it, RFC 9110 §8.8.3) and the Last-Modified value (§8.8.2), built
// in one allocation: both are slices of one string.
func validators(mod time.Time, size int64) (etag, lastMod string) {
	var b [80]byte
	buf := append(b[:0], '"')
	buf = strconv.AppendInt(buf, mod.Unix(), 16)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, size, 16)
	buf = append(buf, '"')
	n := len(buf)
	buf = mod.AppendFormat(buf, http1.TimeFormat)
	s := string(buf)
	return s[:n], s[n:]
}
