package server

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
