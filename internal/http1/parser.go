package http1

import (
	"bytes"
	"encoding/binary"
)

// Default limits (SPEC §3, client_max_uri_length and client_max_header_size).
const (
	DefaultMaxURILength  = 8 << 10
	DefaultMaxHeaderSize = 32 << 10

	// requestLineSlack is what a request line may hold beyond its target:
	// the longest known method ("OPTIONS"), two SPs, "HTTP/1.1" and CR fit
	// with room to spare. A request line still without LF past
	// MaxURILength+requestLineSlack bytes can only end in 414, so Parse says
	// so at once instead of waiting for the rest.
	requestLineSlack = 64
)

// Limits bound what Parse accepts. Zero values mean the SPEC defaults.
type Limits struct {
	// MaxURILength bounds the request-target; longer is 414
	// (client_max_uri_length, default 8k).
	MaxURILength int
	// MaxHeaderSize bounds the whole head (request line + fields); larger
	// is 431 (client_max_header_size, default 32k).
	MaxHeaderSize int
}

func (l Limits) uri() int {
	if l.MaxURILength > 0 {
		return l.MaxURILength
	}
	return DefaultMaxURILength
}

func (l Limits) header() int {
	if l.MaxHeaderSize > 0 {
		return l.MaxHeaderSize
	}
	return DefaultMaxHeaderSize
}

// Parser parses request heads incrementally. It is reused across the
// requests of one connection.
//
// Reset contract: the Parser keeps scan state only between calls that
// return ErrIncomplete, and clears it itself whenever Parse returns a head
// or an error. The caller therefore never needs Reset in the normal
// read/parse loop; it calls Reset only to abandon a head it has not finished
// receiving (the next Parse would otherwise resume mid-head). A buffer
// shorter than what was already scanned is taken as a new request and also
// resets the state.
//
// The state is offsets, never slices, so the caller may move the bytes
// between calls (bufio.Reader slides its buffer when it refills) as long as
// the buffer still starts at the beginning of the request.
type Parser struct {
	Limits Limits

	phase uint8
	// pos is the start of the first line not yet complete; buf[pos:scan]
	// is known to hold no LF, so each byte is searched once (linear total
	// time however the head is split).
	pos, scan int
	start     int // start of the request line (after leading empty lines)

	line   requestLine // offsets into buf, valid once phase > phaseRequestLine
	fields []fieldPos  // complete field lines so far; reused across heads
}

const (
	phaseEmptyLines = iota
	phaseRequestLine
	phaseFields
)

// requestLine holds offsets of the request line parts. Path may point at the
// '/' of an absolute-form target's "//" when its path is empty (see
// parseAbsolute), so that every slice of Request aliases buf.
type requestLine struct {
	methodEnd            int // method is buf[start:methodEnd]
	targetStart, tgtEnd  int
	pathStart, pathEnd   int
	queryStart, queryEnd int // queryStart < 0: no '?'
	hostStart, hostEnd   int // hostStart < 0: not absolute-form
	minor                int
}

type fieldPos struct {
	nameStart, nameEnd, valueStart, valueEnd int
}

// Reset clears the scan state so that the next Parse starts a new head.
// Parse already does this whenever it returns something other than
// ErrIncomplete.
func (p *Parser) Reset() {
	fields := p.fields[:0]
	*p = Parser{Limits: p.Limits, fields: fields}
}

// Parse parses one request head from buf, which starts at the beginning of
// the request (possibly preceded by empty lines, RFC 9112 §2.2) and holds
// every byte received so far for it. It returns the number of bytes the head
// used (leading empty lines and the final empty line included), or
// ErrIncomplete when more bytes are needed, or a *StatusError.
//
// Errors are decided in wire order, each from the bytes up to the point of
// decision only, so the result does not depend on how the head was split
// across calls. Syntax errors in a line are reported as soon as the line is
// complete; checks that need every field (Host, Content-Length,
// Transfer-Encoding, Expect) once the head is complete.
func (p *Parser) Parse(buf []byte, req *Request) (n int, err error) {
	if len(buf) < p.scan {
		p.Reset()
	}
	n, err = p.parse(buf, req)
	if err != ErrIncomplete {
		p.Reset()
	}
	return n, err
}

