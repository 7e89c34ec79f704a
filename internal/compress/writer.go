package compress

import (
	"io"
	"sync"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// Writer is a response.Writer that compresses the response it passes on
// to another (the transport's) when the response qualifies, decided when
// its status is fixed (WriteHeader):
//
//   - the request accepts a coding the location offers (Negotiate);
//   - the status is 200: not 206 (its ranges are of the identity
//     representation, RFC 9110 §14.1), 304, 204 or 1xx (no content);
//   - no Content-Encoding is set already (a precompressed file, a CGI
//     program's own coding) and no `Cache-Control: no-transform` (RFC 9111
//     §5.2.2.6 forbids changing the content);
//   - the Content-Type is in the location's list and the declared length
//     is at least its minimum (an unknown length qualifies; a request that
//     refuses identity waives the minimum, not the list: as nginx, which
//     ignores `identity;q=0`, a video is not compressed for it).
//
// Brotli encodings in progress are bounded (maxBrotli, encoders.go): past
// the bound a response gets the request's next-best coding.
//
// A compressed response carries Content-Encoding (RFC 9110 §8.4), loses
// Accept-Ranges (ranges of the coded bytes are not offered) and any
// declared Content-Length (known again only when the whole body fits the
// buffer at the end, or comes from the variant cache), and has its ETag
// made per coding: the opaque tag gets "-gzip", "-br" or "-zstd" inside
// its quotes (`"5f-1a2"` becomes `"5f-1a2-gzip"`, RFC 9110 §8.8.3: a
// strong tag must differ between the coded and the identity
// representation), weak or strong as it was. A response whose coding
// depends on the request — any 200, 206 or 304 of a compressible type —
// gets `Vary: Accept-Encoding` (§12.5.5), the identity one too, so that a
// shared cache keeps the variants apart.
//
// HEAD gets the head the GET would get, without the length a GET learns
// only by compressing (RFC 9110 §9.3.2 allows leaving it out).
//
// A Writer is reused: a connection holds one and calls Reset for each
// request, Finish after the handler; nothing it does per request
// allocates once its encoder pools and buffer are warm.
type Writer struct {
	inner  response.Writer
	cfg    *config.Compress
	cache  *Cache
	ch     Choice
	alt    Choice // the choice without br, when ch is br (maxBrotli)
	brSlot bool   // w holds one of the maxBrotli slots

	length      int64 // declared by the handler; -1 unknown
	status      int
	wroteHeader bool
	mode        mode

	// What File said: the response is a file of this identity, whole.
	file      bool
	fileSize  int64
	fileCode  bool // a 200 of it would be compressed
	fileVary  bool // its coding depends on the request: a compressible type
	fileETag  string
	fileCache bool // its variant may be cached
	id        FileID
	hit       *variant // the cached variant in use

	enc     encoder
	sink    sink
	buf     []byte // compressed bytes not yet passed on; kept across requests
	storing bool   // buf collects the whole variant for the cache (never passed on before Finish)
	in      int64  // bytes given to the encoder
	sent    bool   // the inner writer has the status (bytes went to it)
	err     error  // first error of the encoder or the inner writer
}

type mode uint8

const (
	passThrough mode = iota // not compressed: every call goes to the inner writer
	encoding                // compressed on the fly
	cached                  // the body comes from the variant cache
)

// sink is what the encoder writes to: the Writer's buffer.
type sink struct{ w *Writer }

func (s *sink) Write(p []byte) (int, error) { return s.w.sinkWrite(p) }

// flushAt is how many compressed bytes are held before they are passed
// on: enough for the head and the start of the body to leave in one write
// and for most compressed pages to leave whole, with their length.
const flushAt = 32 << 10

// maxKeptBuf bounds the buffer a Writer keeps between requests; a larger
// one (a variant collected for the cache) is let go.
const maxKeptBuf = 64 << 10

// Reset prepares w to wrap inner for a response to req at loc, whose
// compressed variants cache keeps (nil: no cache), and returns the writer
// the handler is to write to: w, or inner itself when loc does not
// compress. Call Finish after the handler, whatever it returned.
// Forget drops what w holds of its last response (the writer beneath, the
// configuration, a cached variant), keeping only its buffer: a pooled
// exchange must not keep a finished stream reachable.
func (w *Writer) Forget() { *w = Writer{buf: w.buf[:0]} }

func (w *Writer) Reset(inner response.Writer, req *http1.Request, loc *config.Location, cache *Cache) response.Writer {
	w.inner = nil
	if !loc.Compress.On {
		return inner
	}
	if !loc.Compress.Cache {
		cache = nil
	}
	*w = Writer{inner: inner, cfg: &loc.Compress, cache: cache, buf: w.buf[:0], length: -1}
	w.sink.w = w
	w.ch = Negotiate(req, loc.Compress.Codings)
	if w.ch.Coding == config.Br {
		w.alt = Negotiate(req, loc.Compress.Codings&^config.Br)
	}
	return w
}

// File tells w, before the status is fixed, that the response is the
// whole of a file: its strong or weak ETag, type, size and identity
// (cacheable: the file is settled, so the bytes read match the identity;
// internal/static decides). It returns the ETag the response carries,
// for the static handler's If-None-Match and If-Match (RFC 9110 §13.1):
// the coded one when a 200 would be compressed. A hit in the variant
// cache makes it allocate nothing.
func (w *Writer) File(etag, ctype string, size int64, id FileID, cacheable bool) string {
	w.file, w.fileSize, w.id = true, size, id
	w.fileCode = w.qualifies(200, ctype, size)
	w.fileVary = w.fileCode || w.compressible(ctype) && !w.inner.Header().Has("Content-Encoding")
	w.fileCache = cacheable && size <= MaxVariantSource && w.cache != nil
	if !w.fileCode {
		return etag
	}
	if w.cachedVariant(etag) {
		return w.fileETag
	}
	c := w.ch.Coding
	if !w.reserve() {
		w.fileCode = false
		return etag
	}
	if w.ch.Coding != c && w.cachedVariant(etag) { // br fell back
		return w.fileETag
	}
	w.fileETag = codedETag(etag, w.ch.Coding)
	return w.fileETag
}

// cachedVariant looks the file's variant in the coding chosen up in the
// cache and, if it is there for the file's etag, makes it the one sent.
func (w *Writer) cachedVariant(etag string) bool {
	if !w.fileCache {
		return false
	}
	k := w.key()
	if v := w.cache.get(&k); v != nil && len(etag) > 0 && sameSource(v.etag, etag) {
		w.hit = v
		w.fileETag = v.etag
		return true
	}
	return false
}

// reserve is called before the response is committed to encoding on the
// fly in the chosen coding: for br, it takes a maxBrotli slot, or, when
// none is free, falls back to the request's next-best coding. It reports
// whether a coding remains.
func (w *Writer) reserve() bool {
	if w.ch.Coding != config.Br || w.brSlot {
		return true
	}
	if reserveBrotli() {
		w.brSlot = true
		return true
	}
	w.ch = w.alt
	return w.ch.Coding != Identity
}

func (w *Writer) key() variantKey {
	k := variantKey{id: w.id, coding: w.ch.Coding}
	if k.coding == config.Gzip {
		k.level = uint8(w.cfg.Level)
	}
	return k
}

// qualifies reports whether a response with status, type ctype and
// length (-1 unknown) is compressed, given the head set so far.
func (w *Writer) qualifies(status int, ctype string, length int64) bool {
	if w.ch.Coding == Identity || status != 200 {
		return false
	}
	h := w.inner.Header()
	if h.Has("Content-Encoding") || noTransform(h) {
		return false
	}
	return w.compressible(ctype) && (length < 0 || length >= w.cfg.MinLength || w.ch.NoIdentity)
}

// compressible reports whether ctype is in the location's list.
func (w *Writer) compressible(ctype string) bool {
	return typeListed(w.cfg.TypeList(), ctype)
}

// Header returns the inner writer's header list: fields are set on it
// directly.
func (w *Writer) Header() *response.Header { return w.inner.Header() }

// SetContentLength records the length the handler declares; it reaches
// the inner writer unless the body is compressed.
func (w *Writer) SetContentLength(n int64) { w.length = n }

// WriteHeader fixes the status and decides (see Writer).
func (w *Writer) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = status
	h := w.inner.Header()
	ctype := h.Get("Content-Type")
	code := w.qualifies(status, ctype, w.length)
	if code && !(w.file && w.hit != nil && w.length == w.fileSize) && !w.reserve() {
		code = false
	}
	switch {
	case code:
		w.addVary()
		h.Del("Accept-Ranges")
		h.Set("Content-Encoding", Name(w.ch.Coding))
		if w.file && w.fileETag != "" && w.length == w.fileSize {
			h.Set("ETag", w.fileETag)
		} else if et := h.Get("ETag"); et != "" {
			h.Set("ETag", codedETag(et, w.ch.Coding))
		}
		if w.file && w.hit != nil && w.length == w.fileSize {
			w.mode = cached
			w.inner.SetContentLength(int64(len(w.hit.body)))
			w.inner.WriteHeader(status)
			w.sent = true
			if w.inner.BodyAllowed(status) {
				_, w.err = w.inner.Write(w.hit.body)
			}
			return
		}
		w.mode = encoding
		w.storing = w.file && w.fileCache && w.length == w.fileSize && w.inner.BodyAllowed(status)
		return // the head goes with the first compressed bytes
	case status == 304 && w.file && w.fileCode:
		// RFC 9110 §15.4.5: the 304 carries the ETag and Vary the 200
		// would have.
		w.addVary()
		if w.fileETag != "" {
			h.Set("ETag", w.fileETag)
		}
	case (status == 200 || status == 206 || status == 304) && !h.Has("Content-Encoding") && (w.compressible(ctype) || w.file && w.fileVary):
		w.addVary()
	}
	w.mode = passThrough
	if w.brSlot { // File reserved it for a 200 that this is not
		w.brSlot = false
		releaseBrotli()
	}
	w.inner.SetContentLength(w.length)
	w.inner.WriteHeader(status)
}

