package route

import (
	"strings"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// maxHost is the longest Host name (port and brackets included) that can
// select a server by name. DNS names are at most 255 octets on the wire
// (RFC 1035 §2.3.4), so no configured server_name is longer; a longer Host
// cannot match one and goes to the default server. The bound lets Server
// lowercase into a stack array and allocate nothing.
const maxHost = 255

// Table selects virtual servers. It is built once per configuration and is
// read-only afterwards (safe for concurrent use).
type Table struct {
	addrs map[string]*vhosts // keyed by config.Listen.Addr
	// few holds the same as addrs when there are at most maxFewAddrs
	// addresses (most configurations listen on one or two): comparing
	// the address with each is cheaper than hashing it, and conn asks
	// twice per request.
	few []addrHosts
}

// maxFewAddrs is the most addresses Table.few holds.
const maxFewAddrs = 4

type addrHosts struct {
	addr string
	vh   *vhosts
}

// vhosts are the servers declared on one listen address.
type vhosts struct {
	// exact maps a lowercased server_name to the first server on this
	// address that declares it.
	exact map[string]*config.Server
	// wild maps the suffix of a "*.example.com" name (".example.com",
	// leading dot kept) to the first server on this address declaring it.
	wild map[string]*config.Server
	// def is the default_server for this address, else the first server
	// declared on it; never nil.
	def *config.Server
	// noHost is the server for an empty Host (or none: the connection's
	// limits before the head is read, HTTP/1.0): the one that declares
	// the name "", else def.
	noHost *config.Server
}

// New builds the table for cfg. For every listen address it records the
// servers declared on it, in declaration order: their exact names, their
// "*.suffix" wildcards and the default server (the one whose listen on
// that address says default_server, else the first declared there).
//
// Names are lowercased and lose one trailing dot, the same normalisation
// Server applies to the Host value. When two servers on one address claim
// the same name the first declared wins (config rejects that case at load
// time; the rule here only makes the table deterministic). A name that is
// neither "*.suffix" nor plain is treated as an exact name. A server with
// no server_name matches only as a default: an empty or absent Host looks
// up the name "", which only an explicit `server_name "";` declares.
func New(cfg *config.Config) *Table {
	t := &Table{addrs: make(map[string]*vhosts)}
	if cfg == nil {
		return t
	}
	for _, s := range cfg.Servers {
		for _, l := range s.Listens {
			vh := t.addrs[l.Addr]
			if vh == nil {
				vh = &vhosts{
					exact: make(map[string]*config.Server),
					wild:  make(map[string]*config.Server),
					def:   s,
				}
				t.addrs[l.Addr] = vh
			}
			// The first server that says default_server on this address
			// wins; until one does, the first declared is the default.
			if l.DefaultServer && !vh.explicitDefault(l.Addr, cfg) {
				vh.def = s
			}
			for _, name := range s.Names {
				name = strings.TrimSuffix(strings.ToLower(name), ".")
				m, key := vh.exact, name
				if suffix, ok := strings.CutPrefix(name, "*"); ok && len(suffix) > 1 && suffix[0] == '.' {
					m, key = vh.wild, suffix
				}
				if _, dup := m[key]; !dup {
					m[key] = s
				}
			}
		}
	}
	for addr, vh := range t.addrs {
		vh.noHost = vh.def
		if s, ok := vh.exact[""]; ok {
			vh.noHost = s
		}
		if len(t.addrs) <= maxFewAddrs {
			t.few = append(t.few, addrHosts{addr, vh})
		}
	}
	return t
}

// vhosts returns the servers declared on addr, or nil.
func (t *Table) vhosts(addr string) *vhosts {
	if len(t.addrs) <= maxFewAddrs {
		for i := range t.few {
			if t.few[i].addr == addr {
				return t.few[i].vh
			}
		}
		return nil
	}
	return t.addrs[addr]
}

// explicitDefault reports whether vh.def was chosen by a default_server
// flag on addr (rather than by being declared first).
func (vh *vhosts) explicitDefault(addr string, cfg *config.Config) bool {
	for _, l := range vh.def.Listens {
		if l.Addr == addr && l.DefaultServer {
			return true
		}
	}
	return false
}

// Server returns the server for a request that arrived on the listener for
// addr (a config.Listen.Addr value) carrying the Host value host (may be
// nil/empty for HTTP/1.0, which then goes to the default server unless a
// server declares the empty name).
//
// host is normalised as SPEC §2 says: the port is removed ("example.com:80"
// and "[::1]:80" become "example.com" and "[::1]"), then one trailing dot
// (the DNS root label, RFC 1034 §3.1), then ASCII letters are lowercased
// (names are case-insensitive, RFC 4343). The match order is exact name,
// then the longest "*.suffix" wildcard ("*.example.com" matches
// "a.example.com" and "a.b.example.com", not "example.com"), then the
// address's default server. A Host longer than 255 bytes goes to the
// default. An addr with no servers returns nil.
//
// Server does not allocate.
func (t *Table) Server(addr string, host []byte) *config.Server {
	if t == nil {
		return nil
	}
	vh := t.vhosts(addr)
	if vh == nil {
		return nil
	}
	if len(vh.exact) == 0 && len(vh.wild) == 0 {
		// No server on this address has a server_name (a site of one
		// server, the connection's limits before Host is read): every
		// Host selects the default, as the lookups below would, and
		// the Host need not be lowercased for them.
		return vh.def
	}
	host = StripPort(host)
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if len(host) == 0 {
		return vh.noHost // what the lookups below would find
	}
	if len(host) > maxHost {
		return vh.def
	}
	var buf [maxHost]byte
	h := buf[:len(host)]
	for i, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h[i] = c
	}
	// m[string(b)] is compiled to a lookup that does not copy b.
	if s := vh.exact[string(h)]; s != nil {
		return s
	}
	if len(vh.wild) > 0 {
		// Walk the suffixes that start at a dot, longest first; i > 0
		// keeps at least one byte of label in front of the suffix.
		for i := 1; i < len(h); i++ {
			if h[i] != '.' {
				continue
			}
			if s := vh.wild[string(h[i:])]; s != nil {
				return s
			}
		}
	}
	return vh.def
}

