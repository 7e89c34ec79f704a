package static

import (
	"errors"
	"html"
	"io"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"webserv/internal/config"
	"webserv/internal/fspolicy"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// A listing is written while the directory is read, so that its memory
// does not grow with the directory: built whole, a listing of a huge
// directory costs memory in proportion to it, and a few requests at once
// can exhaust the server's (scripts/listing-rss.sh measures it).
const (
	// listingSortMax is the most visible entries a listing sorts by name.
	// Sorting needs every name in memory at once: at most 4096 names of
	// 255 bytes (NAME_MAX) plus ~40 bytes each, about 1.2 MB per request.
	// A bigger directory — far more than a person reads down — is listed
	// in the order the file system returns it, directories still first.
	listingSortMax = 4096
	// listingBatch is how many entries one ReadDir call returns: the
	// entries held at once while a big directory is streamed.
	listingBatch = 256
	// listingFlush is the size of the pieces the page goes out in. A page
	// that fits in one piece is sent whole, with a Content-Length.
	listingFlush = 32 << 10
)

// serveListing writes the autoindex page for directory dir at urlPath:
// directories first, then files, each with size and modification time
// (UTC), sorted by name unless there are more than listingSortMax. Dotfiles
// are hidden. Names are HTML-escaped and links percent-encoded, so no
// name can inject markup or a foreign URL.
//
// Nothing is written when it returns an error. Once part of a big page
// has gone out, a failure to read the directory can only cut the response
// short: the result is then errListingCut.
func serveListing(w response.Writer, loc *config.Location, dir, urlPath string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fspolicy.Error(err)
	}
	defer d.Close()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !w.BodyAllowed(200) {
		// HEAD: the head alone, without reading the directory. (No
		// Content-Length: RFC 9110 §9.3.2 lets a HEAD response omit it.)
		w.WriteHeader(200)
		return nil
	}

	// Read up to listingSortMax visible entries: if that is all there is,
	// they are sorted; else the directory is streamed in two passes.
	var small []listEntry
	big := false
	for !big {
		batch, err := d.ReadDir(listingBatch)
		for _, e := range batch {
			if hidden(e.Name()) {
				continue
			}
			if len(small) == listingSortMax {
				big = true
				break
			}
			small = append(small, listEntry{name: e.Name(), dir: isDir(dir, e)})
		}
		if err == io.EOF || len(batch) == 0 {
			break
		}
		if err != nil {
			return fspolicy.Error(err)
		}
	}

	p := listingPage{w: w, buf: make([]byte, 0, listingFlush+1024)}
	p.head(urlPath)
	if !big {
		slices.SortFunc(small, func(a, b listEntry) int {
			if a.dir != b.dir {
				if a.dir {
					return -1
				}
				return 1
			}
			return strings.Compare(a.name, b.name)
		})
		for _, e := range small {
			if p.err != nil {
				return nil // the client is gone: the writer closes the connection
			}
			if fi := entryInfo(dir, e.name); fi != nil {
				p.entry(e.name, fi)
			}
		}
		return p.finish()
	}

	// Two passes over the directory, directories then files, each in the
	// file system's order, holding one batch at a time. An entry renamed
	// or replaced between the passes may be shown twice or not at all,
	// as with any listing of a directory that changes while it is read.
	small = nil
	for _, dirs := range []bool{true, false} {
		if _, err := d.Seek(0, io.SeekStart); err != nil {
			return p.fail(err)
		}
		for {
			batch, err := d.ReadDir(listingBatch)
			for _, e := range batch {
				name := e.Name()
				t := e.Type()
				if hidden(name) || t.IsDir() && !dirs || t.IsRegular() && dirs {
					continue // the kind is known without a stat
				}
				if fi := entryInfo(dir, name); fi != nil && fi.IsDir() == dirs {
					p.entry(name, fi)
				}
			}
			if p.err != nil {
				return nil // the client is gone: the writer closes the connection
			}
			if err == io.EOF || len(batch) == 0 {
				break
			}
			if err != nil {
				return p.fail(err)
			}
		}
	}
	return p.finish()
}

// errListingCut reports a listing that failed after part of it was sent:
// the status is out, so the connection can only close without completing
// the response (the caller sees w.HeadSent).
var errListingCut = errors.New("static: directory listing cut short")

