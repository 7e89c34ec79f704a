package http1

import (
	"bufio"
	"io"
)

const (
	// maxChunkLine bounds chunk-size plus chunk extensions. Extensions are
	// ignored, so anything long is abuse; 4 KiB leaves room for the
	// extensions real clients send.
	maxChunkLine = 4 << 10
	// maxTrailer bounds the trailer section, which is read and discarded;
	// the same as the default header section limit.
	maxTrailer = 32 << 10
	// maxChunkSizeDigits: 16 hex digits fill an int64; more can only be
	// leading zeros or an overflow, and either is refused.
	maxChunkSizeDigits = 16
)

// ChunkedReader decodes a chunked request body (RFC 9112 §7.1) from a
// bufio.Reader positioned just after the request head. It consumes exactly
// the encoded body: whatever follows (a pipelined request) stays in the
// bufio.Reader. Chunk extensions are syntax-checked and ignored
// (RFC 9112 §7.1.1); trailer fields are syntax-checked and discarded
// (RFC 9112 §7.1.2).
//
// Framing is decoded byte by byte with ReadByte, so a chunk line or trailer
// may be longer than the bufio.Reader's buffer and a read error (a timeout)
// in the middle of one loses nothing: the next Read resumes where it left.
//
// The zero value is ready after Reset; Reset and Read do not allocate.
type ChunkedReader struct {
	r     *bufio.Reader
	state uint8
	left  int64 // chunk data bytes still to read (stateData)
	// count is the bytes seen of the current chunk line (bounded by
	// maxChunkLine) or of the whole trailer section (maxTrailer); digits
	// counts chunk-size digits.
	count, digits int
	err           error // sticky protocol error
}

// Reset makes c decode a new body from r.
func (c *ChunkedReader) Reset(r *bufio.Reader) {
	*c = ChunkedReader{r: r}
}

// Decoder states. The chunk line states follow the grammar of RFC 9112
// §7.1 and §7.1.1:
//
//	chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//	chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//	chunk-ext-val  = token / quoted-string
//	last-chunk     = 1*("0") [ chunk-ext ] CRLF
//	trailer-section = *( field-line CRLF )
//
// A bare LF is accepted wherever CRLF is (RFC 9112 §2.2).
const (
	stSize          = iota // chunk-size digits
	stPreSemi              // BWS, expecting ';'
	stExtNameBWS           // BWS after ';', expecting a name
	stExtName              // in chunk-ext-name
	stExtPostName          // BWS after name, expecting '=' or ';'
	stExtValBWS            // BWS after '=', expecting a value
	stExtToken             // in a token value
	stExtQuoted            // in a quoted-string
	stExtQuotedPair        // after '\' in a quoted-string
	stExtPostQuoted        // after the closing quote
	stLineLF               // CR seen, expecting LF
	stData                 // in chunk-data
	stDataCR               // after chunk-data, expecting CRLF or LF
	stDataLF               // after chunk-data and CR, expecting LF
	stTrailerLine          // at the start of a trailer line (or the final empty line)
	stTrailerName          // in a trailer field name
	stTrailerValue         // in a trailer field value
	stTrailerLF            // CR seen in a trailer line, expecting LF
	stFinalLF              // CR of the final empty line seen, expecting LF
	stDone
)

var (
	errChunkSize      = &StatusError{400, "invalid chunk size"}
	errChunkExt       = &StatusError{400, "malformed chunk extension"}
	errChunkLine      = &StatusError{400, "chunk line too long"}
	errChunkLineEnd   = &StatusError{400, "malformed chunk line ending"}
	errChunkDataEnd   = &StatusError{400, "missing line ending after chunk data"}
	errTrailer        = &StatusError{400, "malformed trailer field"}
	errTrailerTooLong = &StatusError{431, "trailer section too large"}
)

// Read reads decoded body bytes into p. It returns io.EOF only once the
// final empty line after the trailers has been consumed, a *StatusError for
// malformed framing, io.ErrUnexpectedEOF when the connection ends inside the
// body, and any other read error unchanged.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 && c.state != stDone {
		return 0, nil // nothing wanted: don't wait for framing bytes
	}
	for {
		switch c.state {
		case stDone:
			return 0, io.EOF
		case stData:
			if int64(len(p)) > c.left {
				p = p[:c.left]
			}
			// bufio.Reader.Read reads into p directly only up to len(p),
			// so nothing past this chunk leaves the reader.
			n, err := c.r.Read(p)
			c.left -= int64(n)
			if c.left == 0 {
				c.state = stDataCR
			}
			if err == io.EOF {
				if n > 0 {
					err = nil // reported on the next Read
				} else {
					err = io.ErrUnexpectedEOF
				}
			}
			return n, err
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if err := c.step(b); err != nil {
			c.err = err
			return 0, err
		}
	}
}

