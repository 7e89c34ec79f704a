package upload

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"webserv/internal/http1"
)

// maxFiles bounds the files one multipart request may store: each costs
// directory entries and a line in the response, and a body of tiny parts
// must not turn into a million files.
const maxFiles = 1000

// maxParts bounds the parts of any kind one multipart request may hold,
// so that a body of a million tiny form fields is refused rather than
// parsed to its end: one request's work stays bounded (issue 14) even with
// client_max_body_size 0. Go's own ReadForm allows 1000 parts; this leaves
// room for a field beside each of maxFiles files.
const maxParts = 2 * maxFiles

// multipartReadAhead is how far mime/multipart reads past what it has
// parsed: the size of its bufio.Reader (peekBufferSize in its source).
// A part's header budget allows for it, so that a header within the limit
// is never refused because the first bytes of the part's content were read
// with it. (Up to as much of the header may have been read before the
// budget starts, with the end of the previous part: a header is refused
// somewhere between the limit and the limit plus twice this.)
const multipartReadAhead = 4096

// defaultMaxPartHeader is the part header limit when Env gives none: the
// default client_max_header_size.
const defaultMaxPartHeader = 32 << 10

// multipart streams a multipart/form-data body (RFC 7578), storing every
// part that carries a filename and discarding the others. Parts are read
// raw (NextRawPart: RFC 7578 §4.7 deprecates Content-Transfer-Encoding, and
// decoding quoted-printable would change the bytes stored). The epilogue
// is drained so that the connection can be reused.
//
// A part's header is held in memory while it is parsed, and mime/multipart
// alone accepts 10 MB of it; the bytes read while finding the next part
// and reading its header (the preamble, the boundary line, the header
// itself) are capped at maxHeader, the request head's own limit, and more
// is 431 (RFC 6585 §5), as for the head.
func (s *store) multipart(boundary string, maxHeader int64) ([]stored, error) {
	hr := &headerLimiter{r: s.body}
	mr := multipart.NewReader(hr, boundary)
	var files []stored
	for parts := 0; ; parts++ {
		hr.arm(maxHeader + multipartReadAhead)
		part, err := mr.NextRawPart()
		hr.disarm()
		if err == io.EOF {
			break
		}
		if err != nil {
			if hr.tripped {
				return nil, errPartHeaderTooLarge
			}
			return nil, s.copyError(nil, err)
		}
		if parts == maxParts {
			return nil, &http1.StatusError{Status: 413, Msg: "too many parts in one request"}
		}
		name, isFile := fileName(part)
		if !isFile {
			if _, err := io.CopyBuffer(io.Discard, readerOnly{part}, s.buf); err != nil {
				return nil, s.copyError(nil, err)
			}
			continue
		}
		if len(files) == maxFiles {
			return nil, &http1.StatusError{Status: 413, Msg: "too many files in one request"}
		}
		media, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		clean, ok := Sanitize(name)
		if !ok {
			clean = generatedName(media)
		}
		f, err := s.save(part, clean)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if _, err := io.CopyBuffer(io.Discard, readerOnly{s.body}, s.buf); err != nil {
		return nil, s.copyError(nil, err)
	}
	if len(files) == 0 {
		return nil, &http1.StatusError{Status: 400, Msg: "multipart body has no file"}
	}
	return files, nil
}

var errPartHeaderTooLarge = &http1.StatusError{Status: 431, Msg: "multipart part header too large"}

// errHeaderBudget is what headerLimiter's Read returns once the budget is
// spent; multipart() answers errPartHeaderTooLarge for it.
var errHeaderBudget = errors.New("upload: part header budget exceeded")

// headerLimiter passes the body through; while armed it lets at most left
// more bytes through, then fails every Read.
type headerLimiter struct {
	r       io.Reader
	armed   bool
	left    int64
	tripped bool // the budget ran out while armed
}

func (h *headerLimiter) arm(n int64) { h.armed, h.left = true, n }
func (h *headerLimiter) disarm()     { h.armed = false }

func (h *headerLimiter) Read(p []byte) (int, error) {
	if !h.armed {
		return h.r.Read(p)
	}
	if h.left <= 0 {
		h.tripped = true
		return 0, errHeaderBudget
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= int64(n)
	return n, err
}

// fileName returns the part's filename parameter (RFC 7578 §4.2, with
// "filename*" decoded by mime.ParseMediaType) as sent, before any
// sanitising; isFile is false for a field without a non-empty filename
// (browsers send filename="" for an empty file input, which stores
// nothing, as Go's ReadForm treats it too).
func fileName(p *multipart.Part) (name string, isFile bool) {
	// An unparsable disposition yields no params: not a file part.
	_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	name = params["filename"]
	return name, name != ""
}
