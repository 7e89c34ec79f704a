package compress

import "webserv/internal/response"

// incompressible are the types that "*" in gzip_types does not take in:
// their content is compressed already, and a coding would only add its
// framing and cost CPU.
var incompressible = [...]string{
	"image/", "audio/", "video/", "font/woff",
	"application/zip", "application/gzip", "application/x-gzip", "application/zstd",
	"application/x-bzip2", "application/x-xz", "application/x-7z-compressed", "application/x-rar-compressed",
	"application/pdf", "application/octet-stream",
}

// typeListed reports whether the media type of the Content-Type value
// ctype (parameters ignored, RFC 9110 §8.3.1) is in types; "*" takes any
// type but the incompressible ones, SVG (text) excepted.
func typeListed(types []string, ctype string) bool {
	mt := mediaType(ctype)
	if mt == "" {
		return false
	}
	for _, t := range types {
		if t == "*" {
			if response.EqualFold(mt, "image/svg+xml") {
				return true
			}
			for _, p := range incompressible {
				if len(mt) >= len(p) && response.EqualFold(mt[:len(p)], p) {
					return false
				}
			}
			return true
		}
		if response.EqualFold(mt, t) {
			return true
		}
	}
	return false
}

// mediaType is ctype without parameters and surrounding white space.
func mediaType(ctype string) string {
	for i := 0; i < len(ctype); i++ {
		if ctype[i] == ';' {
			ctype = ctype[:i]
			break
		}
	}
	for len(ctype) > 0 && (ctype[len(ctype)-1] == ' ' || ctype[len(ctype)-1] == '\t') {
		ctype = ctype[:len(ctype)-1]
	}
	for len(ctype) > 0 && (ctype[0] == ' ' || ctype[0] == '\t') {
		ctype = ctype[1:]
	}
	return ctype
}

// noTransform reports whether a Cache-Control field of h has the
// no-transform directive (RFC 9111 §5.2.2.6): no coding may be applied.
func noTransform(h *response.Header) bool {
	for _, f := range h.Fields() {
		if response.EqualFold(f.Name, "Cache-Control") && hasToken(f.Value, "no-transform") {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated list v has the member tok
// (lower case), compared case-insensitively, parameters ignored.
func hasToken(v, tok string) bool {
	for len(v) > 0 {
		var m string
		m, v = v, ""
		for i := 0; i < len(m); i++ {
			if m[i] == ',' {
				m, v = m[:i], m[i+1:]
				break
			}
		}
		for i := 0; i < len(m); i++ {
			if m[i] == '=' || m[i] == ';' {
				m = m[:i]
				break
			}
		}
		if response.EqualFold(mediaType(m), tok) {
			return true
		}
	}
	return false
}

// codedETag returns etag made per coding c: the suffix "-" + Name(c)
// inside its closing quote (`"abc"` → `"abc-gzip"`, `W/"abc"` →
// `W/"abc-gzip"`). A malformed tag is returned as it is.
func codedETag(etag string, c Coding) string {
	if len(etag) < 2 || etag[len(etag)-1] != '"' {
		return etag
	}
	return etag[:len(etag)-1] + "-" + Name(c) + `"`
}

// sameSource reports whether coded is codedETag of etag, for some coding,
// without building it.
func sameSource(coded, etag string) bool {
	n := len(etag) - 1
	return n > 0 && len(coded) > len(etag) && coded[:n] == etag[:n] && coded[n] == '-'
}
