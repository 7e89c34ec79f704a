package http1

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// result is what one Parse call produced, in a comparable form.
type result struct {
	status                            int // 0: head parsed; -1: ErrIncomplete; else StatusError.Status
	n                                 int
	method, target, path, query, host string // query "<nil>" when absent
	minor                             int
	cl                                int64
	chunked, keepAlive, expect        bool
	fields                            string // "Name=Value|..."
}

func resultOf(n int, err error, req *Request) result {
	if err != nil {
		var se *StatusError
		switch {
		case err == ErrIncomplete:
			return result{status: -1, n: n}
		case errors.As(err, &se):
			return result{status: se.Status, n: n}
		default:
			return result{status: -2, n: n, method: err.Error()}
		}
	}
	r := result{
		n: n, method: string(req.Method), target: string(req.Target),
		path: string(req.Path), query: "<nil>", host: string(req.Host),
		minor: req.Minor, cl: req.ContentLength, chunked: req.Chunked,
		keepAlive: req.KeepAlive, expect: req.ExpectContinue,
	}
	if req.Query != nil {
		r.query = string(req.Query)
	}
	var b strings.Builder
	for i, f := range req.Fields {
		if i > 0 {
			b.WriteByte('|')
		}
		b.Write(f.Name)
		b.WriteByte('=')
		b.Write(f.Value)
	}
	r.fields = b.String()
	return r
}

// ok describes a parsed head; most cases differ from it in a field or two.
func ok(method, path, host string) result {
	return result{method: method, target: path, path: path, query: "<nil>", host: host,
		minor: 1, cl: -1, keepAlive: true}
}

type parseCase struct {
	name   string
	raw    string
	limits Limits
	status int     // 0 ok, -1 incomplete
	want   *result // checked when status is 0; n is len(raw) unless set
}

func with(r result, f func(*result)) *result { f(&r); return &r }

func same(r result) *result { return &r }

const h = "Host: a\r\n"