func (p *Parser) parse(buf []byte, req *Request) (int, error) {
	maxHead := p.Limits.header()
	for {
		switch p.phase {
		case phaseEmptyLines:
			// RFC 9112 §2.2: a server SHOULD ignore at least one empty
			// line received before the request-line. They count against
			// the header size limit so that an endless stream of CRLFs
			// cannot hold the connection.
			i := p.pos
			for {
				if i > maxHead {
					return 0, errHeadTooLarge
				}
				if i < len(buf) && buf[i] == '\n' {
					i++
					continue
				}
				if i < len(buf) && buf[i] == '\r' {
					if i+1 == len(buf) {
						p.pos, p.scan = i, i
						return 0, ErrIncomplete
					}
					if buf[i+1] == '\n' {
						i += 2
						continue
					}
				}
				break
			}
			if i == len(buf) {
				p.pos, p.scan = i, i
				return 0, ErrIncomplete
			}
			p.start, p.pos, p.scan = i, i, i
			p.phase = phaseRequestLine

		case phaseRequestLine:
			// The request line's LF must come within both limits; the
			// one reached first decides the status.
			uriLim := p.start + p.Limits.uri() + requestLineSlack
			headLim := p.start + maxHead - 1
			lim, status := uriLim, 414
			if headLim < uriLim {
				lim, status = headLim, 431
			}
			e, err := p.findLF(buf, lim)
			if err == ErrIncomplete {
				return 0, err
			}
			if err != nil {
				if err == errHeadTooLarge && status == 414 {
					return 0, errURITooLong
				}
				return 0, err
			}
			if err := p.parseRequestLine(buf, e); err != nil {
				return 0, err
			}
			p.pos, p.scan = e+1, e+1
			p.phase = phaseFields

		case phaseFields:
			e, err := p.findLF(buf, p.start+maxHead-1)
			if err != nil {
				return 0, err
			}
			line := trimCR(buf[p.pos:e])
			if len(line) == 0 {
				if err := p.finish(buf, req); err != nil {
					return 0, err
				}
				return e + 1, nil
			}
			if err := p.parseFieldLine(buf, p.pos, len(line)); err != nil {
				return 0, err
			}
			p.pos, p.scan = e+1, e+1
		}
	}
}

// findLF returns the index of the LF ending the line at p.pos, which must
// not lie beyond index lim: 431 if it does or buf already passes lim without
// one, ErrIncomplete if more bytes may still bring it.
//
// A bare CR (RFC 9112 §2.2: invalid) is refused as soon as the byte after
// it is scanned, not when the line ends: a client that sends CR but never
// LF gets 400 at once instead of holding the connection until
// client_header_timeout. Each byte is still looked at once per pass, and
// the decision falls at the same byte however the head is split.
func (p *Parser) findLF(buf []byte, lim int) (int, error) {
	end := min(len(buf), lim+1)
	if p.scan < end {
		from := p.scan
		i := bytes.IndexByte(buf[from:end], '\n')
		stop := end // buf[from:stop] holds no LF
		if i >= 0 {
			stop = from + i
		}
		// A CR at j < stop-1 is followed by a byte that is not LF; the
		// CR at stop-1 ends the line (or waits for the next byte).
		if lo := max(from-1, p.pos); lo < stop-1 && bytes.IndexByte(buf[lo:stop-1], '\r') >= 0 {
			return 0, errBareCR
		}
		if i >= 0 {
			return stop, nil
		}
		p.scan = end
	}
	if len(buf) > lim {
		return 0, errHeadTooLarge
	}
	return 0, ErrIncomplete
}

// trimCR removes the CR of a CRLF line ending; any other CR is left for the
// byte checks to reject (RFC 9112 §2.2: a bare CR is invalid).
func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