// StripPort removes a ":port" from a Host value (RFC 9110 §7.2:
// uri-host [ ":" port ]). An IP-literal keeps its brackets (RFC 3986
// §3.2.2), so "[::1]:8080" gives "[::1]". The port itself is not
// validated: the request parser owns Host syntax.
func StripPort(host []byte) []byte {
	if len(host) > 0 && host[0] == '[' {
		for i, c := range host {
			if c == ']' {
				return host[:i+1]
			}
		}
		return host // unterminated literal: matches no name
	}
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			return host[:i]
		}
	}
	return host
}

// Location returns the location of s that serves the clean path, in
// nginx's order: an exact (`location = /p`) match first; else the longest
// prefix that matches at a segment boundary is remembered and, unless it
// is a `^~` prefix, the regex locations (`~`, `~*`) are tried in
// declaration order and the first that matches wins; else the remembered
// prefix; else s.Default. Named locations (`@name`) never match a path.
//
// A prefix P matches path when path == P, or path starts with P and either
// P ends in "/" or the byte after P in path is "/": `/img` matches `/img`
// and `/img/a` but not `/imgs`; `/img/` matches `/img/` and `/img/a` but
// not `/img`. Among equal prefixes the first declared wins.
//
// Location does not allocate.
func Location(s *config.Server, path string) *config.Location {
	l, _ := selectLocation(s, path, false)
	return l
}

// selectLocation is Location, and Select when wantCaps is set.
func selectLocation(s *config.Server, path string, wantCaps bool) (*config.Location, []int) {
	var best *config.Location
	regex := false
	for _, l := range s.Locations {
		switch {
		case l.Exact:
			if l.Path == path {
				return l, nil
			}
			continue
		case l.Regex != nil:
			regex = true
			continue
		case l.Named:
			continue
		}
		if (best == nil || len(l.Path) > len(best.Path)) && prefixMatch(l.Path, path) {
			best = l
		}
	}
	if regex && (best == nil || !best.NoRegex) {
		if l, caps := regexLocation(s, path, wantCaps); l != nil {
			return l, caps
		}
	}
	if best == nil {
		return s.Default, nil
	}
	return best, nil
}

