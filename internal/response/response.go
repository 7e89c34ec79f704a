package response

// Writer is one response being written. The status and header are fixed by
// WriteHeader (or the first Write); the body follows, from memory (Write)
// or from a file (SendFile). What the transport manages itself — Date,
// Server, Content-Length or its absence, Transfer-Encoding, Connection —
// is never set in Header.
type Writer interface {
	// Header returns the header list to fill before WriteHeader.
	Header() *Header
	// SetContentLength declares the body length before WriteHeader; -1
	// (the default) means unknown: the transport frames the body itself
	// (chunked, close-delimited, or DATA frames up to END_STREAM).
	SetContentLength(n int64)
	// WriteHeader fixes the status; only the first call counts. The head
	// may wait for the first body bytes, to go out with them.
	WriteHeader(status int)
	// Write writes body bytes; on HEAD and bodiless statuses they are
	// counted and discarded.
	Write(p []byte) (int, error)
	// SendFile sends n bytes of the open file fd from offset off as body
	// bytes, without using or moving the file's offset (so fd may be
	// shared). Fewer than n with a nil error means the file ended early.
	SendFile(fd int, off, n int64) (int64, error)
	// Flush sends what the writer holds now: a streamed body (CGI output)
	// must not wait in a buffer while its program pauses.
	Flush() error
	// Status returns the status written, or 0.
	Status() int
	// Written reports whether the status is fixed: after it, an error can
	// no longer become an error page, only an incomplete response.
	Written() bool
	// HeadSent reports whether any byte of the response left the server.
	HeadSent() bool
	// BodyAllowed reports whether a response with status carries a body
	// for this request (not HEAD, not 1xx, 204 or 304).
	BodyAllowed(status int) bool
	// CloseAfter says the exchange cannot continue cleanly after this
	// response: the request body was not read (its framing is lost), or
	// the response is incomplete. HTTP/1.1 closes the connection; HTTP/2
	// ends the stream (RST_STREAM when incomplete) and keeps the
	// connection.
	CloseAfter()
}

// Header is a response header list. Names are written as given; lookups
// are ASCII case-insensitive. A list keeps its capacity across Reset, so a
// writer reused for every request of a connection allocates nothing.
type Header struct {
	kv []Field
}

// Field is one header field.
type Field struct {
	Name, Value string
}

// Set replaces every field named name with one field.
func (h *Header) Set(name, value string) {
	for i := range h.kv {
		if EqualFold(h.kv[i].Name, name) {
			h.kv[i].Value = value
			h.delFrom(i+1, name)
			return
		}
	}
	h.kv = append(h.kv, Field{name, value})
}

// Add appends a field, keeping existing ones of the same name.
func (h *Header) Add(name, value string) { h.kv = append(h.kv, Field{name, value}) }

// Get returns the first value of name, or "".
func (h *Header) Get(name string) string {
	for i := range h.kv {
		if EqualFold(h.kv[i].Name, name) {
			return h.kv[i].Value
		}
	}
	return ""
}

// Has reports whether a field named name is present.
func (h *Header) Has(name string) bool {
	for i := range h.kv {
		if EqualFold(h.kv[i].Name, name) {
			return true
		}
	}
	return false
}

// Del removes every field named name.
func (h *Header) Del(name string) { h.delFrom(0, name) }

func (h *Header) delFrom(i int, name string) {
	j := i
	for ; i < len(h.kv); i++ {
		if !EqualFold(h.kv[i].Name, name) {
			h.kv[j] = h.kv[i]
			j++
		}
	}
	h.kv = h.kv[:j]
}

// Use makes buf's array the list's storage (whatever buf holds is
// dropped): a writer that lives for one response keeps room for its
// fields in itself instead of growing a slice on the heap. Past cap(buf)
// fields the list moves to the heap as any slice does.
func (h *Header) Use(buf []Field) { h.kv = buf[:0] }

// Reset empties the list, keeping its capacity.
func (h *Header) Reset() { h.kv = h.kv[:0] }

// Len returns the number of fields.
func (h *Header) Len() int { return len(h.kv) }

// Fields returns the fields in order. The slice is the list's own: read
// it, do not keep it past the next change.
func (h *Header) Fields() []Field { return h.kv }

// EqualFold reports whether b equals s under ASCII case folding (field
// names and tokens are case-insensitive, RFC 9110 §5.1). It takes a
// parser's byte slices and a writer's strings alike, without converting,
// and knows nothing of Unicode, as HTTP's tokens need not.
func EqualFold[T ~string | ~[]byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
