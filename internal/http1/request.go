package http1

import (
	"errors"
	"strconv"

	"webserv/internal/response"
)

// ErrIncomplete is returned by Parser.Parse when the buffer does not yet
// hold a complete request head. The caller reads more bytes and calls Parse
// again with the longer buffer (same start).
var ErrIncomplete = errors.New("http1: incomplete request head")

// StatusError is a protocol error that carries the HTTP status the server
// answers with. The connection loop renders it in one place.
type StatusError struct {
	Status int
	Msg    string // lowercase, without the "http1: " prefix
}

func (e *StatusError) Error() string {
	return "http1: " + e.Msg + " (" + strconv.Itoa(e.Status) + ")"
}

// StatusOf returns the *StatusError in err's chain, or nil. The usual
// case, err itself, is checked first: errors.As would allocate for its
// target on every call (a 404 on the request path must not).
func StatusOf(err error) *StatusError {
	if se, ok := err.(*StatusError); ok {
		return se
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

// Field is one header field. Name and Value are slices of the connection's
// read buffer, valid until the next call to Parse; Value has surrounding
// whitespace removed.
type Field struct {
	Name  []byte
	Value []byte
}

// Request is a parsed request head. Every []byte aliases the buffer given to
// Parse; the Request is reused across requests on a connection (Reset keeps
// the Fields backing array), so the steady state allocates nothing.
type Request struct {
	Method []byte // token, as sent (methods are case-sensitive, RFC 9110 §9.1)
	Target []byte // request-target as sent
	// Path is the raw (still percent-encoded) path of an origin-form or
	// absolute-form target, "*" for asterisk-form; Query is what follows
	// '?', without it.
	Path  []byte
	Query []byte
	Minor int // 0 or 1: HTTP/1.0 or HTTP/1.1

	Fields []Field // every field, in order

	// Host is the Host header value, or the authority of an absolute-form
	// target, which takes precedence (RFC 9112 §3.2.2).
	Host []byte

	ContentLength int64 // -1 when absent
	// Chunked: Transfer-Encoding: chunked (final and only coding); for
	// an HTTP/2 request, a body whose length no content-length gives.
	Chunked bool
	// KeepAlive is the connection's persistence after this request:
	// HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
	// "Connection: keep-alive" (RFC 9112 §9.3).
	KeepAlive      bool
	ExpectContinue bool // Expect: 100-continue
}

// Reset clears r for reuse, keeping allocated capacity.
func (r *Request) Reset() {
	fields := r.Fields[:0]
	*r = Request{Fields: fields, ContentLength: -1}
}

// Get returns the value of the first field named name (ASCII
// case-insensitive), or nil.
func (r *Request) Get(name string) []byte {
	for i := range r.Fields {
		if equalFold(r.Fields[i].Name, name) {
			return r.Fields[i].Value
		}
	}
	return nil
}

// equalFold is response.EqualFold: field names and tokens are
// case-insensitive (RFC 9110 §5.1).
func equalFold[T ~string | ~[]byte](b T, s string) bool { return response.EqualFold(b, s) }
