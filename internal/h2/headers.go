package h2

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"webserv/internal/http1"
	"webserv/internal/response"
)

// processHeadersFrame starts a header block; it is handled whole once
// END_HEADERS arrives (RFC 9113 §4.3, §6.10).
func (c *Conn) processHeadersFrame(f *http2.HeadersFrame) error {
	c.hframe = headersStart{
		id:        f.StreamID,
		endStream: f.StreamEnded(),
		selfDep:   f.HasPriority() && f.Priority.StreamDep == f.StreamID,
	}
	c.hblock = append(c.hblock[:0], f.HeaderBlockFragment()...)
	if err := c.checkBlockSize(); err != nil {
		return err
	}
	if f.HeadersEnded() {
		return c.endHeaderBlock()
	}
	return nil
}

func (c *Conn) processContinuation(f *http2.ContinuationFrame) error {
	frag := f.HeaderBlockFragment()
	// An empty CONTINUATION costs work and carries nothing.
	if len(frag) == 0 && !f.HeadersEnded() && !c.spendFlood() {
		return errFlood
	}
	c.hblock = append(c.hblock, frag...)
	if err := c.checkBlockSize(); err != nil {
		return err
	}
	if f.HeadersEnded() {
		return c.endHeaderBlock()
	}
	return nil
}

// checkBlockSize bounds the encoded header block before it is decoded:
// the CONTINUATION flood (CVE-2024-27316) sends frames without end.
func (c *Conn) checkBlockSize() error {
	if len(c.hblock) > maxHeaderBlockFactor*int(c.cfg.MaxHeaderListSize) {
		return connErr(http2.ErrCodeEnhanceYourCalm, "header block too large")
	}
	return nil
}

// emitField collects a decoded field. Past MaxHeaderListSize the fields
// are dropped (the block is still decoded: the HPACK state must follow)
// and the request is answered 431.
func (c *Conn) emitField(f hpack.HeaderField) {
	if c.htooBig {
		return
	}
	// RFC 9113 §6.5.2: a field's size is its name and value plus 32.
	c.hsize += f.Size()
	if c.hsize > c.cfg.MaxHeaderListSize {
		c.htooBig = true // keep what came first: the pseudo-header fields
		return
	}
	c.hfields = append(c.hfields, f)
}