// prefixMatch reports whether the location prefix p matches path at a
// segment boundary.
func prefixMatch(p, path string) bool {
	if !strings.HasPrefix(path, p) {
		return false
	}
	return len(path) == len(p) || strings.HasSuffix(p, "/") || path[len(p)] == '/'
}

// CleanPath percent-decodes a raw request path and removes dot segments.
//
// raw is the still-encoded path of an origin-form or absolute-form target
// (the query already cut off). It must begin with "/"; the asterisk-form
// "*" of OPTIONS is the caller's business. The steps, in order:
//
//  1. Percent-decode every "%XX" once (RFC 3986 §2.1): "%252e" becomes the
//     three bytes "%2e", never ".". A malformed escape ("%", "%4", "%zz")
//     is an error.
//  2. Reject control bytes (< 0x20 and 0x7f), decoded or literal: NUL cuts
//     C strings, and none of them belongs in a file name we serve. Bytes
//     >= 0x80 pass (file names are bytes), and so does "\" (%5c), an
//     ordinary file-name byte on Unix.
//  3. Treat a decoded "/" (%2f) as a separator, as nginx does, so that
//     "%2e%2e%2f" is exactly as dangerous as "../" and handled the same.
//  4. Merge repeated slashes and remove "." and ".." segments (RFC 3986
//     §5.2.4). Where that algorithm would silently stop at the root
//     ("/../x" -> "/x"), CleanPath fails instead: such a request is an
//     attack or a broken client, never a page (SPEC §3).
//
// A trailing slash survives, because it asks for a directory: "/d/" stays,
// "/d/." gives "/d/" and "/d/x/.." gives "/d/". The result starts with
// "/" and contains no "//", "." or ".." segment, nor control bytes.
//
// Every error is a *http1.StatusError with Status 400.
//
// Results are cached (cache.go): a path seen recently costs no allocation.
func CleanPath(raw []byte) (string, error) {
	clean, slot, ok := cachedClean(raw)
	if ok {
		return clean, nil
	}
	clean, err := cleanPath(raw)
	if err == nil && slot != nil {
		key := clean // most paths are already clean: one string serves both
		if key != string(raw) {
			key = string(raw)
		}
		slot.Store(&cleanEntry{raw: key, clean: clean})
	}
	return clean, err
}

func cleanPath(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '/' {
		return "", badPath("request path not absolute")
	}
	if fast, err := isClean(raw); err != nil {
		return "", err
	} else if fast {
		return string(raw), nil // the common case
	}

	// Slow path. Both passes work in place: decoding never lengthens the
	// path and cleaning never writes past the byte it is reading.
	var stack [256]byte
	buf := stack[:0]
	if len(raw) > len(stack) {
		buf = make([]byte, 0, len(raw))
	}
	buf, err := decode(buf, raw)
	if err != nil {
		return "", err
	}
	buf, err = removeDots(buf)
	if err != nil {
		return "", err
	}
	return string(buf), nil
}

// isClean reports whether raw (which starts with "/") is already a clean
// path: no "%", no empty segment ("//") and no "." or ".." segment. It
// fails on a literal control byte, which no later step could accept.
func isClean(raw []byte) (bool, error) {
	clean := true
	for i, c := range raw {
		switch {
		case c < 0x20 || c == 0x7f:
			return false, badPath("control character in path")
		case c == '%':
			clean = false
		case c == '/' && clean:
			rest := raw[i+1:]
			if len(rest) > 0 && rest[0] == '/' || isDotSegment(rest) {
				clean = false
			}
		}
	}
	return clean, nil
}

// isDotSegment reports whether rest (what follows a "/") begins with a "."
// or ".." segment.
func isDotSegment(rest []byte) bool {
	if len(rest) == 0 || rest[0] != '.' {
		return false
	}
	rest = rest[1:]
	if len(rest) > 0 && rest[0] == '.' {
		rest = rest[1:]
	}
	return len(rest) == 0 || rest[0] == '/'
}