var (
	errHeadTooLarge = &StatusError{431, "request header section too large"}
	errURITooLong   = &StatusError{414, "request-target too long"}
	errBareCR       = &StatusError{400, "bare CR in request head"}
)

func badRequest(msg string) error { return &StatusError{400, msg} }

// parseRequestLine checks the request line buf[p.start:e] (e is its LF) and
// records its parts in p.line. RFC 9112 §3:
//
//	request-line = method SP request-target SP HTTP-version
//
// Checks run syntax first (400), then the target length (414), the version
// (505), the method (501) and last the target form.
func (p *Parser) parseRequestLine(buf []byte, e int) error {
	s := p.start
	line := trimCR(buf[s:e])
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return badRequest("malformed request line")
	}
	method := line[:sp1]
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 < 0 {
		return badRequest("malformed request line")
	}
	target := rest[:sp2]
	version := rest[sp2+1:]
	if !isToken(method) {
		return badRequest("invalid method")
	}
	// RFC 9112 §2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive.
	if len(version) != 8 || string(version[:5]) != "HTTP/" || !isDigit(version[5]) ||
		version[6] != '.' || !isDigit(version[7]) {
		return badRequest("malformed http version")
	}
	if len(target) == 0 {
		return badRequest("malformed request line")
	}
	if len(target) > p.Limits.uri() {
		return errURITooLong
	}
	for _, c := range target {
		// RFC 9112 §3.2: the target is a URI form, so only visible ASCII
		// and never a fragment (RFC 9110 §4.2.5: not sent).
		if c < 0x21 || c > 0x7e || c == '#' {
			return badRequest("invalid byte in request-target")
		}
	}
	if version[5] != '1' || version[7] > '1' {
		return &StatusError{505, "http version not supported"}
	}
	if !knownMethod(method) {
		return &StatusError{501, "method not implemented"}
	}

	ts := s + sp1 + 1
	p.line = requestLine{
		methodEnd:   s + sp1,
		targetStart: ts,
		tgtEnd:      ts + len(target),
		queryStart:  -1,
		hostStart:   -1,
		minor:       int(version[7] - '0'),
	}
	switch {
	case target[0] == '/':
		p.setPathQuery(ts, len(target), target)
		return nil
	case target[0] == '*':
		// RFC 9112 §3.2.4: asterisk-form, only for a server-wide OPTIONS.
		if len(target) != 1 || string(method) != "OPTIONS" {
			return badRequest("asterisk-form target only with OPTIONS")
		}
		p.line.pathStart, p.line.pathEnd = ts, ts+1
		return nil
	default:
		return p.parseAbsolute(ts, target)
	}
}

// setPathQuery splits target (at buf offset off, origin-form or the path
// part of an absolute-form target) at its first '?'.
func (p *Parser) setPathQuery(off, n int, target []byte) {
	q := bytes.IndexByte(target, '?')
	if q < 0 {
		p.line.pathStart, p.line.pathEnd = off, off+n
		return
	}
	p.line.pathStart, p.line.pathEnd = off, off+q
	p.line.queryStart, p.line.queryEnd = off+q+1, off+n
}

// parseAbsolute handles absolute-form (RFC 9112 §3.2.2) for the http and
// https schemes (case-insensitive, RFC 9110 §4.2.3). The authority becomes
// Host; userinfo is rejected (RFC 9110 §4.2.4).
func (p *Parser) parseAbsolute(ts int, target []byte) error {
	var schemeLen int
	switch {
	case len(target) >= 7 && equalFold(target[:7], "http://"):
		schemeLen = 7
	case len(target) >= 8 && equalFold(target[:8], "https://"):
		schemeLen = 8
	default:
		return badRequest("malformed request-target")
	}
	rest := target[schemeLen:]
	end := len(rest)
	if i := bytes.IndexAny(rest, "/?"); i >= 0 {
		end = i
	}
	if !validHost(rest[:end]) {
		return badRequest("invalid authority in request-target")
	}
	off := ts + schemeLen
	p.line.hostStart, p.line.hostEnd = off, off+end
	if end < len(rest) && rest[end] == '/' {
		p.setPathQuery(off+end, len(rest)-end, rest[end:])
		return nil
	}
	// An empty path means "/" (RFC 9110 §4.2.3). Point Path at the second
	// '/' of "://" so that it still aliases buf (Request.Rebase relies on
	// every slice doing so).
	p.line.pathStart, p.line.pathEnd = off-1, off
	if end < len(rest) { // '?'
		p.line.queryStart, p.line.queryEnd = off+end+1, off+len(rest)
	}
	return nil
}

