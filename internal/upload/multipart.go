package upload

import (
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

// multipart streams a multipart/form-data body (RFC 7578), storing every
// part that carries a filename and discarding the others. Parts are read
// raw (NextRawPart: RFC 7578 §4.7 deprecates Content-Transfer-Encoding, and
// decoding quoted-printable would change the bytes stored). The epilogue
// is drained so that the connection can be reused.
func (s *store) multipart(boundary string) ([]stored, error) {
	mr := multipart.NewReader(s.body, boundary)
	var files []stored
	for parts := 0; ; parts++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
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
