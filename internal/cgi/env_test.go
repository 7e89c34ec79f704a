package cgi

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"webserv/internal/http1"
)

// newReq builds a parsed request head the way http1's parser leaves it.
// hdr alternates names and values.
func newReq(method, target string, minor int, hdr ...string) *http1.Request {
	r := &http1.Request{Method: []byte(method), Target: []byte(target), Minor: minor, ContentLength: -1}
	path, q, _ := strings.Cut(target, "?")
	if i := strings.Index(path, "://"); i >= 0 {
		if j := strings.IndexByte(path[i+3:], '/'); j >= 0 {
			path = path[i+3+j:]
		}
	}
	r.Path, r.Query = []byte(path), []byte(q)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Fields = append(r.Fields, http1.Field{Name: []byte(hdr[i]), Value: []byte(hdr[i+1])})
	}
	r.Host = r.Get("Host")
	if cl := r.Get("Content-Length"); cl != nil {
		r.ContentLength, _ = strconv.ParseInt(string(cl), 10, 64)
	}
	if r.Get("Transfer-Encoding") != nil {
		r.Chunked = true
	}
	return r
}

func envMap(env []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestEnv(t *testing.T) {
	t.Setenv("PATH", "/test/bin:/usr/bin")
	t.Setenv("LEAKY_SECRET", "s3cret")
	script := &Script{Name: "/cgi/x.sh", File: "/srv/www/cgi/x.sh", DocumentRoot: "/srv/www"}
	withInfo := &Script{Name: "/cgi/x.sh", File: "/srv/www/cgi/x.sh", PathInfo: "/a/b", DocumentRoot: "/srv/www"}
	const absent = "\x00absent"
	tests := []struct {
		name   string
		req    *http1.Request
		script *Script
		https  bool
		want   map[string]string // absent: must not be set
	}{
		{
			name:   "basic",
			req:    newReq("GET", "/cgi/x.sh?a=1&b=%20", 1, "Host", "example.com:8080", "User-Agent", "t"),
			script: script,
			want: map[string]string{
				"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "webserv", "SERVER_PROTOCOL": "HTTP/1.1",
				"SERVER_NAME": "example.com", "SERVER_PORT": "8080", "REMOTE_ADDR": "192.0.2.7", "REMOTE_PORT": "5555",
				"REQUEST_METHOD": "GET", "REQUEST_URI": "/cgi/x.sh?a=1&b=%20", "QUERY_STRING": "a=1&b=%20",
				"SCRIPT_NAME": "/cgi/x.sh", "SCRIPT_FILENAME": "/srv/www/cgi/x.sh", "DOCUMENT_ROOT": "/srv/www",
				"PATH_INFO": "", "PATH_TRANSLATED": absent, "REDIRECT_STATUS": "200", "HTTPS": absent,
				"HTTP_HOST": "example.com:8080", "HTTP_USER_AGENT": "t", "CONTENT_LENGTH": absent,
				"CONTENT_TYPE": absent, "AUTH_TYPE": absent, "PATH": "/test/bin:/usr/bin", "LEAKY_SECRET": absent,
			},
		},
		{
			name:   "path info",
			req:    newReq("GET", "/cgi/x.sh/a/b", 0),
			script: withInfo,
			want:   map[string]string{"PATH_INFO": "/a/b", "PATH_TRANSLATED": "/srv/www/a/b", "SERVER_PROTOCOL": "HTTP/1.0", "QUERY_STRING": ""},
		},
		{
			name:   "content length body",
			req:    newReq("POST", "/cgi/x.sh", 1, "Content-Length", "12", "Content-Type", "text/plain"),
			script: script,
			want:   map[string]string{"CONTENT_LENGTH": "12", "CONTENT_TYPE": "text/plain", "HTTP_CONTENT_LENGTH": absent, "HTTP_CONTENT_TYPE": absent},
		},
		{
			name:   "chunked body has no CONTENT_LENGTH",
			req:    newReq("POST", "/cgi/x.sh", 1, "Transfer-Encoding", "chunked"),
			script: script,
			want:   map[string]string{"CONTENT_LENGTH": absent, "HTTP_TRANSFER_ENCODING": "chunked"},
		},
		{
			name:   "httpoxy",
			req:    newReq("GET", "/cgi/x.sh", 1, "Proxy", "http://evil:1/", "proxy", "x"),
			script: script,
			want:   map[string]string{"HTTP_PROXY": absent},
		},
		{
			name:   "underscore names dropped",
			req:    newReq("GET", "/cgi/x.sh", 1, "X_Real_IP", "6.6.6.6", "X-Real-IP", "1.2.3.4", "Bad Name", "v", "X=Y", "v"),
			script: script,
			want:   map[string]string{"HTTP_X_REAL_IP": "1.2.3.4", "HTTP_BAD NAME": absent, "HTTP_X": absent},
		},
		{
			name:   "repeated fields joined",
			req:    newReq("GET", "/cgi/x.sh", 1, "Accept", "a/b", "Cookie", "a=1", "accept", "c/d", "Cookie", "b=2"),
			script: script,
			want:   map[string]string{"HTTP_ACCEPT": "a/b, c/d", "HTTP_COOKIE": "a=1; b=2"},
		},
		{
			name:   "auth type and https",
			req:    newReq("GET", "/cgi/x.sh", 1, "Authorization", "Basic dXNlcjpwYXNz"),
			script: script,
			https:  true,
			want:   map[string]string{"AUTH_TYPE": "Basic", "HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz", "HTTPS": "on"},
		},
		{
			name:   "absolute form target",
			req:    newReq("GET", "http://example.com/cgi/x.sh?q", 1),
			script: script,
			want:   map[string]string{"REQUEST_URI": "/cgi/x.sh?q", "QUERY_STRING": "q"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Request{Req: tc.req, Script: tc.script, RemoteAddr: "192.0.2.7:5555", LocalAddr: "10.0.0.1:8080", ServerName: "example.com", HTTPS: tc.https}
			env := Env(r)
			if !slices.IsSorted(env) {
				t.Errorf("env not sorted: %q", env)
			}
			m := envMap(env)
			if len(m) != len(env) {
				t.Errorf("duplicate names in %q", env)
			}
			for k, want := range tc.want {
				got, ok := m[k]
				switch {
				case want == absent && ok:
					t.Errorf("%s = %q, want absent", k, got)
				case want != absent && !ok:
					t.Errorf("%s absent, want %q", k, want)
				case want != absent && got != want:
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			// Only meta-variables, headers and PATH: nothing else leaks.
			allowed := "AUTH_TYPE CONTENT_LENGTH CONTENT_TYPE GATEWAY_INTERFACE PATH_INFO PATH_TRANSLATED QUERY_STRING REMOTE_ADDR REMOTE_PORT REQUEST_METHOD REQUEST_URI SCRIPT_NAME SCRIPT_FILENAME SERVER_NAME SERVER_PORT SERVER_PROTOCOL SERVER_SOFTWARE REDIRECT_STATUS DOCUMENT_ROOT HTTPS PATH"
			for k := range m {
				if !strings.HasPrefix(k, "HTTP_") && !slices.Contains(strings.Fields(allowed), k) {
					t.Errorf("unexpected variable %s", k)
				}
			}
		})
	}
}

func TestEnvDefaultPath(t *testing.T) {
	t.Setenv("PATH", "")
	r := &Request{Req: newReq("GET", "/x.sh", 1), Script: &Script{Name: "/x.sh", File: "/x.sh", DocumentRoot: "/"}}
	if got := envMap(Env(r))["PATH"]; got != defaultPath {
		t.Errorf("PATH = %q, want %q", got, defaultPath)
	}
}