type listEntry struct {
	name string
	dir  bool
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// isDir reports whether e is a directory, following a symlink as the
// listing shows it.
func isDir(dir string, e fs.DirEntry) bool {
	if t := e.Type(); t.IsDir() || t.IsRegular() {
		return t.IsDir()
	}
	fi := entryInfo(dir, e.Name())
	return fi != nil && fi.IsDir()
}

// entryInfo returns what the listing shows of name in dir: the target of
// a symlink (its kind and size), or the link itself when it dangles; nil
// when the entry is gone.
func entryInfo(dir, name string) fs.FileInfo {
	path := dir + "/" + name
	fi, err := os.Stat(path)
	if err != nil {
		fi, err = os.Lstat(path)
		if err != nil {
			return nil
		}
	}
	return fi
}

// listingPage buffers the page and sends it in pieces of listingFlush.
type listingPage struct {
	w    response.Writer
	buf  []byte
	sent bool  // a piece went out: the head is committed, chunked
	err  error // the first write error: the rest of the page is skipped
}

func (p *listingPage) head(urlPath string) {
	title := html.EscapeString("Index of " + urlPath)
	p.buf = append(p.buf, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>"...)
	p.buf = append(p.buf, title...)
	p.buf = append(p.buf, "</title>\n<style>body{font-family:sans-serif;margin:2em}td{padding:.1em 1.5em .1em 0}td.s{text-align:right}</style>\n</head>\n<body>\n<h1>"...)
	p.buf = append(p.buf, title...)
	p.buf = append(p.buf, "</h1>\n<table>\n<tr><th align=\"left\">Name</th><th align=\"right\">Size</th><th align=\"left\">Modified (UTC)</th></tr>\n"...)
	if urlPath != "/" {
		p.buf = append(p.buf, "<tr><td><a href=\"../\">../</a></td><td class=\"s\">-</td><td></td></tr>\n"...)
	}
}

func (p *listingPage) entry(name string, fi fs.FileInfo) {
	if p.err != nil {
		return
	}
	b := append(p.buf, "<tr><td><a href=\""...)
	b = append(b, html.EscapeString(hrefOf(name))...)
	if fi.IsDir() {
		b = append(b, '/')
	}
	b = append(b, "\">"...)
	b = append(b, html.EscapeString(name)...)
	if fi.IsDir() {
		b = append(b, "/</a></td><td class=\"s\">-"...)
	} else {
		b = append(b, "</a></td><td class=\"s\">"...)
		b = appendSize(b, fi.Size())
	}
	b = append(b, "</td><td>"...)
	b = fi.ModTime().UTC().AppendFormat(b, "2006-01-02 15:04")
	p.buf = append(b, "</td></tr>\n"...)
	if len(p.buf) >= listingFlush {
		p.flush()
	}
}

// hrefOf is the link to name, relative to the listing. Percent-encoding
// keeps it one path segment, and a colon is encoded too: url.PathEscape
// leaves it, and a name such as "javascript:alert(1)" would then read as a
// URL with its own scheme (RFC 3986 §4.2: a relative path's first segment
// cannot contain a colon), a script run in the server's origin on click.
// nginx encodes it likewise.
func hrefOf(name string) string {
	return strings.ReplaceAll(url.PathEscape(name), ":", "%3A")
}

func (p *listingPage) flush() {
	p.sent = true
	_, p.err = p.w.Write(p.buf) // on error the writer closes the connection
	p.buf = p.buf[:0]
}

func (p *listingPage) finish() error {
	p.buf = append(p.buf, "</table>\n<hr><p>"+http1.ServerName+"</p>\n</body>\n</html>\n"...)
	if !p.sent {
		p.w.SetContentLength(int64(len(p.buf)))
	}
	p.w.WriteHeader(200)
	p.w.Write(p.buf)
	return nil
}

// fail ends a listing whose directory could not be read to the end.
func (p *listingPage) fail(err error) error {
	if !p.sent {
		return fspolicy.Error(err)
	}
	return errListingCut
}

// appendSize formats n as nginx's autoindex_exact_size off does: bytes
// below 1 KiB, else one decimal in K, M or G.
func appendSize(b []byte, n int64) []byte {
	if n < 1024 {
		return strconv.AppendInt(b, n, 10)
	}
	units := "KMGTP"
	f := float64(n) / 1024
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return append(strconv.AppendFloat(b, f, 'f', 1, 64), units[i])
}
