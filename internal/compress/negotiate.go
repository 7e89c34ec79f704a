package compress

import (
	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// Coding is one content coding (a single bit of config.Codings), or
// Identity: no coding.
type Coding = config.Codings

// Identity is the absence of a content coding (RFC 9110 §12.5.3).
const Identity Coding = 0

// preference is the server's order on a tie of q-values: zstd compresses
// text about as well as brotli at a fast level and runs faster, and gzip
// is what every client has.
var preference = [...]Coding{config.Zstd, config.Br, config.Gzip}

// Name is the coding's token in Content-Encoding.
func Name(c Coding) string {
	switch c {
	case config.Gzip:
		return "gzip"
	case config.Br:
		return "br"
	case config.Zstd:
		return "zstd"
	}
	return "identity"
}

// Choice is what a request's Accept-Encoding allows.
type Choice struct {
	// Coding is the coding to use among those offered, Identity if none
	// is acceptable.
	Coding Coding
	// NoIdentity: the request excludes identity (`identity;q=0`, or
	// `*;q=0` without identity listed). An acceptable coding is then
	// applied whatever the response's length and type.
	NoIdentity bool
}

// Negotiate chooses among offered the coding req accepts with the highest
// q-value, ties broken by the server's preference (zstd, br, gzip), from
// every Accept-Encoding field of req (RFC 9110 §12.5.3): a coding is
// acceptable when listed with q > 0 or, unlisted, when "*" is; "x-gzip"
// is gzip (§8.4.1.3). Without the field no coding is chosen: a client
// that sends none may not decode any (the RFC allows any, and servers
// send identity). It allocates nothing.
func Negotiate(req *http1.Request, offered config.Codings) Choice {
	var q [4]int16 // thousandths by coding index (zstd, br, gzip, identity); -1: unlisted
	for i := range q {
		q[i] = -1
	}
	star := int16(-1)
	seen := false
	for i := range req.Fields {
		f := &req.Fields[i]
		if !response.EqualFold(f.Name, "Accept-Encoding") {
			continue
		}
		seen = true
		parseAccept(f.Value, &q, &star)
	}
	var ch Choice
	if !seen {
		return ch
	}
	if id := q[3]; id == 0 || id < 0 && star == 0 {
		ch.NoIdentity = true
	}
	best := int16(0)
	for i, c := range preference {
		if offered&c == 0 {
			continue
		}
		v := q[i]
		if v < 0 {
			v = star
		}
		if v > best {
			best, ch.Coding = v, c
		}
	}
	return ch
}

// parseAccept reads one Accept-Encoding value into q and star. A member
// it cannot read is skipped, as a missing one would be.
func parseAccept(v []byte, q *[4]int16, star *int16) {
	for len(v) > 0 {
		var member []byte
		if i := indexByte(v, ','); i >= 0 {
			member, v = v[:i], v[i+1:]
		} else {
			member, v = v, nil
		}
		name, params := member, []byte(nil)
		if i := indexByte(member, ';'); i >= 0 {
			name, params = member[:i], member[i+1:]
		}
		name = trimOWS(name)
		if len(name) == 0 {
			continue
		}
		w, ok := weight(params)
		if !ok {
			continue
		}
		switch {
		case response.EqualFold(name, "zstd"):
			q[0] = max(q[0], w)
		case response.EqualFold(name, "br"):
			q[1] = max(q[1], w)
		case response.EqualFold(name, "gzip"), response.EqualFold(name, "x-gzip"):
			q[2] = max(q[2], w)
		case response.EqualFold(name, "identity"):
			q[3] = max(q[3], w)
		case len(name) == 1 && name[0] == '*':
			*star = max(*star, w)
		}
	}
}

// weight reads the q parameter among params (RFC 9110 §12.4.2: "q="
// then 0, 0.ddd, 1 or 1.000), in thousandths; 1000 when absent.
func weight(params []byte) (int16, bool) {
	for len(params) > 0 {
		var p []byte
		if i := indexByte(params, ';'); i >= 0 {
			p, params = params[:i], params[i+1:]
		} else {
			p, params = params, nil
		}
		p = trimOWS(p)
		if len(p) < 2 || p[0] != 'q' && p[0] != 'Q' || p[1] != '=' {
			continue
		}
		return qvalue(p[2:])
	}
	return 1000, true
}

func qvalue(s []byte) (int16, bool) {
	if len(s) == 0 || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	n := int16(s[0]-'0') * 1000
	if len(s) > 1 {
		if s[1] != '.' {
			return 0, false
		}
		scale := int16(100)
		for _, c := range s[2:] {
			if c < '0' || c > '9' {
				return 0, false
			}
			n += int16(c-'0') * scale
			scale /= 10
		}
	}
	if n > 1000 {
		return 0, false
	}
	return n, true
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
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