// step advances the framing state machine by one byte.
func (c *ChunkedReader) step(b byte) error {
	switch c.state {
	case stSize, stPreSemi, stExtNameBWS, stExtName, stExtPostName,
		stExtValBWS, stExtToken, stExtQuoted, stExtQuotedPair, stExtPostQuoted:
		if b != '\r' && b != '\n' {
			c.count++
			if c.count > maxChunkLine {
				return errChunkLine
			}
		}
	}

	switch c.state {
	case stSize:
		if d, ok := unhex(b); ok {
			c.digits++
			if c.digits > maxChunkSizeDigits || c.left > (1<<63-1-d)>>4 {
				return errChunkSize
			}
			c.left = c.left<<4 | d
			return nil
		}
		if c.digits == 0 {
			return errChunkSize
		}
		return c.afterValue(b, errChunkSize)
	case stPreSemi:
		switch {
		case isOWS(b):
		case b == ';':
			c.state = stExtNameBWS
		default:
			return errChunkExt
		}
	case stExtNameBWS:
		switch {
		case isOWS(b):
		case tchar[b]:
			c.state = stExtName
		default:
			return errChunkExt
		}
	case stExtName:
		switch {
		case tchar[b]:
		case isOWS(b):
			c.state = stExtPostName
		case b == '=':
			c.state = stExtValBWS
		default:
			return c.afterValue(b, errChunkExt)
		}
	case stExtPostName:
		switch {
		case isOWS(b):
		case b == '=':
			c.state = stExtValBWS
		case b == ';':
			c.state = stExtNameBWS
		default:
			return errChunkExt
		}
	case stExtValBWS:
		switch {
		case isOWS(b):
		case b == '"':
			c.state = stExtQuoted
		case tchar[b]:
			c.state = stExtToken
		default:
			return errChunkExt
		}
	case stExtToken:
		if !tchar[b] {
			return c.afterValue(b, errChunkExt)
		}
	case stExtQuoted:
		// RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
		switch {
		case b == '"':
			c.state = stExtPostQuoted
		case b == '\\':
			c.state = stExtQuotedPair
		case !fieldVChar[b]:
			return errChunkExt
		}
	case stExtQuotedPair:
		if !fieldVChar[b] {
			return errChunkExt
		}
		c.state = stExtQuoted
	case stExtPostQuoted:
		return c.afterValue(b, errChunkExt)
	case stLineLF:
		if b != '\n' {
			return errChunkLineEnd
		}
		c.endChunkLine()
	case stDataCR:
		switch b {
		case '\r':
			c.state = stDataLF
		case '\n':
			c.startChunkLine()
		default:
			return errChunkDataEnd
		}
	case stDataLF:
		if b != '\n' {
			return errChunkDataEnd
		}
		c.startChunkLine()

	case stTrailerLine, stTrailerName, stTrailerValue, stTrailerLF, stFinalLF:
		c.count++
		if c.count > maxTrailer {
			return errTrailerTooLong
		}
		return c.stepTrailer(b)
	}
	return nil
}

// afterValue handles a byte that ends the chunk-size or an extension name
// or value: BWS, another extension, or the line ending.
func (c *ChunkedReader) afterValue(b byte, bad error) error {
	switch {
	case isOWS(b):
		c.state = stPreSemi
	case b == ';':
		c.state = stExtNameBWS
	case b == '\r':
		c.state = stLineLF
	case b == '\n':
		c.endChunkLine()
	default:
		return bad
	}
	return nil
}

func (c *ChunkedReader) startChunkLine() {
	c.state, c.count, c.digits, c.left = stSize, 0, 0, 0
}

func (c *ChunkedReader) endChunkLine() {
	c.count = 0
	if c.left == 0 { // last-chunk: trailers follow
		c.state = stTrailerLine
		return
	}
	c.state = stData
}

// stepTrailer checks trailer field lines as Parse checks header fields
// (RFC 9112 §5), without keeping them.
func (c *ChunkedReader) stepTrailer(b byte) error {
	switch c.state {
	case stTrailerLine:
		switch {
		case b == '\r':
			c.state = stFinalLF
		case b == '\n':
			c.state = stDone
		case tchar[b]:
			c.state = stTrailerName
		default: // includes obs-fold (leading SP/HTAB)
			return errTrailer
		}
	case stTrailerName:
		switch {
		case b == ':':
			c.state = stTrailerValue
		case !tchar[b]:
			return errTrailer
		}
	case stTrailerValue:
		switch {
		case b == '\r':
			c.state = stTrailerLF
		case b == '\n':
			c.state = stTrailerLine
		case !fieldVChar[b]:
			return errTrailer
		}
	case stTrailerLF:
		if b != '\n' {
			return errTrailer
		}
		c.state = stTrailerLine
	case stFinalLF:
		if b != '\n' {
			return errTrailer
		}
		c.state = stDone
	}
	return nil
}

func unhex(b byte) (int64, bool) {
	switch {
	case '0' <= b && b <= '9':
		return int64(b - '0'), true
	case 'a' <= b && b <= 'f':
		return int64(b - 'a' + 10), true
	case 'A' <= b && b <= 'F':
		return int64(b - 'A' + 10), true
	}
	return 0, false
}