// parseFieldLine checks the field line buf[s:s+n] (line ending removed) and
// records it. RFC 9112 §5:
//
//	field-line = field-name ":" OWS field-value OWS
func (p *Parser) parseFieldLine(buf []byte, s, n int) error {
	line := buf[s : s+n]
	if line[0] == ' ' || line[0] == '\t' {
		// RFC 9112 §5.2: obs-fold is rejected with 400 by a server that
		// does not replace it.
		return badRequest("obsolete line folding")
	}
	// The name is checked as it is scanned for the colon: one pass.
	colon := 0
	for colon < len(line) && tchar[line[colon]] {
		colon++
	}
	if colon == 0 || colon == len(line) || line[colon] != ':' {
		return badFieldName(line)
	}
	vs, ve := colon+1, len(line)
	for vs < ve && isOWS(line[vs]) {
		vs++
	}
	for ve > vs && isOWS(line[ve-1]) {
		ve--
	}
	if !validFieldValue(line[vs:ve]) {
		// RFC 9110 §5.5: field-value bytes are VCHAR, SP, HTAB and
		// obs-text; NUL, CR, LF and other CTLs are rejected.
		return badRequest("invalid byte in field value")
	}
	p.fields = append(p.fields, fieldPos{s, s + colon, s + vs, s + ve})
	return nil
}

// badFieldName is the error of a field line whose name does not end in a
// colon after a token.
func badFieldName(line []byte) error {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return badRequest("field line without colon")
	}
	if colon == 0 {
		return badRequest("empty field name")
	}
	name := line[:colon]
	if c := name[len(name)-1]; c == ' ' || c == '\t' {
		// RFC 9112 §5.1: MUST reject whitespace between name and colon.
		return badRequest("whitespace before colon in field line")
	}
	return badRequest("invalid field name")
}

// validFieldValue reports whether every byte of v is in fieldVChar. Eight
// bytes are tested at a time: the usual value (User-Agent, Cookie,
// Accept) has no control byte, and looking each byte up in the table was
// a seventh of the time spent parsing a browser's head. A word with a
// byte below 0x20 (HTAB among them) or 0x7f is looked at byte by byte.
func validFieldValue(v []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(v) >= 8 {
		x := binary.LittleEndian.Uint64(v)
		// Some byte < 0x20, or some byte == 0x7f (Hacker's Delight
		// §6-1; exact whether any byte qualifies).
		y := x ^ (0x7f * ones)
		if (x-0x20*ones)&^x&highs != 0 || (y-ones)&^y&highs != 0 {
			for _, c := range v[:8] {
				if !fieldVChar[c] {
					return false
				}
			}
		}
		v = v[8:]
	}
	for _, c := range v {
		if !fieldVChar[c] {
			return false
		}
	}
	return true
}

