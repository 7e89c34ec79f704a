package static

import (
	"webserv/internal/compress"
	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/response"
	"webserv/internal/route"
)

// Compression (SPEC §7, internal/compress) meets the static handler in two
// places: the ETag a compressed 200 would carry is the one preconditions
// are evaluated against (so that If-None-Match matches a coded ETag back),
// and precompressed files beside the original are served in its place.

// coder is a response writer that compresses (compress.Writer): told
// about the whole file a response sends, it returns the ETag the response
// will carry.
type coder interface {
	File(etag, ctype string, size int64, id compress.FileID, cacheable bool) string
}

// evaluateCoded is evaluate (conditional.go) against the representation
// a 200 would send: when w compresses it, its coded ETag. An If-Range is
// still compared with the file's own ETag: ranges are only ever sent of
// the identity representation (a 206 is never compressed).
func (fl *Files) evaluateCoded(w response.Writer, cond *conditions, m *meta) precondition {
	c, ok := w.(coder)
	if !ok {
		return cond.evaluate(m.etag, m.mod)
	}
	id := m.fid
	etag := c.File(m.etag, m.ctype, m.size, compress.FileID{
		Dev: id.dev, Ino: id.ino, Mode: id.mode, Size: id.size,
		Mtime: id.mtim.Nano(), Ctime: id.ctim.Nano(),
	}, id.ino != 0 && fl.settled(&id))
	pre := cond.evaluate(etag, m.mod)
	if etag != m.etag && (pre == proceed || pre == ignoreRanges) {
		// A 206 is only ever of the identity representation: If-Range is
		// decided by its validators alone, never the coded ETag, which
		// names bytes a range of the identity would not be part of (RFC
		// 9110 §13.1.5).
		if ir := cond.ifRange; ir != nil && cond.rng != nil {
			pre = proceed
			if !ifRange(string(ir), m.etag, m.mod) {
				pre = ignoreRanges
			}
		}
	}
	return pre
}

// copyVary reports whether the identity answer with status of a file at
// loc carries `Vary: Accept-Encoding` for the precompressed copies loc
// serves (gzip_static, compress_static): a client accepting a coding
// might get FILE.gz instead (RFC 9110 §12.5.5), so a shared cache must
// keep the answers apart. nginx says so only when FILE.gz exists, which
// costs it an open of FILE.gz on every request; here, whether a copy
// exists is not looked up for a request that accepts no coding (no system
// call is spent on it), so every file of such a location gets the field.
// A type the location compresses on the fly gets it from the compressing
// writer anyway.
func copyVary(loc *config.Location, status int) bool {
	return status == 200 && loc.Compress.Static != 0 && loc.Compress.Vary
}

// precompressedExt are the names of precompressed files by coding.
var precompressedExt = [...]struct {
	c   config.Codings
	ext string
}{{config.Zstd, ".zst"}, {config.Br, ".br"}, {config.Gzip, ".gz"}}

// servePrecompressed answers a GET or HEAD for the file at urlPath from
// FILE.zst, FILE.br or FILE.gz beside it (gzip_static, compress_static),
// as nginx's gzip_static does: the coding is the one of loc's precompressed
// codings the request accepts best (compress.Negotiate) whose file exists,
// is a regular file and is not older than FILE — an older one was made
// from an earlier FILE. It is sent as FILE's representation in that coding:
// FILE's Content-Type, the precompressed file's own length and validators
// (so conditional and range requests work on it as on any file),
// Content-Encoding and Vary. With `gzip_static always` FILE.gz is sent
// whatever the request accepts. served is false, with nothing written,
// when the file is not answered this way: the caller serves FILE.
//
// FILE itself must be a regular file that is sent, not run: a script's
// precompressed copy is not served in its stead.
func (fl *Files) servePrecompressed(w response.Writer, req *http1.Request, loc *config.Location, urlPath string) (served bool, err error) {
	if len(urlPath) == 0 || urlPath[len(urlPath)-1] == '/' {
		return false, nil
	}
	if !loc.Compress.StaticAlways && compress.Negotiate(req, loc.Compress.Static).Coding == compress.Identity {
		// No copy is acceptable: FILE is not even opened here, so that
		// a request accepting no coding costs no system call more than
		// without compress_static.
		return false, nil
	}
	var pb [512]byte
	pathZ := append(route.AppendFilePath(pb[:0], loc, urlPath), 0)
	// The copies are looked for first: most files have none, and a
	// request that finds none costs its failed opens alone. FILE is
	// checked once a copy is found.
	var zb [520]byte // the copy's path, on the stack as FILE's
	offered := loc.Compress.Static
	mtime, ctype, checked := int64(0), "", false
	var pf file
	var c config.Codings
	for {
		var found bool
		pf, c, found = fl.findPrecompressed(req, loc, pathZ, &offered, zb[:0])
		if !found {
			return false, nil
		}
		if !checked {
			orig, err := fl.open(loc, pathZ)
			if err != nil {
				pf.close()
				return false, nil // FILE's own errors are the caller's to report
			}
			ok := orig.isRegular() && !isCGI(loc, orig.name())
			if ok {
				ctype = ContentType(string(orig.ext()), loc.Types, loc.DefaultType)
			}
			mtime = orig.id.mtim.Nano()
			orig.close()
			if !ok {
				pf.close()
				return false, nil
			}
			checked = true
		}
		if pf.id.mtim.Nano() >= mtime {
			break
		}
		pf.close() // made from an earlier FILE
	}
	defer pf.close()
	m := meta{size: pf.id.size, mod: pf.modTime(), ctype: ctype, fid: pf.id}
	m.etag, m.lastMod = validators(m.mod, m.size)
	h := w.Header()
	h.Set("Content-Encoding", compress.Name(c))
	if loc.Compress.Vary {
		h.Add("Vary", "Accept-Encoding")
	}
	return true, fl.send(w, req, &m, nil, &pf, 200, false)
}

// findPrecompressed opens the precompressed copy of the file at pathZ
// (NUL-terminated) to send for req: the coding the request accepts best
// among offered whose copy is a regular file. The coding is taken out of
// offered, for the caller to look again when the copy will not do. The
// copy's path is built in buf.
func (fl *Files) findPrecompressed(req *http1.Request, loc *config.Location, pathZ []byte, offered *config.Codings, buf []byte) (file, config.Codings, bool) {
	cfg := &loc.Compress
	for *offered != 0 {
		c := config.Gzip
		if !cfg.StaticAlways {
			ch := compress.Negotiate(req, *offered)
			if ch.Coding == compress.Identity {
				break
			}
			c = ch.Coding
		}
		*offered &^= c
		z := append(buf[:0], pathZ[:len(pathZ)-1]...)
		for _, p := range precompressedExt {
			if p.c == c {
				z = append(z, p.ext...)
			}
		}
		z = append(z, 0)
		f, err := fl.open(loc, z)
		if err != nil {
			continue
		}
		if f.isRegular() {
			return f, c, true
		}
		f.close()
	}
	return file{}, 0, false
}