func (w *Writer) addVary() {
	if !w.cfg.Vary {
		return
	}
	h := w.inner.Header()
	for _, f := range h.Fields() {
		if response.EqualFold(f.Name, "Vary") && (hasToken(f.Value, "accept-encoding") || hasToken(f.Value, "*")) {
			return
		}
	}
	h.Add("Vary", "Accept-Encoding")
}

// Write passes p on, compressed or not (see Writer).
func (w *Writer) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	switch w.mode {
	case passThrough:
		return w.inner.Write(p)
	case cached:
		return len(p), w.err // the cached variant went out instead
	}
	if !w.inner.BodyAllowed(w.status) {
		return len(p), nil
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.enc == nil {
		w.enc = getEncoder(w.ch.Coding, w.cfg.Level, &w.sink)
	}
	n, err := w.enc.Write(p)
	w.in += int64(n)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, w.err
}

// readBufs holds SendFile's read buffers while it compresses a file.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// SendFile sends the file region through the encoder, read with pread
// (the descriptor's offset is not used, as the interface requires), or
// hands it to the inner writer's sendfile when not compressing.
func (w *Writer) SendFile(fd int, off, n int64) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	switch w.mode {
	case passThrough:
		return w.inner.SendFile(fd, off, n)
	case cached:
		return n, w.err
	}
	if !w.inner.BodyAllowed(w.status) {
		return n, nil
	}
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	return response.CopyFile(w, fd, off, n, *bp)
}

