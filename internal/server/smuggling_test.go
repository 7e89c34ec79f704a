package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/servertest"
)

// Request smuggling and message framing (SPEC §3, RFC 9112 §6 and §7): each
// hostile framing is sent on its own connection to a real server, and the
// responses that come back are checked in order. A connection the server
// must close gets no further response (a smuggled request is never
// answered); a connection it keeps gets a sentinel request whose answer
// must be the next response, which proves both that the connection is
// still usable and that nothing extra was queued before it.

const smugglingConf = `
client_header_timeout 2s;
client_body_timeout 500ms;
server {
    listen 127.0.0.1:$PORT0;
    server_name a.test;
    root a;
    location /up/ {
        methods GET POST PUT;
        upload_store store;
        client_max_body_size 1k;
    }
    location = /alive { return 200 "alive\n"; }
}
server {
    listen 127.0.0.1:$PORT0;
    server_name b.test;
    root b;
}
`

var smugglingFiles = map[string]string{
	"a/index.html": "site a",
	"b/index.html": "site b",
	"store/":       "",
	"secret.txt":   "TOP SECRET",
}

// sentinel is sent after the exchange on a connection that must stay open.
const sentinel = "GET /alive HTTP/1.1\r\nHost: a.test\r\n\r\n"

type framingCase struct {
	name string
	raw  string
	// statuses are the responses expected, in order; usually one.
	statuses []int
	// body, if set, must appear in the first response's body.
	body string
	// closed: after the responses the server closes the connection
	// without sending anything more.
	closed bool
}

// Building blocks for the table.
const (
	hostA   = "Host: a.test\r\n"
	postUp  = "POST /up/ HTTP/1.1\r\n" + hostA
	chunk5  = "5\r\nhello\r\n0\r\n\r\n"
	teChunk = "Transfer-Encoding: chunked\r\n"
	// smuggled is a complete request hidden where a body is expected; if
	// the server ever answered it, the 404 would show up in the responses.
	smuggled = "GET /smuggled HTTP/1.1\r\n" + hostA + "\r\n"
)

func teBody(te string) string {
	return postUp + "Transfer-Encoding:" + te + "\r\n\r\n" + chunk5
}

func clBody(cl, body string) string {
	return postUp + "Content-Length:" + cl + "\r\n\r\n" + body
}

func chunkedBody(body string) string { return postUp + teChunk + "\r\n" + body }