// endHeaderBlock decodes a complete header block and opens the stream
// (or ends its request with trailers).
func (c *Conn) endHeaderBlock() error {
	hs := c.hframe
	c.hframe = headersStart{}
	c.hfields = c.hfields[:0]
	c.hsize = 0
	c.htooBig = false
	_, err := c.hdec.Write(c.hblock)
	if err == nil {
		err = c.hdec.Close()
	}
	if cap(c.hblock) > idleWriteBuffer {
		c.hblock = nil // do not keep a large block's buffer for the next one
	}
	if err != nil {
		// RFC 9113 §4.3: a decoding error is a COMPRESSION_ERROR.
		return connErr(http2.ErrCodeCompression, err.Error())
	}
	id := hs.id
	// RFC 9113 §5.1.1: client streams have odd IDs.
	if id%2 != 1 {
		return connErr(http2.ErrCodeProtocol, "even stream ID from the client")
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.streams[id]; st != nil {
		return c.trailersLocked(st, hs)
	}
	if id <= c.maxClientID {
		if c.wasClosedLocked(id) {
			// RFC 9113 §5.1: frames after END_STREAM or RST_STREAM. §5.1
			// asks to ignore frames in flight after our RST_STREAM, but
			// trailers there end the connection, as in Go's server (which
			// ignores them only until its RST_STREAM is written): a
			// client sends them only after a request we found malformed.
			return connErr(http2.ErrCodeStreamClosed, "HEADERS on a closed stream")
		}
		// RFC 9113 §5.1.1: IDs only grow.
		return connErr(http2.ErrCodeProtocol, "stream ID not greater than the last one")
	}
	c.maxClientID = id
	if hs.selfDep {
		c.resetStreamLocked(id, http2.ErrCodeProtocol)
		return nil
	}
	if c.closing {
		// RFC 9113 §6.8: streams after the GOAWAY's last ID are not
		// processed; the client may retry them on a new connection.
		if c.goAwaySent && id > c.goAwayID {
			return nil
		}
		c.resetStreamLocked(id, http2.ErrCodeRefusedStream)
		return nil
	}
	if c.active >= int(c.cfg.MaxConcurrentStreams) {
		// RFC 9113 §5.1.2: over the limit is refused, and counted as a
		// reset: a client refused without end is flooding.
		c.resetStreamLocked(id, http2.ErrCodeRefusedStream)
		if c.resetTokens--; c.resetTokens < 0 {
			return &ConnError{http2.ErrCodeEnhanceYourCalm, "too many streams refused"}
		}
		return nil
	}

	if c.idlePending {
		c.idlePending = false // Idle(true) was never said
	} else if c.active == 0 && c.cfg.Idle != nil && !c.cfg.Idle(false) {
		// The server took the idle connection back (max_connections)
		// and is closing it: this stream is not served.
		c.resetStreamLocked(id, http2.ErrCodeRefusedStream)
		return nil
	}
	st := newStream(c, id)
	if err := st.setRequest(c.hfields, c.htooBig, hs.endStream); err != nil {
		// RFC 9113 §8.1.1: a malformed request is a stream error.
		c.resetStreamLocked(id, http2.ErrCodeProtocol)
		if c.active == 0 {
			c.idleLocked()
		}
		return nil
	}
	c.streams[id] = st
	if c.active++; c.active == 1 {
		c.nc.SetReadDeadline(time.Time{}) // no idle timeout while streams are active
	}
	if hs.endStream {
		st.remoteDone = true
		st.inEOF = true
	}
	c.handlers.Add(1)
	startHandler(st)
	return nil
}

// trailersLocked handles a second header block on an open stream: request
// trailers, accepted and ignored (RFC 9113 §8.1).
func (c *Conn) trailersLocked(st *Stream, hs headersStart) error {
	if st.remoteDone {
		// RFC 9113 §5.1: half-closed (remote) takes no more HEADERS.
		return streamError{st.id, http2.ErrCodeStreamClosed}
	}
	if !hs.endStream {
		return streamError{st.id, http2.ErrCodeProtocol}
	}
	for _, f := range c.hfields {
		if strings.HasPrefix(f.Name, ":") {
			return streamError{st.id, http2.ErrCodeProtocol} // §8.1: no pseudo-header in trailers
		}
	}
	if st.req.ContentLength >= 0 && st.received != st.req.ContentLength {
		return streamError{st.id, http2.ErrCodeProtocol}
	}
	c.remoteEndLocked(st)
	return nil
}

// errMalformed marks a request the stream is reset for.
var errMalformed = streamError{code: http2.ErrCodeProtocol}

// setRequest fills st's request from its decoded header list, checking it
// as RFC 9113 §8.2 and §8.3.1 ask. A malformed list is an error (the
// stream is reset); a well-formed request HTTP refuses (431, 501) is
// served with st.err set.
func (st *Stream) setRequest(fields []hpack.HeaderField, tooBig, endStream bool) error {
	var method, scheme, authority, path string
	var sawRegular, sawHost bool
	var nCookies int
	contentLength := int64(-1)
	size := 0
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			// §8.3: pseudo-header fields come first, once each, and only
			// the request ones.
			if sawRegular {
				return errMalformed
			}
			var dst *string
			switch f.Name {
			case ":method":
				dst = &method
			case ":scheme":
				dst = &scheme
			case ":authority":
				dst = &authority
			case ":path":
				dst = &path
			default:
				return errMalformed
			}
			if *dst != "" || f.Value == "" || hasCRLFNUL(f.Value) {
				return errMalformed // §8.2.1: no NUL, CR nor LF in any value
			}
			*dst = f.Value
			continue
		}
		sawRegular = true
		// §8.2.1: names are lowercase tokens; values have no NUL, CR, LF
		// nor edge whitespace.
		if !validName(f.Name) || !validValue(f.Value) {
			return errMalformed
		}
		switch f.Name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return errMalformed // §8.2.2: connection-specific
		case "te":
			if f.Value != "trailers" {
				return errMalformed
			}
		case "content-length":
			n, ok := parseContentLength(f.Value)
			if !ok || contentLength >= 0 && n != contentLength {
				return errMalformed
			}
			contentLength = n
		case "cookie":
			nCookies++
		case "host":
			// §8.3.1: a Host field that names another authority than
			// :authority is malformed, rather than the virtual host
			// following one name and the application the other.
			sawHost = true
			if authority != "" && !response.EqualFold(f.Value, authority) {
				return errMalformed
			}
		}
		size += len(f.Name) + len(f.Value)
	}
	if method == "" {
		return errMalformed
	}
	if method == "CONNECT" {
		// §8.5: only :method and :authority. CONNECT is not served
		// (as on HTTP/1.1: 501 below).
		if scheme != "" || path != "" || authority == "" {
			return errMalformed
		}
	} else if scheme == "" || path == "" {
		return errMalformed // §8.3.1
	} else if path[0] != '/' && !(path == "*" && method == "OPTIONS") {
		return errMalformed // §8.3.1: origin-form, or "*" for OPTIONS
	}
	for i := 0; i < len(path); i++ {
		// As the HTTP/1.1 parser checks a request-target (RFC 9112 §3.2):
		// visible ASCII only, and no fragment (RFC 9110 §4.2.5).
		if c := path[i]; c < 0x21 || c > 0x7e || c == '#' {
			return errMalformed
		}
	}
	if endStream && contentLength > 0 {
		return errMalformed // §8.1.1: no DATA to match content-length
	}

	// The request lives in one arena: every []byte of it aliases arena.
	n := len(method) + len(path) + 2*len(authority) + size + 2*nCookies + len("host")
	arena := make([]byte, 0, n)
	add := func(s string) []byte {
		start := len(arena)
		arena = append(arena, s...)
		return arena[start:len(arena):len(arena)]
	}
	r := &st.req
	r.Reset()
	r.Method = add(method)
	r.Minor = 1
	r.KeepAlive = true
	r.ContentLength = contentLength
	if contentLength < 0 && !endStream {
		// DATA frames up to END_STREAM carry a body whose length no field
		// gives: a body of unknown length, as chunked is on HTTP/1.1
		// (nginx takes it the same way), not a missing one.
		r.Chunked = true
	}
	if method == "CONNECT" {
		r.Target = add(authority)
	} else {
		r.Target = add(path)
		r.Path = r.Target
		if i := strings.IndexByte(path, '?'); i >= 0 {
			r.Path = r.Target[:i]
			r.Query = r.Target[i+1:]
		}
	}
	if authority != "" {
		r.Host = add(authority)
	}
	var cookie []byte
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			continue
		}
		if f.Name == "cookie" && nCookies > 1 {
			// RFC 9113 §8.2.3: crumbs are joined with "; " for HTTP/1.1
			// semantics.
			if cookie == nil {
				start := len(arena)
				arena = append(arena, f.Value...)
				cookie = arena[start:]
			} else {
				arena = append(arena, "; "...)
				arena = append(arena, f.Value...)
				cookie = cookie[:len(cookie)+2+len(f.Value)]
			}
			continue
		}
		fl := http1.Field{Name: add(f.Name), Value: add(f.Value)}
		r.Fields = append(r.Fields, fl)
		switch f.Name {
		case "host":
			if r.Host == nil {
				r.Host = fl.Value
			}
		case "expect":
			r.ExpectContinue = response.EqualFold(f.Value, "100-continue")
		}
	}
	if cookie != nil {
		r.Fields = append(r.Fields, http1.Field{Name: []byte("cookie"), Value: cookie})
	}
	if authority != "" && !sawHost {
		// As nginx: :authority is the Host field too, which $http_host
		// and the CGI HTTP_HOST read (browsers send no Host on HTTP/2).
		r.Fields = append(r.Fields, http1.Field{Name: add("host"), Value: r.Host})
	}

	switch {
	case len(path) > st.c.cfg.MaxURILength:
		// First, as HTTP/1.1 answers 414 at the request line: a long
		// :path may be what made the list too big.
		st.err = &http1.StatusError{Status: 414, Msg: "request-target too long"}
	case tooBig:
		st.err = &http1.StatusError{Status: 431, Msg: "request header list too large"}
	case !knownMethod(method):
		st.err = &http1.StatusError{Status: 501, Msg: "method not implemented"}
	case r.Host == nil || !validAuthority(r.Host):
		// RFC 9110 §7.2: a request without a host is answered 400, as
		// HTTP/1.1 answers one without Host.
		st.err = &http1.StatusError{Status: 400, Msg: "missing or invalid :authority"}
	}
	return nil
}

// knownMethod is the HTTP/1.1 parser's list (RFC 9110 §9.1): CONNECT and
// unknown methods are answered 501 on both protocols.
func knownMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE":
		return true
	}
	return false
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; 'A' <= b && b <= 'Z' || !httpguts.IsTokenRune(rune(b)) {
			return false
		}
	}
	return true
}

// hasCRLFNUL reports whether s holds a CR, LF or NUL (RFC 9113 §8.2.1):
// a loop over the bytes, where strings.ContainsAny builds its byte set on
// every call, which showed in the profile of a page's 64 requests.
func hasCRLFNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b == '\r' || b == '\n' || b == 0 {
			return true
		}
	}
	return false
}

func validValue(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t' {
		return false
	}
	return httpguts.ValidHeaderFieldValue(s)
}

// validAuthority accepts host[:port] (RFC 3986 §3.2, without userinfo,
// which RFC 9113 §8.3.1 forbids).
func validAuthority(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:[]%", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func parseContentLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
