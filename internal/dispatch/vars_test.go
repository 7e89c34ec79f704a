package dispatch

import (
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// TestVarsHostileHeader: a header value with CR, LF and NUL (which the
// parser refuses on the wire; here built directly) never puts them into
// an add_header value: Expand deletes them.
func TestVarsHostileHeader(t *testing.T) {
	t.Parallel()
	tm, err := config.CompileTemplate("v=$http_x_evil;$cookie_sid")
	if err != nil {
		t.Fatal(err)
	}
	req := &http1.Request{Fields: []http1.Field{
		{Name: []byte("X-Evil"), Value: []byte("a\r\nSet-Cookie: pwned=1\x00\nb")},
		{Name: []byte("Cookie"), Value: []byte("x=1; sid=\r\nabc")},
	}}
	v := &reqVars{req: req, srv: &config.Server{}, loc: &config.Location{}}
	got := string(tm.Expand(nil, v))
	if got != "v=aSet-Cookie: pwned=1b;abc" {
		t.Errorf("got %q", got)
	}
}

// $request_uri is the origin form also for an absolute-form target, as
// nginx gives it, so a redirect to https://$host$request_uri does not
// repeat the scheme and host.
func TestVarsRequestURIAbsoluteForm(t *testing.T) {
	t.Parallel()
	tm, err := config.CompileTemplate("https://$host$request_uri")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ target, path, query, host, want string }{
		{"http://Example.com:8080/a/b?x=1", "/a/b", "x=1", "Example.com:8080", "https://example.com/a/b?x=1"},
		{"http://example.com", "/", "", "example.com", "https://example.com/"},
		{"/a?y", "/a", "y", "h", "https://h/a?y"},
		// nginx drops a Host's trailing dot (the root label) from $host.
		{"/r1", "/r1", "", "EX.test.", "https://ex.test/r1"},
		{"/r1", "/r1", "", "EX.test.:8080", "https://ex.test/r1"},
	} {
		req := &http1.Request{Target: []byte(tt.target), Path: []byte(tt.path), Query: []byte(tt.query), Host: []byte(tt.host)}
		v := &reqVars{req: req, srv: &config.Server{}, loc: &config.Location{}}
		if got := string(tm.Expand(nil, v)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.target, got, tt.want)
		}
	}
}