var framingCases = []framingCase{
	// Transfer-Encoding obfuscations. OWS around a field value is not
	// part of it (RFC 9112 §5), and coding names are case-insensitive
	// (RFC 9112 §7), so those are plain "chunked"; anything else that is
	// not a single final chunked is 400 or 501 and closes (SPEC §3).
	{name: "TE chunked", raw: teBody(" chunked"), statuses: []int{201}},
	{name: "TE no space", raw: teBody("chunked"), statuses: []int{201}},
	{name: "TE leading spaces", raw: teBody("    chunked"), statuses: []int{201}},
	{name: "TE trailing spaces", raw: teBody(" chunked   "), statuses: []int{201}},
	{name: "TE leading tab", raw: teBody("\tchunked"), statuses: []int{201}},
	{name: "TE trailing tab", raw: teBody(" chunked\t"), statuses: []int{201}},
	{name: "TE leading vertical tab", raw: teBody(" \vchunked"), statuses: []int{400}, closed: true},
	{name: "TE trailing vertical tab", raw: teBody(" chunked\v"), statuses: []int{400}, closed: true},
	{name: "TE form feed", raw: teBody(" \fchunked"), statuses: []int{400}, closed: true},
	{name: "TE mixed case", raw: teBody(" ChUnKeD"), statuses: []int{201}},
	{name: "TE upper case", raw: teBody(" CHUNKED"), statuses: []int{201}},
	{name: "TE chunked twice in a list", raw: teBody(" chunked, chunked"), statuses: []int{400}, closed: true},
	{name: "TE identity", raw: teBody(" identity"), statuses: []int{501}, closed: true},
	{name: "TE identity then chunked", raw: teBody(" identity, chunked"), statuses: []int{501}, closed: true},
	{name: "TE gzip then chunked", raw: teBody(" gzip, chunked"), statuses: []int{501}, closed: true},
	{name: "TE chunked then gzip", raw: teBody(" chunked, gzip"), statuses: []int{400}, closed: true},
	{name: "TE chunked with parameter", raw: teBody(" chunked;q=1"), statuses: []int{400}, closed: true},
	{name: "TE chunked with empty parameter", raw: teBody(" chunked;"), statuses: []int{400}, closed: true},
	{name: "TE quoted", raw: teBody(` "chunked"`), statuses: []int{400}, closed: true},
	{name: "TE prefixed", raw: teBody(" xchunked"), statuses: []int{501}, closed: true},
	{name: "TE suffixed", raw: teBody(" chunkedx"), statuses: []int{501}, closed: true},
	{name: "TE empty", raw: teBody(""), statuses: []int{400}, closed: true},
	{name: "TE only commas", raw: teBody(" , ,"), statuses: []int{400}, closed: true},
	{name: "TE empty list elements", raw: teBody(" , chunked ,"), statuses: []int{201}},
	{name: "TE two fields chunked", raw: postUp + teChunk + teChunk + "\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "TE two fields gzip then chunked", raw: postUp + "Transfer-Encoding: gzip\r\n" + teChunk + "\r\n" + chunk5, statuses: []int{501}, closed: true},
	{name: "TE two fields chunked then identity", raw: postUp + teChunk + "Transfer-Encoding: identity\r\n\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "TE in HTTP/1.0", raw: "POST /up/ HTTP/1.0\r\n" + teChunk + "\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "TE in HTTP/1.0 with keep-alive", raw: "POST /up/ HTTP/1.0\r\nConnection: keep-alive\r\n" + teChunk + "\r\n" + chunk5 + smuggled, statuses: []int{400}, closed: true},
	{name: "TE space before colon", raw: postUp + "Transfer-Encoding : chunked\r\n\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "TE tab before colon", raw: postUp + "Transfer-Encoding\t: chunked\r\n\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "TE obs-fold value", raw: postUp + "Transfer-Encoding:\r\n chunked\r\n\r\n" + chunk5, statuses: []int{400}, closed: true},
	// An underscore is a tchar: Transfer_Encoding is some other field, so
	// the POST has no framing (411, the connection stays usable) and its
	// would-be body is then read as the next request line: 400, close.
	{name: "Transfer_Encoding is not TE", raw: postUp + "Transfer_Encoding: chunked\r\n\r\n" + chunk5, statuses: []int{411, 400}, closed: true},

	// Content-Length (RFC 9110 §8.6, RFC 9112 §6.3).
	{name: "CL plain", raw: clBody(" 5", "hello"), statuses: []int{201}},
	{name: "CL leading zeros", raw: clBody(" 0005", "hello"), statuses: []int{201}},
	{name: "CL surrounding whitespace", raw: clBody("  005 \t", "hello"), statuses: []int{201}},
	{name: "CL plus sign", raw: clBody(" +5", "hello"), statuses: []int{400}, closed: true},
	{name: "CL minus sign", raw: clBody(" -5", "hello"), statuses: []int{400}, closed: true},
	{name: "CL space inside", raw: clBody(" 1 0", "hellohello"), statuses: []int{400}, closed: true},
	{name: "CL tab inside", raw: clBody(" 1\t0", "hellohello"), statuses: []int{400}, closed: true},
	{name: "CL hex", raw: clBody(" 0x5", "hello"), statuses: []int{400}, closed: true},
	{name: "CL decimal point", raw: clBody(" 5.0", "hello"), statuses: []int{400}, closed: true},
	{name: "CL exponent", raw: clBody(" 5e0", "hello"), statuses: []int{400}, closed: true},
	{name: "CL empty", raw: clBody("", "hello"), statuses: []int{400}, closed: true},
	{name: "CL overflow", raw: clBody(" 99999999999999999999", "hello"), statuses: []int{400}, closed: true},
	{name: "CL int64 overflow by one", raw: clBody(" 9223372036854775808", "hello"), statuses: []int{400}, closed: true},
	{name: "CL max int64 is too large", raw: clBody(" 9223372036854775807", "hello"), statuses: []int{413}, closed: true},
	{name: "CL duplicate same", raw: postUp + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", statuses: []int{201}},
	{name: "CL duplicate different", raw: postUp + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", statuses: []int{400}, closed: true},
	{name: "CL list same", raw: clBody(" 5, 5", "hello"), statuses: []int{201}},
	{name: "CL list different", raw: clBody(" 5, 6", "hello!"), statuses: []int{400}, closed: true},
	{name: "CL list trailing comma", raw: clBody(" 5,", "hello"), statuses: []int{400}, closed: true},
	{name: "CL then TE", raw: postUp + "Content-Length: 5\r\n" + teChunk + "\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "TE then CL", raw: postUp + teChunk + "Content-Length: 5\r\n\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "CL with TE identity", raw: postUp + "Content-Length: 5\r\nTransfer-Encoding: identity\r\n\r\nhello", statuses: []int{400}, closed: true},
	// The classic CL.TE desync: a front end that honours Content-Length
	// forwards everything; one that honours chunked sees a second request.
	// Both readings are refused, and the hidden request is never answered.
	{name: "CL.TE smuggle", raw: postUp + "Content-Length: 44\r\n" + teChunk + "\r\n0\r\n\r\n" + smuggled, statuses: []int{400}, closed: true},
	{name: "TE.CL smuggle", raw: postUp + teChunk + "Content-Length: 4\r\n\r\n" + "2c\r\n" + smuggled + "\r\n0\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "obfuscated TE with CL smuggle", raw: postUp + "Content-Length: 5\r\nTransfer-Encoding: \tchunked\r\n\r\n0\r\n\r\n" + smuggled, statuses: []int{400}, closed: true},

	// A request inside a body is data, and a legitimate pipeline is
	// answered in order.
	{name: "request inside a CL body is data", raw: postUp + "Content-Length: " + itoa(len(smuggled)) + "\r\n\r\n" + smuggled, statuses: []int{201}},
	{name: "request inside a chunked body is data", raw: chunkedBody(hexLen(len(smuggled)) + "\r\n" + smuggled + "\r\n0\r\n\r\n"), statuses: []int{201}},
	{name: "CL 0 then pipelined GET", raw: clBody(" 0", "") + "GET / HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{201, 200}},
	{name: "GET with CL body is drained", raw: "GET / HTTP/1.1\r\n" + hostA + "Content-Length: 14\r\n\r\nGET /smuggled " + "GET / HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200, 200}},
	{name: "GET with chunked body is drained", raw: "GET / HTTP/1.1\r\n" + hostA + teChunk + "\r\n" + hexLen(len(smuggled)) + "\r\n" + smuggled + "\r\n0\r\n\r\n", statuses: []int{200}},

	// Bytes that never belong in a head (RFC 9112 §2.2, RFC 9110 §5.5).
	{name: "bare CR in field value", raw: "GET / HTTP/1.1\r\n" + hostA + "X: a\rb\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "bare CR ending a field line", raw: "GET / HTTP/1.1\r\n" + hostA + "X: a\r\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "bare CR ending the request line", raw: "GET / HTTP/1.1\r" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "bare CR as a line ending everywhere", raw: "GET / HTTP/1.1\rHost: a.test\r\r", statuses: []int{400}, closed: true},
	{name: "NUL in field value", raw: "GET / HTTP/1.1\r\n" + hostA + "X: a\x00b\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "NUL in field name", raw: "GET / HTTP/1.1\r\n" + hostA + "X\x00Y: a\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "NUL in Transfer-Encoding", raw: postUp + "Transfer-Encoding: chunked\x00\r\n\r\n" + chunk5, statuses: []int{400}, closed: true},
	{name: "NUL in request-target", raw: "GET /a\x00b HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "DEL in field value", raw: "GET / HTTP/1.1\r\n" + hostA + "X: a\x7fb\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "obs-fold with space", raw: "GET / HTTP/1.1\r\n" + hostA + "X: a\r\n b\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "obs-fold with tab", raw: "GET / HTTP/1.1\r\n" + hostA + "X: a\r\n\tb\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "obs-fold of the first field", raw: "GET / HTTP/1.1\r\n " + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "field name with space", raw: "GET / HTTP/1.1\r\n" + hostA + "Foo Bar: x\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "field name with slash", raw: "GET / HTTP/1.1\r\n" + hostA + "Foo/Bar: x\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "field line without colon", raw: "GET / HTTP/1.1\r\n" + hostA + "NoColon\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "empty field name", raw: "GET / HTTP/1.1\r\n" + hostA + ": x\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "space before colon in Host", raw: "GET / HTTP/1.1\r\nHost : a.test\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "two Host fields", raw: "GET / HTTP/1.1\r\n" + hostA + "Host: b.test\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "empty Host", raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "Host with space inside", raw: "GET / HTTP/1.1\r\nHost: a .test\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "Host with path", raw: "GET / HTTP/1.1\r\nHost: a.test/x\r\n\r\n", statuses: []int{400}, closed: true},

	// Request line (RFC 9112 §3).
	{name: "two spaces after method", raw: "GET  / HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "tab as separator", raw: "GET\t/ HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "lower-case version", raw: "GET / http/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "lower-case method", raw: "get / HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{501}, closed: true},
	{name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\n" + hostA + "\r\n", statuses: []int{505}, closed: true},
	{name: "HTTP/0.9 style", raw: "GET /\r\n\r\n", statuses: []int{400}, closed: true},

	// Absolute-form (RFC 9112 §3.2.2): the authority replaces Host.
	{name: "absolute-form", raw: "GET http://a.test/index.html HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200}, body: "site a"},
	{name: "absolute-form authority wins over Host", raw: "GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n", statuses: []int{200}, body: "site a"},
	{name: "absolute-form other authority", raw: "GET http://b.test/ HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200}, body: "site b"},
	{name: "absolute-form upper-case scheme and host", raw: "GET HTTP://A.TEST/ HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200}, body: "site a"},
	{name: "absolute-form empty path", raw: "GET http://a.test HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200}, body: "site a"},
	{name: "absolute-form with port", raw: "GET http://a.test:80/ HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200}, body: "site a"},
	{name: "absolute-form without Host field", raw: "GET http://a.test/ HTTP/1.1\r\n\r\n", statuses: []int{400}, closed: true},
	{name: "absolute-form with userinfo", raw: "GET http://u@a.test/ HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "absolute-form other scheme", raw: "GET ftp://a.test/ HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},
	{name: "absolute-form empty authority", raw: "GET http:///index.html HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{400}, closed: true},

	// Line endings: a bare LF is accepted where CRLF is (RFC 9112 §2.2),
	// mixed freely.
	{name: "LF-only head", raw: "GET / HTTP/1.1\nHost: a.test\n\n", statuses: []int{200}},
	{name: "LF request line then CRLF", raw: "GET / HTTP/1.1\n" + hostA + "\r\n", statuses: []int{200}},
	{name: "CRLF fields then LF end", raw: "GET / HTTP/1.1\r\n" + hostA + "X: y\n\n", statuses: []int{200}},
	{name: "LF-only chunked body", raw: postUp + teChunk + "\r\n5\nhello\n0\n\n", statuses: []int{201}},
	{name: "LF head then pipelined CRLF", raw: "GET / HTTP/1.1\nHost: a.test\n\nGET / HTTP/1.1\r\n" + hostA + "\r\n", statuses: []int{200, 200}},

	// Chunked framing (RFC 9112 §7.1).
	{name: "chunk size 2^64", raw: chunkedBody("10000000000000000\r\nx\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size 2^63", raw: chunkedBody("8000000000000000\r\nx\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size far too long", raw: chunkedBody(strings.Repeat("f", 40) + "\r\nx\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size past body limit", raw: chunkedBody("800\r\n" + strings.Repeat("x", 0x800) + "\r\n0\r\n\r\n"), statuses: []int{413}, closed: true},
	{name: "chunk size with junk", raw: chunkedBody("5x\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size negative", raw: chunkedBody("-5\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size 0x prefix", raw: chunkedBody("0x5\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size leading space", raw: chunkedBody(" 5\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size empty", raw: chunkedBody("\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk size upper-case hex", raw: chunkedBody("A\r\nhellohello\r\n0\r\n\r\n"), statuses: []int{201}},
	{name: "chunk ext", raw: chunkedBody("5;a=b;c\r\nhello\r\n0;last=\"yes \\\"really\\\"\"\r\n\r\n"), statuses: []int{201}},
	{name: "chunk ext with BWS", raw: chunkedBody("5 ; a = b\r\nhello\r\n0\r\n\r\n"), statuses: []int{201}},
	{name: "chunk ext without name", raw: chunkedBody("5;\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk ext without value", raw: chunkedBody("5;a=\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk ext unterminated quote", raw: chunkedBody("5;a=\"x\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk ext with NUL", raw: chunkedBody("5;a\x00\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk line bare CR", raw: chunkedBody("5\rhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk data longer than size", raw: chunkedBody("3\r\nhello\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk data without CRLF", raw: chunkedBody("5\r\nhello0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "trailer fields discarded", raw: chunkedBody("5\r\nhello\r\n0\r\nX-Trailer: y\r\nZ: 1\r\n\r\n"), statuses: []int{201}},
	{name: "trailer obs-fold", raw: chunkedBody("5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "trailer without colon", raw: chunkedBody("5\r\nhello\r\n0\r\nbogus\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "trailer smuggles a request", raw: chunkedBody("0\r\n" + smuggled), statuses: []int{400}, closed: true},
	// The body never ends: client_body_timeout (500ms here) answers 408
	// and closes.
	{name: "missing final CRLF after last chunk", raw: chunkedBody("5\r\nhello\r\n0\r\n"), statuses: []int{408}, closed: true},
	{name: "missing last chunk", raw: chunkedBody("5\r\nhello\r\n"), statuses: []int{408}, closed: true},
	// "hi\r\n0" is the 5 bytes of data; the empty line after is then an
	// empty chunk-size.
	{name: "chunk size swallows the last chunk", raw: chunkedBody("5\r\nhi\r\n0\r\n\r\n"), statuses: []int{400}, closed: true},
	{name: "chunk data shorter than size", raw: chunkedBody("5\r\nhi"), statuses: []int{408}, closed: true},
	{name: "CL body shorter than CL", raw: clBody(" 10", "hello"), statuses: []int{408}, closed: true},
}

func TestRequestFraming(t *testing.T) {
	if len(framingCases) < 60 {
		t.Fatalf("only %d framing cases", len(framingCases))
	}
	s := servertest.Start(t, smugglingConf, 1, smugglingFiles)
	for _, tc := range framingCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := s.Dial(t, 0)
			if _, err := io.WriteString(c, tc.raw); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			for i, want := range tc.statuses {
				r := servertest.ReadResponse(t, br, "GET")
				if r.StatusCode != want {
					t.Fatalf("response %d: got %d, want %d (body %q)", i, r.StatusCode, want, r.Body)
				}
				if i == 0 && tc.body != "" && !strings.Contains(string(r.Body), tc.body) {
					t.Errorf("body: got %q, want it to contain %q", r.Body, tc.body)
				}
				if strings.Contains(string(r.Body), "TOP SECRET") {
					t.Errorf("served a file outside the root")
				}
				if last := i == len(tc.statuses)-1; last && tc.closed && !r.Close {
					t.Errorf("last response lacks Connection: close")
				}
			}
			if tc.closed {
				if extra := readUntilClosed(t, c, br); extra != "" {
					t.Errorf("got more after the final response: %q", extra)
				}
				return
			}
			if _, err := io.WriteString(c, sentinel); err != nil {
				t.Fatalf("connection unusable: %v", err)
			}
			r := servertest.ReadResponse(t, br, "GET")
			if r.StatusCode != 200 || string(r.Body) != "alive\n" {
				t.Errorf("sentinel: got %d %q, want 200 \"alive\\n\" (an extra response was queued?)", r.StatusCode, r.Body)
			}
		})
	}
}

// readUntilClosed reads what the server still sends until it closes the
// connection (EOF or reset) and returns it; it fails the test if the
// server keeps the connection open.
func readUntilClosed(t *testing.T, c net.Conn, br *bufio.Reader) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
	b, err := io.ReadAll(br)
	var ne net.Error
	switch {
	case err == nil, errors.Is(err, syscall.ECONNRESET):
	case errors.As(err, &ne) && ne.Timeout():
		t.Errorf("connection still open after %v", servertest.IOTimeout)
	default:
		t.Errorf("reading until close: %v", err)
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

func hexLen(n int) string { return strconv.FormatInt(int64(n), 16) }
