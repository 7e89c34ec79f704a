package static

import (
	"strings"
	"time"

	"webserv/internal/http1"
	"webserv/internal/response"
)

// precondition is the outcome of evaluating a request's preconditions.
type precondition int

const (
	proceed      precondition = iota // serve normally
	notModified                      // 304
	failed                           // 412
	ignoreRanges                     // serve normally, but without Range (If-Range false)
)

// evaluate applies RFC 9110 §13.2.2 in its order of precedence to a GET or
// HEAD of a file whose current validators are etag (strong, quoted) and
// mod (second resolution):
//
//  1. If-Match, when present: false → 412 (strong comparison, §13.1.1).
//  2. Else If-Unmodified-Since, when a valid date: modified after → 412.
//  3. If-None-Match, when present: true (some tag matches, weak
//     comparison, §13.1.2) → 304 for GET/HEAD.
//  4. Else If-Modified-Since (GET/HEAD), when a valid date: not modified
//     since → 304.
//  5. If-Range with Range (§13.1.5): false → ignore Range, send 200.
//
// An invalid date in If-Unmodified-Since or If-Modified-Since makes the
// header ignored, as the RFC requires.
func evaluate(req *http1.Request, etag string, mod time.Time) precondition {
	c := conditionsOf(req)
	return c.evaluate(etag, mod)
}

// conditions are the fields of a request that decide what a static GET
// or HEAD answers: its preconditions (RFC 9110 §13.1) and Range (§14.2),
// each the value of the first field of its name (as Request.Get gives
// it), nil when absent.
type conditions struct {
	ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince, ifRange, rng []byte
}

// conditionsOf finds req's conditions in one pass over its fields. A Get
// for each of the six names scanned the whole head six times
// (http1.BenchmarkRequestGet/static-get), while most requests carry none
// of them; the names differ in length but for If-Match and If-Range, so
// most fields cost a switch.
func conditionsOf(req *http1.Request) (c conditions) {
	var seen uint8 // a bit per name: the first field of a name counts
	for i := range req.Fields {
		f := &req.Fields[i]
		var bit uint8
		var v *[]byte
		switch len(f.Name) {
		case len("If-Match"): // and If-Range
			if response.EqualFold(f.Name, "If-Match") {
				bit, v = 1, &c.ifMatch
			} else if response.EqualFold(f.Name, "If-Range") {
				bit, v = 2, &c.ifRange
			}
		case len("If-Unmodified-Since"):
			if response.EqualFold(f.Name, "If-Unmodified-Since") {
				bit, v = 4, &c.ifUnmodifiedSince
			}
		case len("If-None-Match"):
			if response.EqualFold(f.Name, "If-None-Match") {
				bit, v = 8, &c.ifNoneMatch
			}
		case len("If-Modified-Since"):
			if response.EqualFold(f.Name, "If-Modified-Since") {
				bit, v = 16, &c.ifModifiedSince
			}
		case len("Range"):
			if response.EqualFold(f.Name, "Range") {
				bit, v = 32, &c.rng
			}
		}
		if seen&bit == 0 && v != nil {
			seen |= bit
			*v = f.Value
		}
	}
	return c
}

// evaluate is evaluate (above) of the request whose conditions c are.
func (c *conditions) evaluate(etag string, mod time.Time) precondition {
	if im := c.ifMatch; im != nil {
		if !matchList(string(im), etag, true) {
			return failed
		}
	} else if ius := c.ifUnmodifiedSince; ius != nil {
		if t, ok := parseDate(ius); ok && mod.After(t) {
			return failed
		}
	}
	if inm := c.ifNoneMatch; inm != nil {
		if matchList(string(inm), etag, false) {
			return notModified
		}
	} else if ims := c.ifModifiedSince; ims != nil {
		if t, ok := parseDate(ims); ok && !mod.After(t) {
			return notModified
		}
	}
	if ir := c.ifRange; ir != nil && c.rng != nil {
		if !ifRange(string(ir), etag, mod) {
			return ignoreRanges
		}
	}
	return proceed
}

// matchList reports whether the If-Match/If-None-Match value (a "*" or a
// comma-separated list of entity-tags, RFC 9110 §8.8.3) matches etag.
// strong selects the strong comparison (If-Match): weak tags never match.
// A malformed list matches nothing.
func matchList(list, etag string, strong bool) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			break
		}
		weak := false
		if strings.HasPrefix(list, "W/") {
			weak = true
			list = list[2:]
		}
		if len(list) < 2 || list[0] != '"' {
			return false
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		tag := list[:end+2]
		list = list[end+2:]
		if tag == etag && !(strong && weak) {
			return true
		}
	}
	return false
}

// ifRange evaluates an If-Range value (RFC 9110 §13.1.5): an entity-tag
// must match strongly; a date must equal the Last-Modified exactly (it is
// then a strong validator, because our modification times are whole
// seconds and the value was sent by us).
func ifRange(v, etag string, mod time.Time) bool {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "\"") || strings.HasPrefix(v, "W/") {
		return v == etag
	}
	t, ok := parseDate([]byte(v))
	return ok && t.Equal(mod)
}

// parseDate parses an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the
// obsolete RFC 850 and asctime forms that recipients must accept.
func parseDate(b []byte) (time.Time, bool) {
	s := strings.TrimSpace(string(b))
	for _, layout := range []string{http1.TimeFormat, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