var parseCases = []parseCase{
	// Request line.
	{name: "minimal", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.fields = "Host=a" })},
	{name: "bare LF", raw: "GET / HTTP/1.1\nHost: a\n\n", want: with(ok("GET", "/", "a"), func(r *result) { r.fields = "Host=a" })},
	{name: "mixed line endings", raw: "GET / HTTP/1.1\r\nHost: a\n\r\n", want: same(ok("GET", "/", "a"))},
	{name: "leading CRLF lines", raw: "\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: same(ok("GET", "/", "a"))},
	{name: "leading LF lines", raw: "\n\nGET / HTTP/1.1\r\n" + h + "\r\n", want: same(ok("GET", "/", "a"))},
	{name: "leading bare CR", raw: "\rGET / HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "bare CR in request line", raw: "GET /\r HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "bare CR ending request line", raw: "GET / HTTP/1.1\r" + h + "\r\n", status: 400},
	{name: "CRCRLF", raw: "GET / HTTP/1.1\r\r\n" + h + "\r\n", status: 400},
	{name: "double SP", raw: "GET  / HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "trailing SP", raw: "GET / HTTP/1.1 \r\n" + h + "\r\n", status: 400},
	{name: "leading SP", raw: " GET / HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "HTAB separator", raw: "GET\t/ HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "HTTP/0.9 style", raw: "GET /\r\n\r\n", status: 400},
	{name: "only method", raw: "GET\r\n\r\n", status: 400},
	{name: "empty method", raw: " / HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "method with separator", raw: "GE(T / HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "space in target", raw: "GET /a b HTTP/1.1\r\n" + h + "\r\n", status: 400},

	// Methods (RFC 9110 §9.1, case-sensitive).
	{name: "HEAD", raw: "HEAD / HTTP/1.1\r\n" + h + "\r\n", want: same(ok("HEAD", "/", "a"))},
	{name: "POST", raw: "POST /u HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\n", want: with(ok("POST", "/u", "a"), func(r *result) { r.cl = 3 })},
	{name: "PUT", raw: "PUT /u HTTP/1.1\r\n" + h + "\r\n", want: same(ok("PUT", "/u", "a"))},
	{name: "DELETE", raw: "DELETE /u HTTP/1.1\r\n" + h + "\r\n", want: same(ok("DELETE", "/u", "a"))},
	{name: "OPTIONS", raw: "OPTIONS /u HTTP/1.1\r\n" + h + "\r\n", want: same(ok("OPTIONS", "/u", "a"))},
	{name: "PATCH", raw: "PATCH /u HTTP/1.1\r\n" + h + "\r\n", want: same(ok("PATCH", "/u", "a"))},
	{name: "TRACE", raw: "TRACE /u HTTP/1.1\r\n" + h + "\r\n", want: same(ok("TRACE", "/u", "a"))},
	{name: "unknown method", raw: "FOO / HTTP/1.1\r\n" + h + "\r\n", status: 501},
	{name: "lowercase get", raw: "get / HTTP/1.1\r\n" + h + "\r\n", status: 501},
	{name: "CONNECT", raw: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", status: 501},
	{name: "PROPFIND", raw: "PROPFIND / HTTP/1.1\r\n" + h + "\r\n", status: 501},

	// Versions (RFC 9112 §2.3).
	{name: "HTTP/1.0 without Host", raw: "GET / HTTP/1.0\r\n\r\n", want: with(ok("GET", "/", ""), func(r *result) { r.minor, r.keepAlive = 0, false })},
	{name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", want: with(ok("GET", "/", ""), func(r *result) { r.minor = 0 })},
	{name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\n" + h + "\r\n", status: 505},
	{name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\n" + h + "\r\n", status: 505},
	{name: "HTTP/0.9", raw: "GET / HTTP/0.9\r\n" + h + "\r\n", status: 505},
	{name: "HTTP/3.0", raw: "GET / HTTP/3.0\r\n" + h + "\r\n", status: 505},
	{name: "lowercase version", raw: "GET / http/1.1\r\n" + h + "\r\n", status: 400},
	{name: "HTTP/1.10", raw: "GET / HTTP/1.10\r\n" + h + "\r\n", status: 400},
	{name: "HTTP/1", raw: "GET / HTTP/1\r\n" + h + "\r\n", status: 400},
	{name: "HTTP/1.x", raw: "GET / HTTP/1.x\r\n" + h + "\r\n", status: 400},
	{name: "HTTPS/1.1", raw: "GET / HTTPS/1.1\r\n" + h + "\r\n", status: 400},

	// Request targets (RFC 9112 §3.2).
	{name: "query", raw: "GET /a/b?x=1&y=2 HTTP/1.1\r\n" + h + "\r\n", want: with(ok("GET", "/a/b", "a"), func(r *result) { r.target, r.query = "/a/b?x=1&y=2", "x=1&y=2" })},
	{name: "empty query", raw: "GET /a? HTTP/1.1\r\n" + h + "\r\n", want: with(ok("GET", "/a", "a"), func(r *result) { r.target, r.query = "/a?", "" })},
	{name: "question mark in query", raw: "GET /a?b?c HTTP/1.1\r\n" + h + "\r\n", want: with(ok("GET", "/a", "a"), func(r *result) { r.target, r.query = "/a?b?c", "b?c" })},
	{name: "percent-encoded path kept raw", raw: "GET /a%20b/%2e%2e HTTP/1.1\r\n" + h + "\r\n", want: same(ok("GET", "/a%20b/%2e%2e", "a"))},
	{name: "absolute-form", raw: "GET http://example.com/x?y=1 HTTP/1.1\r\nHost: other\r\n\r\n", want: with(ok("GET", "/x", "example.com"), func(r *result) { r.target, r.query = "http://example.com/x?y=1", "y=1" })},
	{name: "absolute-form https port uppercase", raw: "GET HTTPS://Example.com:8443/p HTTP/1.1\r\n" + h + "\r\n", want: with(ok("GET", "/p", "Example.com:8443"), func(r *result) { r.target = "HTTPS://Example.com:8443/p" })},
	{name: "absolute-form empty path", raw: "GET http://example.com HTTP/1.1\r\n" + h + "\r\n", want: with(ok("GET", "/", "example.com"), func(r *result) { r.target = "http://example.com" })},
	{name: "absolute-form empty path with query", raw: "GET http://h?q HTTP/1.1\r\n" + h + "\r\n", want: with(ok("GET", "/", "h"), func(r *result) { r.target, r.query = "http://h?q", "q" })},
	{name: "absolute-form HTTP/1.0 without Host", raw: "GET http://h/x HTTP/1.0\r\n\r\n", want: with(ok("GET", "/x", "h"), func(r *result) { r.target, r.minor, r.keepAlive = "http://h/x", 0, false })},
	{name: "absolute-form empty authority", raw: "GET http:///x HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "absolute-form userinfo", raw: "GET http://u@h/x HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "absolute-form other scheme", raw: "GET ftp://h/x HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "absolute-form bad port", raw: "GET http://h:8x/ HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "asterisk-form", raw: "OPTIONS * HTTP/1.1\r\n" + h + "\r\n", want: with(ok("OPTIONS", "*", "a"), func(r *result) {})},
	{name: "asterisk-form with GET", raw: "GET * HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "asterisk with suffix", raw: "OPTIONS *x HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "authority-form with GET", raw: "GET example.com:80 HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "relative target", raw: "GET a/b HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "fragment in target", raw: "GET /a#b HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "non-ASCII target", raw: "GET /\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "CTL in target", raw: "GET /\x01 HTTP/1.1\r\n" + h + "\r\n", status: 400},
	{name: "DEL in target", raw: "GET /\x7f HTTP/1.1\r\n" + h + "\r\n", status: 400},

	// Limits.
	{name: "target at limit", raw: "GET /" + strings.Repeat("a", 15) + " HTTP/1.1\r\n" + h + "\r\n", limits: Limits{MaxURILength: 16}, want: same(ok("GET", "/"+strings.Repeat("a", 15), "a"))},
	{name: "target over limit", raw: "GET /" + strings.Repeat("a", 16) + " HTTP/1.1\r\n" + h + "\r\n", limits: Limits{MaxURILength: 16}, status: 414},
	{name: "long request line incomplete", raw: "GET /" + strings.Repeat("a", 100), limits: Limits{MaxURILength: 16}, status: 414},
	{name: "default uri limit", raw: "GET /" + strings.Repeat("a", 8192) + " HTTP/1.1\r\n" + h + "\r\n", status: 414},
	{name: "head at limit", raw: "GET / HTTP/1.1\r\n" + h + "X: " + strings.Repeat("b", 100-16-9-5-2) + "\r\n\r\n", limits: Limits{MaxHeaderSize: 100}, want: same(ok("GET", "/", "a"))},
	{name: "head over limit", raw: "GET / HTTP/1.1\r\n" + h + "X: " + strings.Repeat("b", 100-16-9-5-1) + "\r\n\r\n", limits: Limits{MaxHeaderSize: 100}, status: 431},
	{name: "head over limit incomplete", raw: "GET / HTTP/1.1\r\n" + h + strings.Repeat("X: y\r\n", 20), limits: Limits{MaxHeaderSize: 100}, status: 431},
	{name: "head over limit by bare LF only", raw: "GET / HTTP/1.1\r\n" + h + "X: " + strings.Repeat("b", 100-16-9-5) + "\n\n", limits: Limits{MaxHeaderSize: 100}, want: same(ok("GET", "/", "a"))},
	{name: "request line over head limit", raw: "GET /" + strings.Repeat("a", 200) + " HTTP/1.1\r\n", limits: Limits{MaxHeaderSize: 100}, status: 431},
	{name: "endless empty lines", raw: strings.Repeat("\r\n", 51), limits: Limits{MaxHeaderSize: 100}, status: 431},
	{name: "default head limit", raw: "GET / HTTP/1.1\r\n" + h + strings.Repeat("X-Long: "+strings.Repeat("v", 90)+"\r\n", 400) + "\r\n", status: 431},

	// Field lines (RFC 9112 §5, RFC 9110 §5.5).
	{name: "value trimmed", raw: "GET / HTTP/1.1\r\nHost:a\r\nX-A: \t a b\tc \t\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.fields = "Host=a|X-A=a b\tc" })},
	{name: "empty value", raw: "GET / HTTP/1.1\r\n" + h + "X-Empty:\r\nX-Blank:   \r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.fields = "Host=a|X-Empty=|X-Blank=" })},
	{name: "obs-text value", raw: "GET / HTTP/1.1\r\n" + h + "X-T: caf\xc3\xa9 \xff\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.fields = "Host=a|X-T=caf\xc3\xa9 \xff" })},
	{name: "token chars in name", raw: "GET / HTTP/1.1\r\n" + h + "!#$%&'*+-.^_`|~09aZ: v\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.fields = "Host=a|!#$%&'*+-.^_`|~09aZ=v" })},
	{name: "empty field name", raw: "GET / HTTP/1.1\r\n" + h + ": v\r\n\r\n", status: 400},
	{name: "SP before colon", raw: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400},
	{name: "HTAB before colon", raw: "GET / HTTP/1.1\r\n" + h + "X\t: v\r\n\r\n", status: 400},
	{name: "separator in name", raw: "GET / HTTP/1.1\r\n" + h + "X(y): v\r\n\r\n", status: 400},
	{name: "non-ASCII name", raw: "GET / HTTP/1.1\r\n" + h + "X\xe9: v\r\n\r\n", status: 400},
	{name: "no colon", raw: "GET / HTTP/1.1\r\n" + h + "Xyz\r\n\r\n", status: 400},
	{name: "obs-fold", raw: "GET / HTTP/1.1\r\n" + h + "X: a\r\n b\r\n\r\n", status: 400},
	{name: "obs-fold HTAB", raw: "GET / HTTP/1.1\r\n" + h + "X: a\r\n\tb\r\n\r\n", status: 400},
	{name: "whitespace after request line", raw: "GET / HTTP/1.1\r\n " + h + "\r\n", status: 400},
	{name: "NUL in value", raw: "GET / HTTP/1.1\r\n" + h + "X: a\x00b\r\n\r\n", status: 400},
	{name: "DEL in value", raw: "GET / HTTP/1.1\r\n" + h + "X: a\x7fb\r\n\r\n", status: 400},
	{name: "CTL in value", raw: "GET / HTTP/1.1\r\n" + h + "X: a\x01b\r\n\r\n", status: 400},
	{name: "bare CR in value", raw: "GET / HTTP/1.1\r\n" + h + "X: a\rb\r\n\r\n", status: 400},
	{name: "bare CR line ending", raw: "GET / HTTP/1.1\r\n" + h + "X: a\rY: b\r\n\r\n", status: 400},
	{name: "bare CR as final line", raw: "GET / HTTP/1.1\r\n" + h + "\r\r\n", status: 400},

	// Host (RFC 9112 §3.2).
	{name: "missing Host", raw: "GET / HTTP/1.1\r\n\r\n", status: 400},
	{name: "two Hosts", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", status: 400},
	{name: "two Hosts HTTP/1.0", raw: "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", status: 400},
	{name: "empty Host", raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n", status: 400},
	{name: "blank Host", raw: "GET / HTTP/1.1\r\nHost:  \r\n\r\n", status: 400},
	{name: "Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400},
	{name: "Host with slash", raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400},
	{name: "Host with userinfo", raw: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400},
	{name: "Host port only", raw: "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", status: 400},
	{name: "Host bad port", raw: "GET / HTTP/1.1\r\nHost: a:8a\r\n\r\n", status: 400},
	{name: "Host unclosed IPv6", raw: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", status: 400},
	{name: "Host bad pct", raw: "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", status: 400},
	{name: "Host with port", raw: "GET / HTTP/1.1\r\nhOsT: Example.COM:8080\r\n\r\n", want: with(ok("GET", "/", "Example.COM:8080"), func(r *result) { r.fields = "hOsT=Example.COM:8080" })},
	{name: "Host IPv6", raw: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", want: same(ok("GET", "/", "[::1]:80"))},
	{name: "Host IPv4 pct", raw: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", want: same(ok("GET", "/", "127.0.0.1"))},
	{name: "Host pct-encoded", raw: "GET / HTTP/1.1\r\nHost: a%2Db\r\n\r\n", want: same(ok("GET", "/", "a%2Db"))},

	// Content-Length (RFC 9110 §8.6, RFC 9112 §6.3).
	{name: "CL zero", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.cl = 0 })},
	{name: "CL whitespace and zeros", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length:   005 \r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.cl = 5 })},
	{name: "CL list identical", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5, 5,05\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.cl = 5 })},
	{name: "CL repeated identical", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.cl = 5 })},
	{name: "CL max int64", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 9223372036854775807\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.cl = 1<<63 - 1 })},
	{name: "CL overflow", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 9223372036854775808\r\n\r\n", status: 400},
	{name: "CL huge", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999999\r\n\r\n", status: 400},
	{name: "CL negative", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: -5\r\n\r\n", status: 400},
	{name: "CL plus", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: +5\r\n\r\n", status: 400},
	{name: "CL hex", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x5\r\n\r\n", status: 400},
	{name: "CL empty", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n", status: 400},
	{name: "CL inner space", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5 5\r\n\r\n", status: 400},
	{name: "CL list different", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5, 6\r\n\r\n", status: 400},
	{name: "CL list empty element", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5,,5\r\n\r\n", status: 400},
	{name: "CL repeated different", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", status: 400},

	// Transfer-Encoding (RFC 9112 §6.1, §6.3).
	{name: "TE chunked", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.chunked = true })},
	{name: "TE Chunked mixed case", raw: "POST / HTTP/1.1\r\n" + h + "transfer-encoding: ChUnKeD\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.chunked = true })},
	{name: "TE empty elements", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: , chunked ,\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.chunked = true })},
	{name: "TE empty field then chunked", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n", want: with(ok("POST", "/", "a"), func(r *result) { r.chunked = true })},
	{name: "TE gzip", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n", status: 501},
	{name: "TE identity", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n", status: 501},
	{name: "TE gzip then chunked", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
	{name: "TE across fields", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: x-foo\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501},
	{name: "TE chunked not final", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n", status: 400},
	{name: "TE chunked not final across fields", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400},
	{name: "TE chunked twice", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n", status: 400},
	{name: "TE chunked with parameter", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked;x=1\r\n\r\n", status: 400},
	{name: "TE empty", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n\r\n", status: 400},
	{name: "TE only commas", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: , ,\r\n\r\n", status: 400},
	{name: "TE not a token", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: \"chunked\"\r\n\r\n", status: 400},
	{name: "TE in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "TE with CL", raw: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "CL after TE", raw: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", status: 400},

	// Connection (RFC 9112 §9.3).
	{name: "Connection close", raw: "GET / HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.keepAlive = false })},
	{name: "Connection list with CLOSE", raw: "GET / HTTP/1.1\r\n" + h + "Connection: foo, CLOSE\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.keepAlive = false })},
	{name: "Connection keep-alive upgrade", raw: "GET / HTTP/1.1\r\n" + h + "Connection: keep-alive, Upgrade\r\n\r\n", want: same(ok("GET", "/", "a"))},
	{name: "HTTP/1.0 keep-alive and close", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", want: with(ok("GET", "/", ""), func(r *result) { r.minor, r.keepAlive = 0, false })},
	{name: "HTTP/1.0 default close", raw: "GET / HTTP/1.0\r\nHost: a\r\n\r\n", want: with(ok("GET", "/", "a"), func(r *result) { r.minor, r.keepAlive = 0, false })},

	// Expect (RFC 9110 §10.1.1).
	{name: "Expect 100-continue", raw: "PUT / HTTP/1.1\r\n" + h + "Content-Length: 9\r\nExpect: 100-Continue\r\n\r\n", want: with(ok("PUT", "/", "a"), func(r *result) { r.cl, r.expect = 9, true })},
	{name: "Expect in HTTP/1.0 ignored", raw: "PUT / HTTP/1.0\r\nContent-Length: 9\r\nExpect: 100-continue\r\n\r\n", want: with(ok("PUT", "/", ""), func(r *result) { r.cl, r.minor, r.keepAlive = 9, 0, false })},
	{name: "Expect unknown", raw: "PUT / HTTP/1.1\r\n" + h + "Expect: 200-ok\r\n\r\n", status: 417},
	{name: "Expect list with unknown", raw: "PUT / HTTP/1.1\r\n" + h + "Expect: 100-continue, foo\r\n\r\n", status: 417},

	// Incomplete heads.
	{name: "empty buffer", raw: "", status: -1},
	{name: "only empty lines", raw: "\r\n\n\r\n", status: -1},
	{name: "CR at end of empty lines", raw: "\r\n\r", status: -1},
	{name: "partial request line", raw: "GET / HTT", status: -1},
	{name: "no final empty line", raw: "GET / HTTP/1.1\r\nHost: a\r\n", status: -1},
	{name: "final CR only", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r", status: -1},
	{name: "bad request line but complete", raw: "GET / HTTP/1.1 x\r\n", status: 400},
	{name: "bad field without final line", raw: "GET / HTTP/1.1\r\nHost : a\r\n", status: 400},
	// A bare CR is refused without waiting for an LF that may never come.
	{name: "bare CR and no LF", raw: "GET / HTTP/1.1\rHost: a\r\r", status: 400},
	{name: "bare CR in field and no LF", raw: "GET / HTTP/1.1\r\n" + h + "X: a\rb", status: 400},
	{name: "bare CR before the URI limit", raw: "GET /a\rb" + strings.Repeat("a", 100), limits: Limits{MaxURILength: 16}, status: 400},
	{name: "CR at the end waits", raw: "GET / HTTP/1.1\r", status: -1},
	{name: "field CR at the end waits", raw: "GET / HTTP/1.1\r\n" + h + "X: a\r", status: -1},
}

// wantOf returns what c expects from parsing c.raw.
func (c parseCase) wantOf() result {
	if c.status != 0 {
		return result{status: c.status}
	}
	w := *c.want
	if w.n == 0 {
		w.n = len(c.raw)
	}
	if w.fields == "" {
		w.fields = "*"
	}
	return w
}

func check(t *testing.T, got, want result) {
	t.Helper()
	if want.fields == "*" {
		want.fields = got.fields
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			p := Parser{Limits: c.limits}
			var req Request
			n, err := p.Parse([]byte(c.raw), &req)
			check(t, resultOf(n, err, &req), c.wantOf())
		})
	}
}

// feed parses raw as it would arrive step bytes at a time and returns the
// first result that is not ErrIncomplete. The bytes accumulate in a slice
// that append moves now and then, as a bufio.Reader may slide its buffer.
func feed(p *Parser, raw []byte, step int, req *Request) result {
	var buf []byte
	for k := 0; ; {
		k = min(k+step, len(raw))
		buf = append(buf, raw[len(buf):k]...)
		n, err := p.Parse(buf, req)
		if err != ErrIncomplete || k == len(raw) {
			return resultOf(n, err, req)
		}
	}
}

func TestParseSplit(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			for _, step := range []int{1, 2, 7} {
				p := Parser{Limits: c.limits}
				var req Request
				check(t, feed(&p, []byte(c.raw), step, &req), c.wantOf())
			}
		})
	}
}

func TestParsePipelined(t *testing.T) {
	reqs := []string{
		"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"HEAD /3 HTTP/1.1\nHost: a\n\n",
	}
	tail := "GET /4 HTTP/1.1\r\nHo"
	buf := []byte(strings.Join(reqs, "") + tail)
	var p Parser
	var req Request
	off := 0
	for i, r := range reqs {
		n, err := p.Parse(buf[off:], &req)
		if err != nil || n != len(r) {
			t.Fatalf("request %d: got n=%d err=%v, want n=%d", i, n, err, len(r))
		}
		if want := fmt.Sprintf("/%d", i+1); string(req.Path) != want {
			t.Errorf("request %d: got path %q, want %q", i, req.Path, want)
		}
		off += n
	}
	if n, err := p.Parse(buf[off:], &req); err != ErrIncomplete {
		t.Fatalf("tail: got n=%d err=%v, want ErrIncomplete", n, err)
	}
	// The rest of the fourth request arrives; the parser resumes.
	buf = append(buf, "st: a\r\n\r\n"...)
	n, err := p.Parse(buf[off:], &req)
	if err != nil || n != len(buf)-off || string(req.Path) != "/4" {
		t.Fatalf("fourth: got n=%d err=%v path=%q, want n=%d /4", n, err, req.Path, len(buf)-off)
	}
}

func TestParserReset(t *testing.T) {
	var p Parser
	var req Request
	if _, err := p.Parse([]byte("GET /abandoned HTTP/1.1\r\nHost: a\r\n"), &req); err != ErrIncomplete {
		t.Fatalf("got %v, want ErrIncomplete", err)
	}
	p.Reset()
	raw := "PUT /x HTTP/1.1\r\nHost: b\r\nContent-Length: 1\r\n\r\n"
	n, err := p.Parse([]byte(raw), &req)
	if err != nil || n != len(raw) || string(req.Method) != "PUT" || string(req.Host) != "b" {
		t.Fatalf("got n=%d err=%v method=%q host=%q, want %d PUT b", n, err, req.Method, req.Host, len(raw))
	}
	// After an error the parser has reset itself.
	if _, err := p.Parse([]byte("BAD\r\n"), &req); err == nil || err == ErrIncomplete {
		t.Fatalf("got %v, want a StatusError", err)
	}
	n, err = p.Parse([]byte(raw), &req)
	if err != nil || n != len(raw) {
		t.Fatalf("after error: got n=%d err=%v, want %d", n, err, len(raw))
	}
	// Request.Fields does not keep the previous request's fields.
	if len(req.Fields) != 2 {
		t.Fatalf("got %d fields, want 2", len(req.Fields))
	}
}

const typicalRequest = "GET /static/css/site.css?v=42 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/css,*/*;q=0.1\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.example.com/index.html\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n" +
	"Sec-Fetch-Dest: style\r\n" +
	"If-None-Match: \"5f3c-1a2b3c4d\"\r\n" +
	"\r\n"

func TestParseAllocs(t *testing.T) {
	buf := []byte(typicalRequest)
	var p Parser
	var req Request
	p.Parse(buf, &req) // warm up: grow p.fields and req.Fields
	if a := testing.AllocsPerRun(100, func() {
		if _, err := p.Parse(buf, &req); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("whole head: got %v allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		for k := 1; k < len(buf); k += 17 {
			if _, err := p.Parse(buf[:k], &req); err != ErrIncomplete {
				t.Fatal(err)
			}
		}
		if _, err := p.Parse(buf, &req); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("split head: got %v allocs, want 0", a)
	}
}

// TestParseLinear checks that a head fed one byte at a time is scanned once:
// the scan offset never goes back, so the work is linear (a count, not a
// timing, keeps the test deterministic).
func TestParseLinear(t *testing.T) {
	raw := []byte("GET /" + strings.Repeat("a", 4000) + " HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 20000) + "\r\n\r\n")
	var p Parser
	var req Request
	last := 0
	for k := 1; k < len(raw); k++ {
		if _, err := p.Parse(raw[:k], &req); err != ErrIncomplete {
			t.Fatalf("at %d: got %v, want ErrIncomplete", k, err)
		}
		if p.scan < last || p.scan > k {
			t.Fatalf("at %d: scan offset %d after %d", k, p.scan, last)
		}
		last = p.scan
	}
	if _, err := p.Parse(raw, &req); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkParseTypical(b *testing.B) {
	buf := []byte(typicalRequest)
	var p Parser
	var req Request
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := p.Parse(buf, &req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMinimal(b *testing.B) {
	buf := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	var p Parser
	var req Request
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := p.Parse(buf, &req); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.raw), uint8(3))
	}
	f.Add([]byte(typicalRequest), uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, step uint8) {
		for _, lim := range []Limits{{}, {MaxURILength: 32, MaxHeaderSize: 128}} {
			p := Parser{Limits: lim}
			var req Request
			n, err := p.Parse(raw, &req)
			whole := resultOf(n, err, &req)
			if n < 0 || n > len(raw) || (err != nil && n != 0) {
				t.Fatalf("got n=%d err=%v for %d bytes", n, err, len(raw))
			}
			if err != nil && err != ErrIncomplete {
				var se *StatusError
				if !errors.As(err, &se) {
					t.Fatalf("got error %T %v, want *StatusError", err, err)
				}
			}
			split := feed(&p, raw, int(step%16)+1, &req)
			if split != whole {
				t.Fatalf("split by %d: got  %+v\nwhole:          %+v", step%16+1, split, whole)
			}
			if err == nil {
				// The head is self-contained: its bytes alone parse the
				// same.
				n2, err2 := p.Parse(raw[:n], &req)
				again := resultOf(n2, err2, &req)
				if again != whole {
					t.Fatalf("head alone: got  %+v\nwhole:      %+v", again, whole)
				}
			}
		}
	})
}