// finish fills req from the complete head and applies the checks that need
// every field.
func (p *Parser) finish(buf []byte, req *Request) error {
	req.Reset()
	l := &p.line
	req.Method = buf[p.start:l.methodEnd]
	req.Target = buf[l.targetStart:l.tgtEnd]
	req.Path = buf[l.pathStart:l.pathEnd]
	if l.queryStart >= 0 {
		req.Query = buf[l.queryStart:l.queryEnd]
	}
	req.Minor = l.minor

	var (
		hosts                            int
		host                             []byte
		te, conClose, conKeep            bool
		expectContinue, expectOther      bool
		teCodings, teChunked, teOther    int
		teLastChunked, teChunkedWithArgs bool
	)
	for _, fp := range p.fields {
		req.Fields = append(req.Fields, Field{
			Name:  buf[fp.nameStart:fp.nameEnd],
			Value: buf[fp.valueStart:fp.valueEnd],
		})
		f := &req.Fields[len(req.Fields)-1]
		// The five names below differ in length: a switch on it spares
		// the other fields of a head (User-Agent, Accept, Cookie, ...)
		// any comparison, where trying each name took five.
		switch len(f.Name) {
		case len("host"):
			if !equalFold(f.Name, "host") {
				continue
			}
			hosts++
			host = f.Value
		case len("content-length"):
			if !equalFold(f.Name, "content-length") {
				continue
			}
			v, ok := parseContentLength(f.Value)
			if !ok {
				return badRequest("invalid content-length")
			}
			if req.ContentLength >= 0 && req.ContentLength != v {
				return badRequest("conflicting content-length")
			}
			req.ContentLength = v
		case len("transfer-encoding"):
			if !equalFold(f.Name, "transfer-encoding") {
				continue
			}
			te = true
			for rest := f.Value; rest != nil; {
				var elem []byte
				elem, rest = nextElement(rest)
				if len(elem) == 0 {
					continue // RFC 9110 §5.6.1: empty elements are ignored
				}
				name, args := elem, false
				if j := bytes.IndexByte(elem, ';'); j >= 0 {
					name, args = trimOWS(elem[:j]), true
				}
				if !isToken(name) {
					return badRequest("invalid transfer-encoding")
				}
				teCodings++
				teLastChunked = equalFold(name, "chunked")
				if teLastChunked {
					teChunked++
					teChunkedWithArgs = teChunkedWithArgs || args
				} else {
					teOther++
				}
			}
		case len("connection"):
			if !equalFold(f.Name, "connection") {
				continue
			}
			for rest := f.Value; rest != nil; {
				var elem []byte
				elem, rest = nextElement(rest)
				if equalFold(elem, "close") {
					conClose = true
				} else if equalFold(elem, "keep-alive") {
					conKeep = true
				}
			}
		case len("expect"):
			if !equalFold(f.Name, "expect") {
				continue
			}
			for rest := f.Value; rest != nil; {
				var elem []byte
				elem, rest = nextElement(rest)
				if equalFold(elem, "100-continue") {
					expectContinue = true
				} else if len(elem) > 0 {
					expectOther = true
				}
			}
		}
	}

	// RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, for more
	// than one Host, or for an invalid Host value.
	switch {
	case hosts > 1:
		return badRequest("more than one host field")
	case hosts == 0 && req.Minor == 1:
		return badRequest("missing host field")
	case hosts == 1 && len(host) == 0:
		return badRequest("empty host field")
	case hosts == 1 && !validHost(host):
		return badRequest("invalid host field")
	}
	req.Host = host
	if l.hostStart >= 0 {
		// RFC 9112 §3.2.2: the authority of an absolute-form target
		// replaces the Host field.
		req.Host = buf[l.hostStart:l.hostEnd]
	}

	if te {
		// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty
		// framing; RFC 9112 §6.3: with Content-Length as well it is a
		// smuggling attempt. Both are rejected rather than repaired.
		switch {
		case req.Minor == 0:
			return badRequest("transfer-encoding in http/1.0 request")
		case req.ContentLength >= 0:
			return badRequest("content-length with transfer-encoding")
		case teCodings == 0:
			return badRequest("empty transfer-encoding")
		case teChunked > 1 || (teChunked == 1 && !teLastChunked) || teChunkedWithArgs:
			// RFC 9112 §6.3: chunked must be final (and, RFC 9112
			// §6.1, applied once); otherwise the length is unknown.
			return badRequest("chunked is not the final transfer coding")
		case teOther > 0:
			// RFC 9112 §6.1: unknown coding SHOULD be 501.
			return &StatusError{501, "transfer coding not implemented"}
		}
		req.Chunked = true
	}

	// RFC 9112 §9.3: persistence.
	if req.Minor == 1 {
		req.KeepAlive = !conClose
	} else {
		req.KeepAlive = conKeep && !conClose
	}

	// RFC 9110 §10.1.1: 417 for an expectation the server cannot meet; a
	// 100-continue in HTTP/1.0 MUST be ignored.
	if expectOther {
		return &StatusError{417, "unsupported expectation"}
	}
	req.ExpectContinue = expectContinue && req.Minor == 1
	return nil
}

