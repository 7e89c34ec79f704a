package cgi

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"webserv/internal/response"
)

// maxHeaderBytes bounds the program's header section, line ends included.
// nginx's default fastcgi/proxy buffer for a response head is 4–8 KiB;
// 64 KiB leaves room for large Set-Cookie and Content-Security-Policy
// fields while keeping a runaway program from growing memory.
const maxHeaderBytes = 64 << 10

// headerError is a malformed header section: the server answers 502.
type headerError struct{ msg string }

func (e *headerError) Error() string { return "cgi: " + e.msg }

// field is one header field of the program's response.
type field struct{ name, value string }

// header is the parsed CGI header section (RFC 3875 §6.3).
type header struct {
	status   int    // from Status; 0 when absent
	location string // from Location; "" when absent
	// fields are every field except Status, in order, Location included.
	fields []field
}

// parseHeader reads the CGI header section from br up to and including
// the blank line that ends it. Lines end in LF or CRLF (§6.3: "NL"). It
// fails with a *headerError on malformed input: a line without a colon or
// with a name that is not a token, obs-fold (RFC 9112 §5.2; continuation
// lines are not CGI), control characters in a value, a duplicate or
// invalid Status or Location, no fields at all, more than maxHeaderBytes,
// or output that ends before the blank line. Read errors other than EOF
// are returned wrapped, so that the caller can tell a timeout.
func parseHeader(br *bufio.Reader) (*header, error) {
	h := &header{}
	total := 0
	var long []byte // a line longer than br's buffer, assembled
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if total > maxHeaderBytes {
			return nil, &headerError{"header section too large"}
		}
		if err == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if err != nil {
			if err == io.EOF {
				if total == 0 {
					return nil, &headerError{"no output"}
				}
				return nil, &headerError{"output ended inside the header section"}
			}
			return nil, fmt.Errorf("cgi: reading header: %w", err)
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			if h.fields == nil && h.status == 0 {
				return nil, &headerError{"empty header section"}
			}
			return h, nil
		}
		if err := h.add(line); err != nil {
			return nil, err
		}
	}
}

func (h *header) add(line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		return &headerError{"obsolete line folding"}
	}
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
		if c >= 0x80 || !isTchar[c] {
			return &headerError{fmt.Sprintf("invalid field name %q", truncate(line))}
		}
	}
	if colon <= 0 {
		return &headerError{fmt.Sprintf("malformed header line %q", truncate(line))}
	}
	name := string(line[:colon])
	v := trimOWS(line[colon+1:])
	for _, c := range v {
		// RFC 9110 §5.5: no CTL but HTAB; a bare CR or a NUL would let
		// the program split or smuggle responses.
		if c < ' ' && c != '\t' || c == 0x7f {
			return &headerError{fmt.Sprintf("control character in field %q", name)}
		}
	}
	value := string(v)
	switch {
	case response.EqualFold(name, "Status"):
		if h.status != 0 {
			return &headerError{"duplicate Status"}
		}
		st, ok := parseStatus(value)
		if !ok {
			return &headerError{fmt.Sprintf("invalid Status %q", value)}
		}
		h.status = st
		return nil
	case response.EqualFold(name, "Location"):
		if h.location != "" {
			return &headerError{"duplicate Location"}
		}
		if value == "" {
			return &headerError{"empty Location"}
		}
		h.location = value
	}
	h.fields = append(h.fields, field{name, value})
	return nil
}

// parseStatus parses a Status value, "NNN" or "NNN reason-phrase" (RFC 3875
// §6.3.3). A CGI program answers with a final status: 200–599.
func parseStatus(v string) (int, bool) {
	if len(v) < 3 || len(v) > 3 && v[3] != ' ' && v[3] != '\t' {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 200 && n <= 599
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

var errShortBody = errors.New("cgi: output shorter than its Content-Length")