// Flush passes on what the encoder holds, decodable up to here (a CGI
// program that pauses: its output so far reaches the client now).
func (w *Writer) Flush() error {
	if w.mode != encoding {
		return w.inner.Flush()
	}
	if w.enc != nil && w.err == nil && !w.storing {
		if err := w.enc.Flush(); err != nil {
			w.err = err
			return err
		}
		w.push()
	}
	if w.err != nil {
		return w.err
	}
	return w.inner.Flush()
}

func (w *Writer) sinkWrite(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if !w.storing && len(w.buf) >= flushAt {
		w.push()
	}
	return len(p), w.err
}

// push passes the buffered bytes on, the head first if it has not gone.
func (w *Writer) push() {
	if !w.sent {
		w.sent = true
		w.inner.SetContentLength(-1)
		w.inner.WriteHeader(w.status)
	}
	if len(w.buf) == 0 || w.err != nil {
		return
	}
	if _, err := w.inner.Write(w.buf); err != nil {
		w.err = err
	}
	w.buf = w.buf[:0]
}

// Finish ends the response: the encoder's last bytes are passed on (with
// the body's length when it is all still here) and a whole variant goes
// into the cache. With failed set — the handler returned an error —
// nothing more is passed on: what is buffered is dropped, and if the head
// has not gone the caller can still answer with an error page on the
// inner writer. Finish makes w ready for reuse.
func (w *Writer) Finish(failed bool) error {
	if w.inner == nil {
		return nil
	}
	defer w.release()
	if w.mode != encoding || failed || !w.wroteHeader {
		return w.err
	}
	if w.err == nil && w.length >= 0 && w.in != w.length && w.inner.BodyAllowed(w.status) {
		// The body fell short of (or ran past) the length declared: a
		// file truncated while read. A clean end of the coded stream
		// would have the client, and any cache under the strong ETag of
		// the whole file, take the part for the whole; as without
		// compression (the inner writer's short body), the connection is
		// closed instead (RFC 9112 §8: an incomplete message).
		w.inner.CloseAfter()
		return io.ErrUnexpectedEOF
	}
	if w.enc == nil && w.err == nil && w.inner.BodyAllowed(w.status) {
		// No body bytes came: the coding still needs its (empty) stream,
		// or the client's decoder fails on nothing.
		w.enc = getEncoder(w.ch.Coding, w.cfg.Level, &w.sink)
	}
	if w.enc != nil && w.err == nil {
		if err := w.enc.Close(); err != nil {
			w.err = err
		}
	}
	if w.err != nil {
		return w.err
	}
	if !w.sent {
		w.sent = true
		if w.inner.BodyAllowed(w.status) {
			w.inner.SetContentLength(int64(len(w.buf)))
		} else {
			w.inner.SetContentLength(-1) // a HEAD: the GET's length is not known
		}
		w.inner.WriteHeader(w.status)
	}
	if w.storing && w.in == w.fileSize && w.fileETag != "" {
		// A copy of its own size: the buffer is the connection's.
		w.cache.put(&variant{key: w.key(), etag: w.fileETag, body: append([]byte(nil), w.buf...)})
	}
	if len(w.buf) > 0 {
		_, w.err = w.inner.Write(w.buf)
		w.buf = w.buf[:0]
	}
	return w.err
}

func (w *Writer) release() {
	if w.brSlot {
		releaseBrotli()
	}
	if w.enc != nil {
		putEncoder(w.ch.Coding, w.cfg.Level, w.enc)
		w.enc = nil
	}
	buf := w.buf[:0]
	if cap(buf) > maxKeptBuf {
		buf = nil
	}
	*w = Writer{buf: buf}
}

// Status returns the status written, or 0.
func (w *Writer) Status() int { return w.status }

// Written reports whether the status is fixed.
func (w *Writer) Written() bool { return w.wroteHeader }

// HeadSent reports whether any byte of the response left the server.
func (w *Writer) HeadSent() bool { return w.inner.HeadSent() }

// BodyAllowed is the inner writer's.
func (w *Writer) BodyAllowed(status int) bool { return w.inner.BodyAllowed(status) }

// CloseAfter is passed on.
func (w *Writer) CloseAfter() { w.inner.CloseAfter() }

var _ response.Writer = (*Writer)(nil)
var _ io.Writer = (*sink)(nil)
