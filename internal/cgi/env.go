package cgi

import (
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// defaultPath is PATH for programs when the server itself has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// Env returns the program's environment for r (RFC 3875 §4.1), sorted by
// name. It is a pure function of r and the server's PATH: nothing else of
// the server's environment reaches the program.
func Env(r *Request) []string {
	req, s := r.Req, r.Script
	env := make([]string, 0, 24+len(req.Fields))
	add := func(name, value string) {
		// A NUL cannot be carried by execve(2); such a value cannot come
		// from a valid request, and dropping it beats failing the exec.
		if strings.IndexByte(value, 0) < 0 {
			env = append(env, name+"="+value)
		}
	}

	add("GATEWAY_INTERFACE", "CGI/1.1")
	add("SERVER_SOFTWARE", "webserv")
	// RFC 3875 §4.1.16: the protocol the request came with, as nginx
	// gives it ($server_protocol).
	if r.HTTP2 {
		add("SERVER_PROTOCOL", "HTTP/2.0")
	} else {
		add("SERVER_PROTOCOL", "HTTP/1."+strconv.Itoa(req.Minor))
	}
	add("SERVER_NAME", r.ServerName)
	_, port, err := net.SplitHostPort(r.LocalAddr)
	if err != nil || port == "" {
		port = "80"
		if r.HTTPS {
			port = "443"
		}
	}
	add("SERVER_PORT", port)
	if host, rport, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		add("REMOTE_ADDR", host)
		add("REMOTE_PORT", rport)
	} else if r.RemoteAddr != "" {
		add("REMOTE_ADDR", r.RemoteAddr)
	}
	add("REQUEST_METHOD", string(req.Method))
	add("REQUEST_URI", requestURI(r))
	add("QUERY_STRING", string(req.Query))
	add("SCRIPT_NAME", s.Name)
	add("SCRIPT_FILENAME", s.File)
	add("DOCUMENT_ROOT", s.DocumentRoot)
	// §4.1.5: PATH_INFO is always defined (possibly empty); §4.1.6:
	// PATH_TRANSLATED only when there is a PATH_INFO to translate.
	add("PATH_INFO", s.PathInfo)
	if s.PathInfo != "" {
		add("PATH_TRANSLATED", strings.TrimSuffix(s.DocumentRoot, "/")+s.PathInfo)
	}
	// php-cgi refuses to run without it (cgi.force_redirect): it proves
	// the program was started by a server, not requested directly.
	if r.Status != 0 {
		add("REDIRECT_STATUS", strconv.Itoa(r.Status))
	} else {
		add("REDIRECT_STATUS", "200")
	}
	if r.HTTPS {
		add("HTTPS", "on")
	}
	// §4.1.2: CONTENT_LENGTH when the length is known. A chunked body is
	// streamed and read to EOF (see doc.go).
	if req.ContentLength >= 0 && !req.Chunked {
		add("CONTENT_LENGTH", strconv.FormatInt(req.ContentLength, 10))
	}
	if ct := req.Get("Content-Type"); ct != nil {
		add("CONTENT_TYPE", string(ct))
	}
	// §4.1.1: the scheme of the credentials; the server authenticates
	// nothing itself, so the credentials also reach the program as
	// HTTP_AUTHORIZATION (what PHP applications expect).
	if a := req.Get("Authorization"); len(a) > 0 {
		scheme, _, _ := strings.Cut(string(a), " ")
		add("AUTH_TYPE", scheme)
	}
	path := os.Getenv("PATH")
	if path == "" {
		path = defaultPath
	}
	add("PATH", path)

	// §4.1.18: every header as HTTP_*, same-name fields joined in order.
	var names []string
	vals := make(map[string]string)
	for _, f := range req.Fields {
		name, ok := metaName(f.Name)
		if !ok {
			continue
		}
		v, seen := vals[name]
		if !seen {
			names = append(names, name)
			vals[name] = string(f.Value)
			continue
		}
		sep := ", " // RFC 9110 §5.3
		if name == "HTTP_COOKIE" {
			sep = "; " // RFC 6265 §5.4: one Cookie header, pairs joined by "; "
		}
		vals[name] = v + sep + string(f.Value)
	}
	for _, name := range names {
		add(name, vals[name])
	}
	sort.Strings(env)
	return env
}

// requestURI is the request-target as sent for origin-form; for
// absolute-form only its path and query, which is what scripts build
// URLs from (nginx's $request_uri does the same).
func requestURI(r *Request) string {
	t := r.Req.Target
	if len(t) > 0 && t[0] == '/' {
		return string(t)
	}
	u := string(r.Req.Path)
	if len(r.Req.Query) > 0 {
		u += "?" + string(r.Req.Query)
	}
	return u
}

// metaName maps a header name to its HTTP_* meta-variable name. It
// refuses names that are not tokens (RFC 9110 §5.1), that contain '_'
// (they would alias the '-' spelling), and the fields that have their own
// meta-variables or must never become one: Content-Length and
// Content-Type (§4.1.18), and Proxy, whose HTTP_PROXY would be taken for
// the proxy setting by many HTTP libraries (httpoxy, CVE-2016-5385).
func metaName(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	buf := make([]byte, 0, 5+len(b))
	buf = append(buf, "HTTP_"...)
	for _, c := range b {
		switch {
		case c == '-':
			c = '_'
		case c == '_' || c >= 0x80 || !isTchar[c]:
			return "", false
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		buf = append(buf, c)
	}
	name := string(buf)
	switch name {
	case "HTTP_PROXY", "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE":
		return "", false
	}
	return name, true
}

// isTchar reports the token characters of RFC 9110 §5.6.2.
var isTchar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