// nextElement splits the first element off a comma-separated list
// (RFC 9110 §5.6.1), trimming OWS; rest is nil after the last element.
func nextElement(list []byte) (elem, rest []byte) {
	if i := bytes.IndexByte(list, ','); i >= 0 {
		return trimOWS(list[:i]), list[i+1:]
	}
	return trimOWS(list), nil
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseContentLength parses a Content-Length value (RFC 9110 §8.6):
// 1*DIGIT, leading zeros allowed, or a list of identical values
// (RFC 9112 §6.3 item 5). Values past int64 are invalid.
func parseContentLength(v []byte) (int64, bool) {
	n := int64(-1)
	for rest := v; rest != nil; {
		var elem []byte
		elem, rest = nextElement(rest)
		if len(elem) == 0 {
			return 0, false
		}
		var x int64
		for _, c := range elem {
			if !isDigit(c) {
				return 0, false
			}
			d := int64(c - '0')
			if x > (1<<63-1-d)/10 {
				return 0, false
			}
			x = x*10 + d
		}
		if n >= 0 && x != n {
			return 0, false
		}
		n = x
	}
	return n, true
}

// validHost reports whether b is uri-host [ ":" port ] (RFC 9110 §7.2,
// RFC 3986 §3.2.2) with a non-empty host, as http URIs require
// (RFC 9110 §4.2.1).
func validHost(b []byte) bool {
	var rest []byte
	if len(b) > 0 && b[0] == '[' {
		// IP-literal: IPv6address or IPvFuture, checked by alphabet only.
		end := bytes.IndexByte(b, ']')
		if end < 2 {
			return false
		}
		for _, c := range b[1:end] {
			if !regNameChar[c] && c != ':' {
				return false
			}
		}
		rest = b[end+1:]
	} else {
		end := bytes.IndexByte(b, ':')
		if end < 0 {
			end = len(b)
		}
		if end == 0 {
			return false
		}
		name := b[:end]
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '%' {
				if i+2 >= len(name) || !isHex(name[i+1]) || !isHex(name[i+2]) {
					return false
				}
				i += 2
				continue
			}
			if !regNameChar[c] {
				return false
			}
		}
		rest = b[end:]
	}
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ':' {
		return false
	}
	for _, c := range rest[1:] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// knownMethod reports whether m is one of the methods the server implements
// (RFC 9110 §9.1: case-sensitive). CONNECT is not among them, so
// authority-form targets (RFC 9112 §3.2.3) end in 501 before their form is
// looked at.
func knownMethod(m []byte) bool {
	switch string(m) { // no allocation: the compiler compares in place
	case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE":
		return true
	}
	return false
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isOWS(c byte) bool   { return c == ' ' || c == '\t' }
func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Byte classes as lookup tables, indexed by byte.
var (
	// tchar, RFC 9110 §5.6.2.
	tchar = byteSet("!#$%&'*+-.^_`|~" + alnum)
	// fieldVChar: field-vchar, SP and HTAB (RFC 9110 §5.5), obs-text
	// included.
	fieldVChar = func() (t [256]bool) {
		for c := 0x20; c < 0x7f; c++ {
			t[c] = true
		}
		for c := 0x80; c < 0x100; c++ {
			t[c] = true
		}
		t['\t'] = true
		return t
	}()
	// regNameChar: unreserved and sub-delims (RFC 3986 §3.2.2).
	regNameChar = byteSet("-._~!$&'()*+,;=" + alnum)
)

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func byteSet(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return t
}
