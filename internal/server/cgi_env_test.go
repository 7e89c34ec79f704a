package server_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// cgiLeakMarker is set in the test process's environment, which the
// in-process server shares: it must not reach any program (SPEC §5: only
// PATH is inherited).
const cgiLeakMarker = "WEBSERV_TEST_LEAK_MARKER"

// Every meta-variable of SPEC §5 (RFC 3875 §4.1), as the program sees it
// over a real connection: the exact set of names, so that nothing of the
// server's own environment leaks, and every value.
func TestCGIMetaVariables(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the exact environment comes from /proc/PID/environ (Linux); env adds the shell's variables")
	}
	t.Setenv(cgiLeakMarker, "leaked")
	s := startCGI(t)
	_, serverPort, _ := net.SplitHostPort(s.Addrs[0])
	www := filepath.Join(s.Dir, "www")
	script := filepath.Join(www, "cgi/environ.sh")

	// common holds what every request gets; remote port and body size
	// are filled in per request.
	common := func(extra map[string]string) map[string]string {
		m := map[string]string{
			"GATEWAY_INTERFACE": "CGI/1.1",
			"SERVER_SOFTWARE":   "webserv",
			"SERVER_NAME":       "cgi.test", // the matched server_name, not Host
			"SERVER_PORT":       serverPort,
			"SERVER_PROTOCOL":   "HTTP/1.1",
			"REMOTE_ADDR":       "127.0.0.1",
			"SCRIPT_NAME":       "/cgi/environ.sh",
			"SCRIPT_FILENAME":   script,
			"DOCUMENT_ROOT":     www,
			"PATH_INFO":         "", // §4.1.5: always defined
			"QUERY_STRING":      "", // §4.1.7: always defined
			"REDIRECT_STATUS":   "200",
			"PATH":              os.Getenv("PATH"),
			"HTTP_HOST":         "cgi.test",
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		raw  string // request; REMOTE_PORT is added to want
		want map[string]string
		body string // the byte count the program read on stdin
	}{
		{
			name: "GET with path info, query, credentials and odd headers",
			raw: "GET /cgi/environ.sh/extra/path%20x?a=1&b=%20 HTTP/1.1\r\n" +
				"Host: cgi.test\r\n" +
				"Authorization: Basic dXNlcjpwYXNz\r\n" +
				"X-Custom: yes\r\n" +
				"X-Dup: a\r\nX-Dup: b\r\n" +
				"Cookie: a=1\r\nCookie: b=2\r\n" +
				"Proxy: http://evil.example/\r\n" + // httpoxy: never HTTP_PROXY
				"X_Under: spoof\r\n" + // would alias X-Under: dropped
				"Connection: close\r\n\r\n",
			want: common(map[string]string{
				"REQUEST_METHOD":     "GET",
				"REQUEST_URI":        "/cgi/environ.sh/extra/path%20x?a=1&b=%20",
				"QUERY_STRING":       "a=1&b=%20",
				"PATH_INFO":          "/extra/path x", // decoded (§4.1.5)
				"PATH_TRANSLATED":    www + "/extra/path x",
				"AUTH_TYPE":          "Basic",
				"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz",
				"HTTP_X_CUSTOM":      "yes",
				"HTTP_X_DUP":         "a, b",     // RFC 9110 §5.3
				"HTTP_COOKIE":        "a=1; b=2", // RFC 6265 §5.4
				"HTTP_CONNECTION":    "close",
			}),
			body: "0",
		},
		{
			name: "POST with Content-Length and Content-Type",
			raw: "POST /cgi/environ.sh HTTP/1.1\r\n" +
				"Host: cgi.test\r\n" +
				"Content-Type: application/x-www-form-urlencoded\r\n" +
				"Content-Length: 7\r\n" +
				"Connection: close\r\n\r\n" +
				"a=1&b=2",
			want: common(map[string]string{
				"REQUEST_METHOD":  "POST",
				"REQUEST_URI":     "/cgi/environ.sh",
				"CONTENT_LENGTH":  "7",
				"CONTENT_TYPE":    "application/x-www-form-urlencoded",
				"HTTP_CONNECTION": "close",
			}),
			body: "7",
		},
		{
			// A chunked body streams without CONTENT_LENGTH (doc.go of
			// package cgi): the program reads to EOF, de-chunked.
			name: "POST chunked",
			raw: "POST /cgi/environ.sh?x HTTP/1.1\r\n" +
				"Host: cgi.test\r\n" +
				"Content-Type: text/plain\r\n" +
				"Transfer-Encoding: chunked\r\n" +
				"Connection: close\r\n\r\n" +
				"5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n",
			want: common(map[string]string{
				"REQUEST_METHOD":         "POST",
				"REQUEST_URI":            "/cgi/environ.sh?x",
				"QUERY_STRING":           "x",
				"CONTENT_TYPE":           "text/plain",
				"HTTP_TRANSFER_ENCODING": "chunked",
				"HTTP_CONNECTION":        "close",
			}),
			body: "12",
		},
		{
			name: "HTTP/1.0 without Host",
			raw:  "GET /cgi/environ.sh HTTP/1.0\r\n\r\n",
			want: func() map[string]string {
				m := common(map[string]string{
					"REQUEST_METHOD":  "GET",
					"REQUEST_URI":     "/cgi/environ.sh",
					"SERVER_PROTOCOL": "HTTP/1.0",
				})
				delete(m, "HTTP_HOST")
				return m
			}(),
			body: "0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.Dial(t, 0)
			_, remotePort, _ := net.SplitHostPort(c.LocalAddr().String())
			want := map[string]string{"REMOTE_PORT": remotePort}
			for k, v := range tt.want {
				want[k] = v
			}
			if _, err := io.WriteString(c, tt.raw); err != nil {
				t.Fatal(err)
			}
			method, _, _ := strings.Cut(tt.raw, " ")
			resp := servertest.ReadResponse(t, bufio.NewReader(c), method)
			if resp.StatusCode != 200 {
				t.Fatalf("got %d %q", resp.StatusCode, resp.Body)
			}
			envText, bodyLen, ok := strings.Cut(string(resp.Body), "----\n")
			if !ok {
				t.Fatalf("output lacks the body size: %q", resp.Body)
			}
			if got := strings.TrimSpace(bodyLen); got != tt.body {
				t.Errorf("program read %s body bytes, want %s", got, tt.body)
			}
			got := map[string]string{}
			for _, line := range strings.Split(strings.TrimSuffix(envText, "\n"), "\n") {
				k, v, _ := strings.Cut(line, "=")
				if _, dup := got[k]; dup {
					t.Errorf("%s defined twice", k)
				}
				got[k] = v
			}
			if _, ok := got[cgiLeakMarker]; ok {
				t.Errorf("the server's environment leaked: %s reached the program", cgiLeakMarker)
			}
			for _, k := range sortedKeys(got) {
				if w, ok := want[k]; !ok {
					t.Errorf("unexpected variable %s=%q", k, got[k])
				} else if got[k] != w {
					t.Errorf("%s=%q, want %q", k, got[k], w)
				}
			}
			for _, k := range sortedKeys(want) {
				if _, ok := got[k]; !ok {
					t.Errorf("missing %s (want %q)", k, want[k])
				}
			}
			if t.Failed() {
				t.Logf("environment:\n%s", envText)
			}
		})
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
