package http1

// Limits bound what Parse accepts. Zero values mean the SPEC defaults.
type Limits struct {
	// MaxURILength bounds the request-target; longer is 414
	// (client_max_uri_length, default 8k).
	MaxURILength int
	// MaxHeaderSize bounds the whole head (request line + fields); larger
	// is 431 (client_max_header_size, default 32k).
	MaxHeaderSize int
}

// Parser parses request heads incrementally. It is reused across the
// requests of one connection.
type Parser struct {
	Limits Limits
	// TODO(helper): scan state so that a head arriving one byte at a time is
	// scanned in linear total time.
}

// Parse parses one request head from buf, which starts at the beginning of
// the request (possibly preceded by empty lines, RFC 9112 §2.2) and holds
// every byte received so far for it. It returns the number of bytes the head
// used (leading empty lines and the final empty line included), or
// ErrIncomplete when more bytes are needed, or a *StatusError.
func (p *Parser) Parse(buf []byte, req *Request) (n int, err error) {
	panic("not implemented")
}