// decode appends the percent-decoded raw to dst, rejecting malformed
// escapes and control bytes.
func decode(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) {
				return nil, badPath("bad percent-encoding in path")
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return nil, badPath("bad percent-encoding in path")
			}
			c = hi<<4 | lo
			i += 2
		}
		if c < 0x20 || c == 0x7f {
			return nil, badPath("control character in path")
		}
		dst = append(dst, c)
	}
	return dst, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// removeDots rewrites the decoded path p (which starts with "/") in place,
// merging slashes and resolving "." and ".." (RFC 3986 §5.2.4), and fails
// if a ".." would climb above the root.
func removeDots(p []byte) ([]byte, error) {
	// out = p[:w] is the result so far, without a trailing slash ("" is
	// the root). Each kept segment is written as "/seg"; w never passes
	// the "/" before the segment being read, so copying forward is safe.
	w := 0
	dir := false // the result ends with "/"
	for i := 0; i < len(p); {
		if p[i] == '/' {
			i++
			dir = true // a separator with nothing (yet) after it
			continue
		}
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i:j]
		switch {
		case len(seg) == 1 && seg[0] == '.':
			dir = true
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			if w == 0 {
				return nil, badPath("path escapes root")
			}
			for w > 0 && p[w-1] != '/' {
				w--
			}
			w-- // drop the "/" that introduced the popped segment
			dir = true
		default:
			p[w] = '/'
			w++
			w += copy(p[w:], seg)
			dir = false
		}
		i = j
	}
	if w == 0 || dir {
		p[w] = '/'
		w++
	}
	return p[:w], nil
}

func badPath(msg string) error {
	return &http1.StatusError{Status: 400, Msg: msg}
}

// FilePath maps a clean path (a CleanPath result, routed to loc by
// Location) to a file system path under loc's root or alias, following
// nginx:
//
//   - With Alias, the location's prefix is replaced by the alias: location
//     "/img/" alias "/data/images/" maps "/img/a.png" to
//     "/data/images/a.png", and so does location "/img" alias
//     "/data/images"; "/img" itself maps to "/data/images". For an exact
//     location the alias is the file. An alias may name a file
//     (config.Location.AliasFile): location "/favicon.ico" alias
//     "/srv/fav.ico" maps "/favicon.ico" to the file and "/favicon.ico/x"
//     to "/srv/fav.ico/x", which no open finds (404), as in nginx.
//   - Otherwise the whole path is appended to Root: "/srv/www" and
//     "/a/b.html" give "/srv/www/a/b.html".
//
// The two parts are joined with exactly one "/", and the result has no
// trailing slash unless it is "/" itself: callers stat it, and the request
// path still says whether a directory was asked for. Because path has no
// dot segments, the result never leaves the root or alias. If loc's prefix
// does not match path at a segment boundary (a caller bug), the whole path
// is appended to the alias, which is still inside it.
func FilePath(loc *config.Location, path string) string {
	var b [256]byte
	return string(AppendFilePath(b[:0], loc, path))
}

// AppendFilePath appends FilePath(loc, path) to dst, without allocating
// when dst has room (the static handler builds the path it opens on its
// stack).
func AppendFilePath(dst []byte, loc *config.Location, path string) []byte {
	if loc.Alias == "" {
		return join(dst, loc.Root, path)
	}
	if loc.Exact || loc.Regex != nil {
		// In a regex location the alias is the whole path (nginx), usually
		// built from captures by the caller.
		return join(dst, loc.Alias, "")
	}
	rest := path
	if prefixMatch(loc.Path, path) {
		rest = path[len(loc.Path):]
	}
	return join(dst, loc.Alias, rest)
}

// join appends base + "/" + rel with base's trailing and rel's leading
// slashes collapsed into one, and no trailing slash unless the result is
// the file system root.
func join(dst []byte, base, rel string) []byte {
	// Loops rather than strings.TrimRight and TrimLeft, which are
	// calls that look at their cutset first: this runs for every file
	// a request opens or stats.
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	for len(rel) > 0 && rel[0] == '/' {
		rel = rel[1:]
	}
	for len(rel) > 0 && rel[len(rel)-1] == '/' {
		rel = rel[:len(rel)-1]
	}
	if rel == "" {
		if base == "" {
			return append(dst, '/')
		}
		return append(dst, base...)
	}
	dst = append(dst, base...)
	dst = append(dst, '/')
	return append(dst, rel...)
}
