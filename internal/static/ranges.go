package static

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
)

// byteRange is a satisfiable range of a representation: Length bytes from
// Start.
type byteRange struct {
	Start, Length int64
}

// maxRanges bounds the number of ranges in one request. More is not a
// reasonable client (browsers and download managers send one; a video
// player a few) and answering them costs a part header each.
const maxRanges = 64

// rangeResult is what parseRange decided.
type rangeResult int

const (
	rangeIgnore        rangeResult = iota // invalid or abusive: send the whole file (200)
	rangeOK                               // send the ranges (206)
	rangeUnsatisfiable                    // none satisfiable: 416
)

// parseRange parses a Range header value against a representation of size
// bytes (RFC 9110 §14.1.1, §14.2):
//
//	Range = "bytes=" range-spec *( OWS "," OWS range-spec )
//	range-spec = first-pos "-" [ last-pos ]  /  "-" suffix-length
//
// A syntactically invalid value, a unit other than bytes, more than
// maxRanges ranges, or ranges whose total exceeds the file (overlapping
// abuse, RFC 9110 §14.2's "MAY ignore") are ignored: the whole file is sent,
// as nginx and Go's net/http do. Unsatisfiable specs (first-pos at or past
// the end, a zero suffix) are dropped; if none is left, the result is 416.
//
// The ranges are appended to out (a caller's buffer).
func parseRange(v string, size int64, out []byteRange) ([]byteRange, rangeResult) {
	unit, set, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return nil, rangeIgnore
	}
	var total int64
	n := 0
	// strings.Cut rather than SplitSeq, whose iterator makes v escape
	// (an allocation per Range request).
	for rest, more := set, true; more; {
		var spec string
		spec, rest, more = strings.Cut(rest, ",")
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue // RFC 9110 §5.6.1: empty list elements are ignored
		}
		if n++; n > maxRanges {
			return nil, rangeIgnore
		}
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, rangeIgnore
		}
		var r byteRange
		if first == "" {
			// suffix-range: the last N bytes.
			sfx, ok := parseDigits(last)
			if !ok {
				return nil, rangeIgnore
			}
			if sfx == 0 || size == 0 {
				continue // unsatisfiable
			}
			sfx = min(sfx, size)
			r = byteRange{size - sfx, sfx}
		} else {
			start, ok := parseDigits(first)
			if !ok {
				return nil, rangeIgnore
			}
			end := size - 1
			if last != "" {
				e, ok := parseDigits(last)
				if !ok || e < start {
					return nil, rangeIgnore // §14.1.1: last-pos < first-pos is invalid
				}
				end = min(e, size-1)
			}
			if start >= size {
				continue // unsatisfiable
			}
			r = byteRange{start, end - start + 1}
		}
		total += r.Length
		out = append(out, r)
	}
	if n == 0 {
		return nil, rangeIgnore
	}
	if len(out) == 0 {
		return nil, rangeUnsatisfiable
	}
	if total > size {
		return nil, rangeIgnore
	}
	return out, rangeOK
}

// parseDigits parses 1*DIGIT without overflow.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// contentRange formats a Content-Range value (RFC 9110 §14.4), remembered
// for the next request of the same range (memo.go).
func contentRange(r byteRange, size int64) string {
	if e := rangeMemo.get(r.Start, r.Length, size); e != nil {
		return e.s
	}
	var b [64]byte
	buf := append(b[:0], "bytes "...)
	buf = strconv.AppendInt(buf, r.Start, 10)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, r.Start+r.Length-1, 10)
	buf = append(buf, '/')
	buf = strconv.AppendInt(buf, size, 10)
	s := string(buf)
	rangeMemo.put(&memoEntry{a: r.Start, b: r.Length, c: size, s: s})
	return s
}

// multipart describes a multipart/byteranges body (RFC 9110 §14.6): the
// part heads are computed up front so the total length is known and the
// response carries Content-Length.
type multipart struct {
	boundary string
	heads    []string // heads[i] precedes part i; the first has no leading CRLF
	tail     string
	length   int64
}

func newMultipart(ranges []byteRange, size int64, ctype string) *multipart {
	var rb [12]byte
	rand.Read(rb[:])
	m := &multipart{boundary: hex.EncodeToString(rb[:])}
	for i, r := range ranges {
		h := "--" + m.boundary + "\r\nContent-Type: " + ctype + "\r\nContent-Range: " + contentRange(r, size) + "\r\n\r\n"
		if i > 0 {
			h = "\r\n" + h
		}
		m.heads = append(m.heads, h)
		m.length += int64(len(h)) + r.Length
	}
	m.tail = "\r\n--" + m.boundary + "--\r\n"
	m.length += int64(len(m.tail))
	return m
}
